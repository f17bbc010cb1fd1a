"""Server-side sessions: sign-out revokes, lifetimes, re-authentication, devices, squatting.

ASVS 4.0 3.2.1, 3.3.1 (logout invalidates), 3.3.2 (lifetimes), 3.3.3, 3.3.4 (sessions listed and
ended), 3.7.1 (re-authentication before sensitive actions); the pre-registration takeover.
"""

from __future__ import annotations

import re
from datetime import timedelta
from email.utils import parsedate_to_datetime

import pytest
from sqlalchemy import select
from sqlalchemy import update

from tests.conftest import PASSWORD
from tests.conftest import STRONG_PASSWORD
from tests.conftest import make_user
from wallet.extensions import db
from wallet.models import User
from wallet.models import UserSession
from wallet.models import utcnow

SESSION = "wallet_session"
REMEMBER = "remember_token"


def login(client, remember: bool = False, email: str = "taro@example.com", **headers: str):
    data = {"email": email, "password": PASSWORD}
    if remember:
        data["remember"] = "y"
    response = client.post("/auth/login", data=data, headers=headers)
    assert response.status_code == 303
    return response


def signed_in(client) -> bool:
    """Return whether the client's cookies open the account page."""
    return client.get("/account").status_code == 200


def replay(app, **cookies: str):
    """Return a fresh client that sends only the given cookies."""
    client = app.test_client()
    for name, value in cookies.items():
        client.set_cookie(name, value)
    return client


def age(app, *, last_seen: timedelta | None = None, created: timedelta | None = None, fresh=None):
    """Move every session's clocks back by the given amounts."""
    values = {}
    now = utcnow()
    if last_seen is not None:
        values["last_seen_at"] = now - last_seen
    if created is not None:
        values["created_at"] = now - created
    if fresh is not None:
        values["authenticated_at"] = now - fresh
    with app.app_context():
        db.session.execute(update(UserSession).values(**values))
        db.session.commit()


def session_rows(app) -> list[UserSession]:
    with app.app_context():
        rows = list(db.session.scalars(select(UserSession).order_by(UserSession.id)))
        db.session.expunge_all()
        return rows


# --- sign-out ends the session on the server --------------------------------------------------


def test_cookies_replayed_after_sign_out_open_nothing(app, client, user):
    login(client, remember=True)
    session_cookie = client.get_cookie(SESSION).value
    remember_cookie = client.get_cookie(REMEMBER).value
    assert signed_in(replay(app, **{SESSION: session_cookie}))
    assert client.post("/auth/logout").status_code == 303
    assert not signed_in(replay(app, **{SESSION: session_cookie}))
    assert not signed_in(replay(app, **{REMEMBER: remember_cookie}))
    assert not signed_in(replay(app, **{SESSION: session_cookie, REMEMBER: remember_cookie}))
    assert session_rows(app) == []


def test_the_database_keeps_no_usable_secret(app, client, user):
    login(client)
    secret = client.get_cookie(SESSION).value
    (row,) = session_rows(app)
    assert len(row.token_hash) == 64
    with app.test_request_context():
        from flask import current_app

        data = current_app.session_interface.get_signing_serializer(current_app).loads(secret)
    assert data["_user_id"].split(":", 1)[1] not in row.token_hash


def test_each_sign_in_is_its_own_session(app, user):
    first, second = app.test_client(), app.test_client()
    login(first)
    login(second)
    assert len(session_rows(app)) == 2
    first.post("/auth/logout")
    assert not signed_in(first)
    assert signed_in(second)


# --- lifetimes -------------------------------------------------------------------------------


def test_the_remember_cookie_lasts_30_days_at_most(app, client, user):
    response = login(client, remember=True)
    (cookie,) = [c for c in response.headers.getlist("Set-Cookie") if c.startswith(REMEMBER)]
    expires = parsedate_to_datetime(re.search(r"Expires=([^;]+)", cookie).group(1))
    assert expires - utcnow() <= timedelta(days=30, minutes=1)


