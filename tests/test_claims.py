"""Claiming: notice mail → link → registration or sign-in → wallet → completion mail."""

from __future__ import annotations

import re

import pytest

from tests.conftest import STRONG_PASSWORD
from tests.conftest import htmx_headers
from tests.conftest import make_user
from tests.test_issuing import CSV_HEADER
from tests.test_issuing import make_issuer
from tests.test_issuing import row

CLAIM_LINK = re.compile(r"https://wallet\.example\.test(/claim/[A-Za-z0-9._-]+)")


def award_by_csv(app, lines: str) -> list[int]:
    """Award the CSV lines with notices (as the award command does); return the award ids."""
    from wallet.services.issuing import claims
    from wallet.services.issuing import csv_awards
    from wallet.services.issuing import issuers

    with app.test_request_context():
        issuer = issuers.get_issuer("jci")
        if issuer is None:
            _, achievement = make_issuer()
        else:
            achievement = issuers.get_achievement(issuer, "gishi")
        report = csv_awards.award_csv(
            achievement, (CSV_HEADER + lines).encode(), notify=claims.send_notice
        )
        assert report.ok, [p.message for p in report.problems]
        return [award.id for _, award in report.created]


def claim_path(outbox, address: str) -> str:
    """Return the claim path of the newest notice mailed to address."""
    (link,) = CLAIM_LINK.findall(outbox.text(outbox.to(address)[-1]))
    return link


def registration(**overrides: str) -> dict[str, str]:
    data = {
        "family_name": "コンクリート",
        "given_name": "太郎",
        "name_order": "family-first",
        "language": "ja",
        "password": STRONG_PASSWORD,
        "password_confirm": STRONG_PASSWORD,
    }
    data.update(overrides)
    return data


def wallet_badges(app, email: str):
    from sqlalchemy import select

    from wallet.extensions import db
    from wallet.models import Badge
    from wallet.services import accounts

    with app.app_context():
        user = accounts.find_by_email(email)
        if user is None:
            return []
        return list(db.session.scalars(select(Badge).where(Badge.user_id == user.id)))


def test_full_claim_from_csv_to_wallet(app, client, outbox) -> None:
    from wallet.models import Award

    (award_id,) = award_by_csv(app, "Hanako@Example.com,セメント,花子,2025-04-01,,G-77,T-88\n")
    (notice,) = outbox.to("Hanako@Example.com")
    assert "日本コンクリート工学会" in notice["Subject"]
    assert notice["Content-Language"] == "ja"
    text = outbox.text(notice)
    assert "セメント 花子" in text and "コンクリート技士" in text
    path = claim_path(outbox, "Hanako@Example.com")

    page = client.get(path)
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    html = page.get_data(as_text=True)
    assert "Hanako@Example.com" in html and "readonly" in html
    assert 'value="セメント"' in html and 'value="花子"' in html  # prefilled from the award

    # The email cannot be changed: a posted address is ignored.
    response = client.post(
        path,
        data=registration(family_name="セメント", given_name="花子", email="evil@example.com"),
    )
    assert response.status_code == 303
    badge_url = response.headers["Location"]
    assert re.fullmatch(r"/badges/\d+", badge_url)
    assert wallet_badges(app, "evil@example.com") == []
    (badge,) = wallet_badges(app, "hanako@example.com")
    assert badge.result == "valid"
    assert badge.recipient_confirmed is True
    assert badge.visibility == "public"
    assert badge.name == "コンクリート技士"

    shown = client.get(badge_url)  # signed in by the registration
    assert shown.status_code == 200
    assert "G-77" in shown.get_data(as_text=True)

    completion = outbox.to("Hanako@Example.com")[-1]
    assert completion is not notice and "日本コンクリート工学会" in completion["Subject"]
    assert "/" in outbox.text(completion)
    with app.app_context():
        from wallet.extensions import db

        award = db.session.get(Award, award_id)
        assert award.claim_state == "claimed" and award.claimed_by_id is not None
        assert award.claimed_by.is_verified  # the link proved the address

    # Single use: the same link again.
    again = client.get(path)
    assert again.status_code == 400
    assert len(wallet_badges(app, "hanako@example.com")) == 1


