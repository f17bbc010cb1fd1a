"""Revoked and expired badges: no sharing or business cards, PDFs marked across the page, and the
operator's revocation reason kept in the portal's records."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime
from datetime import timedelta
from pathlib import Path

import pytest
from PIL import Image

from tests.badge_factory import add_badge
from tests.conftest import make_user
from tests.test_issuing import grant
from tests.test_issuing import make_issuer
from tests.test_issuing import row
from wallet.extensions import db
from wallet.models import Award
from wallet.models import Badge


@pytest.fixture
def badges_by_state(app):
    """A holder with a valid, a revoked, an expired and an invalid badge: {state: id}."""
    with app.app_context():
        user = make_user()
        past = datetime.now(UTC) - timedelta(days=3)
        made = {
            "valid": add_badge(user.id, name="Valid one"),
            "revoked": add_badge(user.id, name="Gone", result="revoked"),
            "expired": add_badge(user.id, name="Old", expires=past),
            "invalid": add_badge(user.id, name="Forged", result="invalid"),
        }
        return {state: badge.id for state, badge in made.items()}


def test_sharing_is_off_with_the_reason_for_revoked_expired_and_invalid(
    client, auth, badges_by_state
):
    auth.login()
    on = client.get(f"/badges/{badges_by_state['valid']}/share").get_data(as_text=True)
    assert "share-linkedin-profile" in on and 'class="share-off"' not in on
    for state in ("revoked", "expired", "invalid"):
        badge_id = badges_by_state[state]
        panel = client.get(f"/badges/{badge_id}/share").get_data(as_text=True)
        assert 'class="share-off"' in panel, state
        assert "このバッジは共有できません。" in panel
        assert "share-linkedin-profile" not in panel and "signature-source" not in panel
        assert "非公開にする" in panel  # making it private is offered
        # The direct URLs of the panel's parts are closed too.
        assert client.get(f"/badges/{badge_id}/share/signature").status_code == 404
        mastodon = client.get(f"/badges/{badge_id}/share/mastodon")
        assert mastodon.status_code == 303 and mastodon.headers["Location"].endswith("/share")


def test_business_cards_are_off_and_the_page_says_why(app, client, auth, badges_by_state):
    auth.login()
    for state in ("revoked", "expired"):
        badge_id = badges_by_state[state]
        page = client.get(f"/badges/{badge_id}/documents").get_data(as_text=True)
        assert "名刺は作成できません。" in page, state
        assert f"/badges/{badge_id}/documents/card.pdf" not in page
        refused = client.get(f"/badges/{badge_id}/documents/card.pdf?lang=ja")
        assert refused.status_code == 409 and refused.mimetype == "text/html"
        assert "名刺は作成できません。" in refused.get_data(as_text=True)
    ok = client.get(f"/badges/{badges_by_state['valid']}/documents/card.pdf?lang=ja")
    assert ok.status_code == 200 and ok.mimetype == "application/pdf"


def test_the_badge_page_leads_with_the_state_and_suggests_making_it_private(
    client, auth, badges_by_state
):
    auth.login()
    html = client.get(f"/badges/{badges_by_state['revoked']}").get_data(as_text=True)
    banner = html[html.index('id="badge-state"') : html.index("badge-summary")]
    assert "state-banner state-revoked" in banner
    assert "共有と名刺の作成を停止しています" in banner
    assert 'name="visibility" value="private"' in banner
    valid = client.get(f"/badges/{badges_by_state['valid']}").get_data(as_text=True)
    assert "state-banner" not in valid


def reddish_share(image: Image.Image) -> float:
    """Return the share of pixels in the middle of the page that are clearly red or orange."""
    width, height = image.size
    middle = image.crop((width // 10, height // 4, width * 9 // 10, height * 3 // 4))
    red, green, blue = (band.load() for band in middle.convert("RGB").split())
    w, h = middle.size
    count = sum(
        1
        for x in range(w)
        for y in range(h)
        if red[x, y] > 180 and red[x, y] - green[x, y] > 40 and red[x, y] - blue[x, y] > 40
    )
    return count / (w * h)


@pytest.mark.parametrize("state", ["revoked", "expired"])
@pytest.mark.parametrize("kind", ["certificate", "details"])
def test_documents_carry_the_mark_across_the_page(app, badges_by_state, tmp_path, state, kind):
    from wallet.services import badges
    from wallet.services import documents

    documents.cache_clear()
    with app.test_request_context("/"):
        ended = db.session.get(Badge, badges_by_state[state])
        ended = badges.get_any(ended.public_id)
        fine = badges.get_any(db.session.get(Badge, badges_by_state["valid"]).public_id)
        for lang in ("ja", "en"):
            marked = documents.render(ended, ended.user, kind, lang)
            plain = documents.render(fine, fine.user, kind, lang)
            marked_share = reddish_share(colour_page(marked, tmp_path / f"m-{lang}"))
            plain_share = reddish_share(colour_page(plain, tmp_path / f"p-{lang}"))
            assert marked_share > 0.02 and plain_share < 0.002, (lang, marked_share, plain_share)


def colour_page(pdf: bytes, directory: Path) -> Image.Image:
    """Rasterise the first page in colour (tests.test_documents.rasterize gives grey)."""
    import subprocess

    directory.mkdir()
    (directory / "page.pdf").write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-r", "40", "-png", "-singlefile", "-f", "1", "-l", "1"]
        + [str(directory / "page.pdf"), str(directory / "page")],
        check=True,
    )
    return Image.open(directory / "page.png").convert("RGB")


def test_a_card_is_refused_by_the_service_and_the_cli_too(app, runner, badges_by_state, tmp_path):
    with app.app_context():
        public_id = db.session.get(Badge, badges_by_state["revoked"]).public_id
    result = runner.invoke(
        args=["documents", "render", public_id, "card", "-o", str(tmp_path / "card.pdf")]
    )
    assert result.exit_code != 0 and "no business card" in result.output
    assert not (tmp_path / "card.pdf").exists()


# --- the operator's reason ----------------------------------------------------------------------


def _operator(app, client, auth) -> int:
    """Sign in an operator of an issuer with one award; return the award id."""
    from wallet.services import issuing

    with app.app_context():
        _, achievement = make_issuer()
        award_id = issuing.award(achievement, row(email="holder@example.com")).award.id
        make_user("operator@example.com", role="operator")
    grant(app, "operator@example.com", "jci", "issuer")
    auth.login("operator@example.com")
    return award_id


def test_the_revoke_form_takes_a_reason_the_portal_keeps_and_shows(app, client, auth):
    award_id = _operator(app, client, auth)
    form = client.get(f"/issuing/awards/{award_id}/revoke").get_data(as_text=True)
    assert 'name="reason"' in form
    reason = "登録抹消（本人の申請による）"
    assert (
        client.post(f"/issuing/awards/{award_id}/revoke", data={"reason": reason}).status_code
        == 303
    )
    with app.app_context():
        award = db.session.get(Award, award_id)
        assert award.revoked_at is not None and award.revocation_reason == reason
        table = client.get(f"/issuing/achievements/{award.achievement.public_id}")
    assert f"理由：{reason}" in table.get_data(as_text=True)
    assert f"理由：{reason}" in client.get(f"/issuing/awards/{award_id}/revoke").get_data(
        as_text=True
    )


def test_a_reason_too_long_revokes_nothing(app, client, auth):
    award_id = _operator(app, client, auth)
    refused = client.post(f"/issuing/awards/{award_id}/revoke", data={"reason": "x" * 501})
    assert refused.status_code == 422 and 'aria-invalid="true"' in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Award, award_id).revoked_at is None
    # Control characters are refused the same way (forms.usable_text).
    refused = client.post(f"/issuing/awards/{award_id}/revoke", data={"reason": "a\x00b"})
    assert refused.status_code == 422
