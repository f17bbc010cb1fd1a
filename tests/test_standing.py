"""One state everywhere: holder page, public page and documents tell the same, with why and when."""

from __future__ import annotations

import json
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from tests.conftest import htmx_headers
from tests.conftest import make_user
from tests.public_helpers import add_badge
from tests.public_helpers import assertion
from tests.public_helpers import fetcher_for

LONG_AGO = datetime(2024, 1, 1, tzinfo=UTC)


@pytest.fixture
def holder_id(app) -> int:
    with app.app_context():
        return make_user().id


def _stored(app, public_id: str):
    from wallet.extensions import db
    from wallet.models import Badge

    with app.app_context():
        badge = db.session.scalar(select(Badge).where(Badge.public_id == public_id))
        db.session.expunge(badge)
        return badge


def _revoke_by_recheck(app, holder_id: int, reason: str) -> tuple[int, str]:
    """Store a valid badge, then let `wallet reverify` find the issuer revoked it."""
    from wallet.services import freshness

    with app.app_context():
        badge = add_badge(holder_id, verified_at=LONG_AGO)
        ids = badge.id, badge.public_id
        revoked = assertion(1, revoked=True, revocationReason=reason)
        freshness.reverify_stale(fetcher=fetcher_for(revoked))
        return ids


def test_revocation_shows_its_date_and_the_issuers_reason_to_visitors_and_holder(
    app, client, auth, holder_id
):
    badge_id, public_id = _revoke_by_recheck(app, holder_id, "Registration withdrawn")
    stored = _stored(app, public_id)
    reason = json.loads(stored.reason_json)
    assert reason["params"]["reason"] == "Registration withdrawn" and reason["since"]
    for lang, found, words in (
        (
            "en",
            "The revocation was found on",
            "Reason given by the issuer: “Registration withdrawn”",
        ),
        ("ja", "に失効を確認しました", "発行者が示した理由：「Registration withdrawn」"),
    ):
        html = client.get(f"/b/{public_id}?lang={lang}").get_data(as_text=True)
        assert 'class="state-banner state-revoked"' in html
        assert found in html and words in html
        # The stored expiry (2030) is not what the page leads with: the revocation is.
        assert html.index("state-revoked") < html.index("2030")
    auth.login()
    html = client.get(f"/badges/{badge_id}").get_data(as_text=True)
    assert 'class="state-banner state-revoked"' in html
    assert "発行者が示した理由：「Registration withdrawn」" in html
    # The banner comes before the badge's own summary, at the top of the page.
    assert html.index("state-banner") < html.index("badge-summary")


def test_an_issuers_reason_is_text_never_markup(app, client, holder_id):
    _badge_id, public_id = _revoke_by_recheck(
        app, holder_id, '<script>alert(1)</script><a href="javascript:x">go</a>\u202e'
    )
    html = client.get(f"/b/{public_id}?lang=en").get_data(as_text=True)
    assert "<script>alert(1)" not in html and 'href="javascript:x"' not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "\u202e" not in html


def test_the_date_a_result_was_first_seen_survives_rechecks_with_the_same_result(app, holder_id):
    from wallet.services import freshness

    _badge_id, public_id = _revoke_by_recheck(app, holder_id, "Withdrawn")
    first = json.loads(_stored(app, public_id).reason_json)["since"]
    with app.app_context():
        freshness.reverify_stale(
            timedelta(0), fetcher=fetcher_for(assertion(1, revoked=True, revocationReason="W"))
        )
    assert json.loads(_stored(app, public_id).reason_json)["since"] == first
    with app.app_context():
        freshness.reverify_stale(timedelta(0), fetcher=fetcher_for(assertion(1)))
    assert _stored(app, public_id).reason_json is None  # valid again: no reason, no date


def _unverifiable_and_past_its_expiry(app, holder_id: int) -> tuple[int, str]:
    """A badge whose last check could not reach the issuer, and whose expiry has passed."""
    from tests.openbadges.fakes import FakeFetcher
    from wallet.extensions import db
    from wallet.models import Badge
    from wallet.services import freshness

    with app.app_context():
        badge = add_badge(holder_id, verified_at=LONG_AGO)
        ids = badge.id, badge.public_id
        freshness.reverify_stale(fetcher=FakeFetcher())
        stored = db.session.get(Badge, ids[0])
        assert stored.result == "unverifiable"
        stored.expires = datetime.now(UTC) - timedelta(days=2)
        db.session.commit()
        return ids