def test_remember_days_over_30_are_capped(app_config, tmp_path):
    from wallet import create_app

    app = create_app({**app_config, "REMEMBER_DAYS": 364})
    assert app.config["REMEMBER_COOKIE_DURATION"] == timedelta(days=30)


def test_an_idle_session_ends(app, client, user):
    login(client)
    age(app, last_seen=timedelta(minutes=29))
    assert signed_in(client)
    age(app, last_seen=timedelta(minutes=31))
    assert not signed_in(client)
    assert session_rows(app) == []


def test_a_busy_session_still_ends_at_its_absolute_lifetime(app, client, user):
    login(client)
    age(app, created=timedelta(hours=12, minutes=1), last_seen=timedelta(minutes=1))
    assert not signed_in(client)


def test_a_remembered_session_lasts_longer_but_not_forever(app, client, user):
    login(client, remember=True)
    remember_cookie = client.get_cookie(REMEMBER).value
    age(app, created=timedelta(days=6), last_seen=timedelta(days=6))
    assert signed_in(replay(app, **{REMEMBER: remember_cookie}))
    age(app, created=timedelta(days=6), last_seen=timedelta(days=8))  # idle a week
    assert not signed_in(replay(app, **{REMEMBER: remember_cookie}))


def test_a_remembered_session_ends_after_30_days_even_when_used(app, client, user):
    login(client, remember=True)
    remember_cookie = client.get_cookie(REMEMBER).value
    age(app, created=timedelta(days=30, minutes=1), last_seen=timedelta(hours=1))
    assert not signed_in(replay(app, **{REMEMBER: remember_cookie}))


def test_lifetimes_are_configurable(app_config, tmp_path):
    from wallet import create_app

    app = create_app({**app_config, "SESSION_IDLE_MINUTES": 5})
    with app.app_context():
        db.create_all()
        make_user()
    client = app.test_client()
    login(client)
    age(app, last_seen=timedelta(minutes=6))
    assert not signed_in(client)
    with app.app_context():
        db.drop_all()


# --- re-authentication -------------------------------------------------------------------------


def test_export_on_a_session_restored_from_the_remember_cookie_asks_to_confirm(app, client, user):
    login(client, remember=True)
    restored = replay(app, **{REMEMBER: client.get_cookie(REMEMBER).value})
    age(app, fresh=timedelta(hours=2))
    page = restored.get("/account/export")
    assert page.status_code == 303
    assert page.headers["Location"].startswith("/auth/reauth?next=/account/export")
    download = restored.post("/account/export")
    assert download.status_code == 303
    assert "/auth/reauth" in download.headers["Location"]
    wrong = restored.post(
        "/auth/reauth", data={"password": "Wrong+pass1", "next": "/account/export"}
    )
    assert wrong.status_code == 422
    right = restored.post("/auth/reauth", data={"password": PASSWORD, "next": "/account/export"})
    assert right.status_code == 303
    assert right.headers["Location"] == "/account/export"
    assert restored.get("/account/export").status_code == 200
    assert restored.post("/account/export").mimetype == "application/zip"


def test_passkey_changes_ask_to_confirm(app, client, user):
    login(client)
    age(app, fresh=timedelta(hours=1))
    response = client.post("/account/passkeys/options", json={})
    assert response.status_code == 401
    assert response.get_json()["url"].startswith("/auth/reauth")
    removal = client.post("/account/passkeys/nosuchkey/delete")
    assert removal.status_code == 303
    assert "/auth/reauth" in removal.headers["Location"]


def test_reauth_refuses_foreign_next_targets(app, client, user):
    login(client)
    response = client.post("/auth/reauth", data={"password": PASSWORD, "next": "//evil.example"})
    assert response.headers["Location"] == "/account"


# --- the account page lists devices; sign out one --------------------------------------------