def test_registration_errors_return_the_form_with_422(app, client, outbox) -> None:
    award_by_csv(app, "jiro@example.com,山田,次郎,2025-04-01,,,\n")
    path = claim_path(outbox, "jiro@example.com")
    response = client.post(
        path,
        data=registration(password="short", password_confirm="short"),
        headers=htmx_headers("claim-form"),
    )
    assert response.status_code == 422
    assert "<html" not in response.get_data(as_text=True)
    assert wallet_badges(app, "jiro@example.com") == []
    assert client.get(path).status_code == 200  # the link still works


def test_signed_in_holder_receives_with_a_button_and_sees_the_awarded_name(
    app, client, auth, outbox
) -> None:
    # The account is made after the award (an award to it now is refused: another name).
    award_by_csv(app, "taro@example.com,コンクリート,太郎,2025-04-01,,,\n")
    with app.app_context():
        make_user("taro@example.com", family_name="コンクリート", given_name="太朗")
    path = claim_path(outbox, "taro@example.com")
    auth.login()
    page = client.get(path)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "コンクリート 太朗" in html and "コンクリート 太郎" in html  # the two names compared
    assert wallet_badges(app, "taro@example.com") == []  # GET changes nothing
    response = client.post(path)
    assert response.status_code == 303
    (badge,) = wallet_badges(app, "taro@example.com")
    assert response.headers["Location"] == f"/badges/{badge.id}"
    assert client.get(path).status_code == 400


def test_same_name_shows_no_comparison(app, client, auth, outbox) -> None:
    with app.app_context():
        make_user("taro@example.com")
    award_by_csv(app, "taro@example.com,コンクリート,太郎,2025-04-01,,,\n")
    auth.login()
    html = client.get(claim_path(outbox, "taro@example.com")).get_data(as_text=True)
    assert "notice-warn" not in html


def test_existing_account_is_asked_to_sign_in(app, client, outbox) -> None:
    with app.app_context():
        make_user("taro@example.com")
    award_by_csv(app, "taro@example.com,コンクリート,太郎,2025-04-01,,,\n")
    path = claim_path(outbox, "taro@example.com")
    html = client.get(path).get_data(as_text=True)
    assert "/auth/login?next=/claim/" in html
    assert 'name="password_confirm"' not in html
    # Posting a registration for an address that has an account creates nothing.
    response = client.post(path, data=registration())
    assert response.status_code == 303 and response.headers["Location"] == path
    assert wallet_badges(app, "taro@example.com") == []


def test_another_account_cannot_receive(app, client, auth, outbox) -> None:
    with app.app_context():
        make_user("other@example.com")
    award_by_csv(app, "taro@example.com,コンクリート,太郎,2025-04-01,,,\n")
    path = claim_path(outbox, "taro@example.com")
    auth.login("other@example.com")
    page = client.get(path)
    assert page.status_code == 200
    assert "other@example.com" in page.get_data(as_text=True)
    assert client.post(path).status_code == 303
    assert wallet_badges(app, "other@example.com") == []
    # "Sign out and continue" leads to the registration for the awarded address.
    client.post(path + "/switch")
    assert 'name="password_confirm"' in client.get(path).get_data(as_text=True)


def test_unconfirmed_account_is_confirmed_by_the_link(app, client, auth, outbox) -> None:
    with app.app_context():
        make_user("taro@example.com", verified=False)
    award_by_csv(app, "taro@example.com,コンクリート,太郎,2025-04-01,,,\n")
    path = claim_path(outbox, "taro@example.com")
    auth.login()
    assert client.post(path).status_code == 303
    (badge,) = wallet_badges(app, "taro@example.com")
    assert badge.recipient_confirmed


def test_holder_default_disclosure_is_kept(app, client, auth, outbox) -> None:
    from wallet.services import accounts

    with app.app_context():
        user = make_user("taro@example.com")
        accounts.update_profile(user, default_visibility="private")
    award_by_csv(app, "taro@example.com,コンクリート,太郎,2025-04-01,,,\n")
    auth.login()
    client.post(claim_path(outbox, "taro@example.com"))
    (badge,) = wallet_badges(app, "taro@example.com")
    assert badge.visibility == "private"


@pytest.mark.parametrize(
    "token",
    [
        "forged",
        "eyJzIjoxLCJmIjoiMDAwMDAwMDAwMDAwMDAwMCJ9.aaaaaa.bbbbbbbbbbbbbbbbbbbbbbbbbbb",
        "x" * 1001,
    ],
)
def test_forged_links_are_refused(app, client, token: str) -> None:
    award_by_csv(app, "taro@example.com,コンクリート,太郎,2025-04-01,,,\n")
    response = client.get(f"/claim/{token}")
    assert response.status_code == 400
    assert client.post(f"/claim/{token}", data=registration()).status_code == 400
    assert wallet_badges(app, "taro@example.com") == []