def test_holder_and_visitor_see_the_same_state_and_when_it_is_retried(app, client, auth, holder_id):
    """Before: the holder read 検証不可 while the public page said 期限切れ, with no message."""
    badge_id, public_id = _unverifiable_and_past_its_expiry(app, holder_id)
    public = client.get(f"/b/{public_id}?lang=ja").get_data(as_text=True)
    auth.login()
    holder = client.get(f"/badges/{badge_id}").get_data(as_text=True)
    for html in (public, holder):
        assert 'class="state-banner state-unverifiable"' in html
        assert "state-expired" not in html
        assert "以降に、ウォレットがもう一度検証します。" in html  # when it is tried again
        assert "バッジに記載された有効期限" in html  # and that its stated validity ended
    # The retry comes VERIFY_RETRY_AGE (1 h) after the failed check.
    verified = _stored(app, public_id).verified_at.replace(tzinfo=UTC)
    retry = (verified + timedelta(hours=1)).astimezone(ZoneInfo("Asia/Tokyo"))
    assert f"{retry:%H:%M}（日本時間） 以降に" in holder


def test_verify_again_updates_the_banner_with_the_report(app, client, auth, holder_id):
    badge_id, _public_id = _unverifiable_and_past_its_expiry(app, holder_id)
    auth.login()
    body = client.post(
        f"/badges/{badge_id}/verify", headers=htmx_headers("verification-report")
    ).get_data(as_text=True)
    # The fetcher of a real request cannot reach the test issuer: still unverifiable, and the
    # banner is sent with the report (out of band), so the page never shows two states.
    assert 'id="badge-state" class="badge-state" hx-swap-oob="true"' in body
    assert body.count("state-banner state-unverifiable") == 1


def test_a_failed_check_is_retried_sooner_than_a_good_one(app, holder_id):
    from wallet.extensions import db
    from wallet.models import Badge
    from wallet.services import freshness

    now = datetime.now(UTC)
    with app.app_context():
        failed = add_badge(holder_id, number=1, verified_at=now - timedelta(hours=2)).id
        good = add_badge(holder_id, number=2, verified_at=now - timedelta(hours=2)).id
        db.session.get(Badge, failed).result = "unverifiable"
        db.session.commit()
        due = freshness.stale_ids(freshness.max_age(), retry_after=freshness.retry_age())
        assert due == [failed]
        assert freshness.stale_ids(freshness.max_age()) == []
        checked = db.session.get(Badge, failed).verified_at.replace(tzinfo=UTC)
        next_check = freshness.next_check(db.session.get(Badge, failed))
        assert next_check == checked + timedelta(hours=1)
        fetcher = fetcher_for(assertion(1), assertion(2))
        summary = freshness.reverify_stale(fetcher=fetcher)
    assert summary.checked == 1 and good not in due


def test_expired_is_amber_and_says_from_when_to_when(app, client, auth, holder_id):
    from wallet.extensions import db
    from wallet.models import Badge

    with app.app_context():
        badge = add_badge(holder_id)
        stored = db.session.get(Badge, badge.id)
        stored.issued_on = datetime(2021, 12, 7, tzinfo=UTC)
        stored.issued_day = datetime(2021, 12, 7).date()
        stored.expires = datetime(2026, 10, 27, 14, 59, 59, tzinfo=UTC)
        stored.expires_day = datetime(2026, 10, 27).date()
        db.session.commit()
        badge_id, public_id = badge.id, badge.public_id
    html = client.get(f"/b/{public_id}?lang=en").get_data(as_text=True)
    assert 'class="state-banner state-expired"' in html
    assert "This badge was valid from 7 December 2021 to 27 October 2026. It has expired." in html
    auth.login()
    holder = client.get(f"/badges/{badge_id}").get_data(as_text=True)
    assert "このバッジの有効期間は 2021年12月7日 から 2026年10月27日 まででした。" in holder
    assert "tag-amber status-expired" in client.get("/").get_data(as_text=True)
    from pathlib import Path

    css = (Path(__file__).parents[1] / "wallet" / "static" / "css" / "app.css").read_text()
    assert ".state-expired { background: var(--amber-bg)" in css
    assert ".state-revoked, .state-invalid { background: var(--bad-bg)" in css