def test_account_page_lists_devices_and_signs_out_one(app, client, user):
    phone = app.test_client()
    login(phone, **{"User-Agent": "Mozilla/5.0 (Linux; Android 14) Chrome/130.0 Mobile"})
    login(client, **{"User-Agent": "Mozilla/5.0 (Windows NT 10.0) Firefox/133.0"})
    page = client.get("/account").get_data(as_text=True)
    assert "Chrome / Android" in page
    assert "Firefox / Windows" in page
    assert page.count("/end") == 2
    phone_row = next(r for r in session_rows(app) if r.device == "Chrome / Android")
    assert client.post(f"/account/sessions/{phone_row.public_id}/end").status_code == 303
    assert not signed_in(phone)
    assert signed_in(client)
    assert client.post(f"/account/sessions/{phone_row.public_id}/end").status_code == 404


def test_another_holders_session_cannot_be_ended(app, client, user):
    with app.app_context():
        make_user("jiro@example.com", given_name="次郎")
    jiro = app.test_client()
    login(jiro, email="jiro@example.com")
    login(client)
    jiro_row = next(r for r in session_rows(app) if r.user_id != user["id"])
    assert client.post(f"/account/sessions/{jiro_row.public_id}/end").status_code == 404
    assert signed_in(jiro)


def test_signing_out_this_device_from_the_list(app, client, user):
    login(client)
    (row,) = session_rows(app)
    response = client.post(f"/account/sessions/{row.public_id}/end")
    assert response.headers["Location"] == "/auth/login"
    assert not signed_in(client)


# --- pre-registration takeover ----------------------------------------------------------------


@pytest.mark.parametrize("proof", ["reset", "claim"])
def test_a_squatted_account_is_reset_when_its_address_is_first_proven(app, outbox, proof):
    from wallet.services import accounts

    squatter = app.test_client()
    form = {
        "email": "victim@example.com",
        "family_name": "Squat",
        "given_name": "Ter",
        "name_order": "given-first",
        "language": "en",
        "password": STRONG_PASSWORD,
        "password_confirm": STRONG_PASSWORD,
    }
    assert squatter.post("/auth/register", data=form).status_code == 303
    squatter.post("/auth/login", data={"email": form["email"], "password": STRONG_PASSWORD})
    squatter.post(
        "/account",
        data={
            "family_name": "Squat",
            "given_name": "Ter",
            "name_order": "given-first",
            "language": "en",
            "default_visibility": "private",
            "profile_public": "y",
        },
    )
    with app.app_context():
        victim = accounts.find_by_email("victim@example.com")
        victim.mastodon_instance = "squat.example"
        db.session.commit()
        old_profile = victim.profile_id
        assert victim.profile_public and victim.email_verified_at is None
    assert squatter.get(f"/u/{old_profile}").status_code == 200

    owner = app.test_client()
    if proof == "reset":
        owner.post("/auth/forgot", data={"email": "victim@example.com"})
        link = outbox.links(outbox.to("victim@example.com")[-1])[0]
        path = link.replace(app.config["BASE_URL"], "")
        data = {"password": "Owner+lantern77", "password_confirm": "Owner+lantern77"}
        assert owner.post(path, data=data).status_code == 303
    else:
        with app.test_request_context():
            victim = accounts.find_by_email("victim@example.com")
            victim.current_session = None
            accounts.prove_address(victim)  # what claims.claim does first with the link
    with app.app_context():
        victim = accounts.find_by_email("victim@example.com")
        assert victim.email_verified_at is not None
        assert victim.profile_public is False
        assert victim.default_visibility == "public"
        assert victim.mastodon_instance is None
        assert victim.profile_id != old_profile
    assert squatter.get(f"/u/{old_profile}").status_code == 404
    assert not signed_in(squatter)


def test_a_confirmed_account_keeps_its_settings_on_reset(app, client, outbox, user):
    from wallet.services import accounts

    with app.app_context():
        holder = db.session.get(User, user["id"])
        accounts.update_profile(holder, profile_public=True)
        profile = holder.profile_id
    client.post("/auth/forgot", data={"email": user["email"]})
    path = outbox.links(outbox.last())[0].replace(app.config["BASE_URL"], "")
    data = {"password": "Owner+lantern77", "password_confirm": "Owner+lantern77"}
    assert client.post(path, data=data).status_code == 303
    with app.app_context():
        holder = db.session.get(User, user["id"])
        assert holder.profile_public is True
        assert holder.profile_id == profile