def test_a_token_of_another_purpose_is_refused(app, client) -> None:
    from wallet.services import security

    (award_id,) = award_by_csv(app, "taro@example.com,コンクリート,太郎,2025-04-01,,,\n")
    with app.app_context():
        token = security.make_token("verify-email", award_id, "0" * 16)
    assert client.get(f"/claim/{token}").status_code == 400


def test_expired_link_is_refused_and_a_new_notice_works(app, client, outbox) -> None:
    from wallet.extensions import db
    from wallet.models import Award
    from wallet.services.issuing import claims

    (award_id,) = award_by_csv(app, "taro@example.com,コンクリート,太郎,2025-04-01,,,\n")
    old = claim_path(outbox, "taro@example.com")
    app.config["CLAIM_TOKEN_MAX_AGE"] = -1
    assert client.get(old).status_code == 400
    del app.config["CLAIM_TOKEN_MAX_AGE"]
    with app.test_request_context():
        assert claims.send_notice(db.session.get(Award, award_id)) is True
    assert len(outbox.to("taro@example.com")) == 2
    new = claim_path(outbox, "taro@example.com")  # a fresh timestamp (same within a second)
    assert client.get(old).status_code == 200  # re-sending does not kill the first link
    assert client.post(new, data=registration()).status_code == 303
    assert client.get(old).status_code == 400  # ...but receiving does


def test_revoked_award_cannot_be_claimed(app, client, outbox) -> None:
    from wallet.extensions import db
    from wallet.models import Award
    from wallet.services.issuing import claims

    (award_id,) = award_by_csv(app, "taro@example.com,コンクリート,太郎,2025-04-01,,,\n")
    path = claim_path(outbox, "taro@example.com")
    with app.test_request_context():
        award = db.session.get(Award, award_id)
        claims.revoke(award)
        assert claims.send_notice(award) is False
    response = client.get(path)
    assert response.status_code == 400
    assert client.post(path, data=registration()).status_code == 400
    assert wallet_badges(app, "taro@example.com") == []


def test_revocation_reaches_the_holders_wallet(app, client, auth, outbox) -> None:
    from wallet.extensions import db
    from wallet.models import Award
    from wallet.services.issuing import claims

    with app.app_context():
        make_user("taro@example.com")
    (award_id,) = award_by_csv(app, "taro@example.com,コンクリート,太郎,2025-04-01,,,\n")
    auth.login()
    client.post(claim_path(outbox, "taro@example.com"))
    with app.test_request_context():
        claims.revoke(db.session.get(Award, award_id))
    (badge,) = wallet_badges(app, "taro@example.com")
    assert badge.result == "revoked"


def test_claim_verifies_without_any_network(app, client, monkeypatch, outbox) -> None:
    from wallet.openbadges.errors import FetchError
    from wallet.services import badges

    asked: list[str] = []

    class NoNetwork:
        def fetch(self, url: str, *, accept: str = "") -> None:
            asked.append(url)
            raise FetchError("no network in this test")

    monkeypatch.setattr(badges, "make_fetcher", lambda: NoNetwork())
    award_by_csv(app, "taro@example.com,コンクリート,太郎,2025-04-01,,,\n")
    assert client.post(claim_path(outbox, "taro@example.com"), data=registration()).status_code
    (badge,) = wallet_badges(app, "taro@example.com")
    assert badge.result == "valid"
    assert asked == []


def test_notice_follows_the_holders_language(app, outbox) -> None:
    from wallet.services import issuing
    from wallet.services.issuing import claims

    with app.app_context():
        make_user("en@example.com", language="en", name_order="given-first")
    with app.test_request_context():
        _, achievement = make_issuer()
        for address in ("en@example.com", "new@example.com"):
            claims.send_notice(issuing.award(achievement, row(email=address)).award)
        fresh = issuing.award(achievement, row(email="english@example.com", language="en"))
        claims.send_notice(fresh.award)
    assert outbox.to("en@example.com")[0]["Content-Language"] == "en"
    assert outbox.to("new@example.com")[0]["Content-Language"] == "ja"
    english = outbox.to("english@example.com")[0]
    assert english["Content-Language"] == "en"
    assert english["Subject"].startswith("Open Badge award from")
