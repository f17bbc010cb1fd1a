"""Passkeys through the web endpoints with a software authenticator: register several, sign in,
confirm it's you, remove; every check the server must make (challenge, origin, user
verification, sign counter, owner) refused one at a time. tests/browser has the Chromium journey.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy import update

from tests.conftest import PASSWORD
from tests.conftest import make_user
from tests.soft_authenticator import SoftAuthenticator
from wallet.extensions import db
from wallet.models import Passkey
from wallet.models import PasskeyChallenge
from wallet.models import UserSession
from wallet.models import utcnow

ORIGIN = "https://wallet.example.test"  # WALLET_BASE_URL in tests/conftest.py


@pytest.fixture
def signed_in(app, client, user):
    response = client.post("/auth/login", data={"email": user["email"], "password": PASSWORD})
    assert response.status_code == 303
    return client


@pytest.fixture
def authenticator() -> SoftAuthenticator:
    return SoftAuthenticator(ORIGIN)


def add_passkey(client, authenticator, name="My phone", **bend) -> dict:
    options = client.post("/account/passkeys/options", json={})
    assert options.status_code == 200, options.get_data(as_text=True)
    credential = authenticator.create(options.get_json()["options"], **bend)
    return client.post("/account/passkeys", json={"name": name, "credential": credential})


def passkey_login(client, authenticator, **bend):
    options = client.post("/auth/passkey/options", json={}).get_json()["options"]
    assert options["allowCredentials"] == []  # discoverable: no address asked first
    assert options["userVerification"] == "required"
    return client.post(
        "/auth/passkey", json={"credential": authenticator.get(options, **bend), "next": "/badges"}
    )


def stored(app) -> list[Passkey]:
    with app.app_context():
        rows = list(db.session.scalars(select(Passkey).order_by(Passkey.id)))
        db.session.expunge_all()
        return rows


def test_register_sign_out_sign_in_remove(app, client, signed_in, authenticator):
    options = client.post("/account/passkeys/options", json={}).get_json()["options"]
    assert options["rp"]["id"] == "wallet.example.test"
    assert options["authenticatorSelection"]["residentKey"] == "required"
    assert options["authenticatorSelection"]["userVerification"] == "required"
    assert add_passkey(client, authenticator).status_code == 200
    assert add_passkey(client, authenticator, name="Laptop").status_code == 200
    keys = stored(app)
    assert [k.name for k in keys] == ["My phone", "Laptop"]
    assert keys[0].transports == "internal,hybrid" and keys[0].backed_up is True
    page = client.get("/account").get_data(as_text=True)
    assert "My phone" in page and "Laptop" in page

    client.post("/auth/logout")
    assert client.get("/account").status_code == 302
    response = passkey_login(client, authenticator)
    assert response.status_code == 200
    assert response.get_json() == {"redirect": "/badges"}
    assert client.get("/account").status_code == 200
    with app.app_context():
        (session,) = db.session.scalars(select(UserSession)).all()
        assert session.method == "passkey"
    assert stored(app)[1].sign_count == 1 and stored(app)[1].last_used_at is not None

    first = stored(app)[0]
    assert client.post(f"/account/passkeys/{first.public_id}/delete").status_code == 303
    assert [k.name for k in stored(app)] == ["Laptop"]
    client.post("/auth/logout")
    refused = passkey_login(client, authenticator, credential=authenticator.credentials[0])
    assert refused.status_code == 400
    assert refused.get_json()["error"] == "unknown"


def test_user_verification_is_required(app, client, signed_in, authenticator):
    assert add_passkey(client, authenticator, verified=False).status_code == 400
    assert stored(app) == []
    assert add_passkey(client, authenticator).status_code == 200
    client.post("/auth/logout")
    response = passkey_login(client, authenticator, verified=False)
    assert response.status_code == 400
    assert client.get("/account").status_code == 302


def test_a_sign_counter_that_goes_back_is_refused(app, client, signed_in, authenticator):
    add_passkey(client, authenticator)
    client.post("/auth/logout")
    assert passkey_login(client, authenticator, counter_step=5).status_code == 200
    client.post("/auth/logout")
    cloned = passkey_login(client, authenticator, counter_step=-3)  # a copy of the key
    assert cloned.status_code == 400
    assert client.get("/account").status_code == 302


def test_another_origin_is_refused(app, client, signed_in, authenticator):
    assert add_passkey(client, authenticator, origin="https://evil.example").status_code == 400
    add_passkey(client, authenticator)
    client.post("/auth/logout")
    assert passkey_login(client, authenticator, origin="https://evil.example").status_code == 400


def test_a_challenge_works_once(app, client, signed_in, authenticator):
    add_passkey(client, authenticator)
    client.post("/auth/logout")
    options = client.post("/auth/passkey/options", json={}).get_json()["options"]
    with client.session_transaction() as saved:
        challenge_id = saved["passkey_login"]
    assert (
        client.post("/auth/passkey", json={"credential": authenticator.get(options)}).status_code
        == 200
    )
    client.post("/auth/logout")
    with client.session_transaction() as replayed:
        replayed["passkey_login"] = challenge_id  # the old session cookie, replayed
    again = client.post("/auth/passkey", json={"credential": authenticator.get(options)})
    assert again.status_code == 400 and again.get_json()["error"] == "expired"


def test_an_old_challenge_is_refused(app, client, signed_in, authenticator):
    add_passkey(client, authenticator)
    client.post("/auth/logout")
    options = client.post("/auth/passkey/options", json={}).get_json()["options"]
    with app.app_context():
        db.session.execute(
            update(PasskeyChallenge).values(created_at=utcnow() - timedelta(minutes=6))
        )
        db.session.commit()
    response = client.post("/auth/passkey", json={"credential": authenticator.get(options)})
    assert response.get_json()["error"] == "expired"


def test_another_holders_passkey_cannot_be_removed_or_used_to_confirm(
    app, client, signed_in, authenticator
):
    add_passkey(client, authenticator)
    (taro_key,) = stored(app)
    with app.app_context():
        make_user("jiro@example.com", given_name="次郎")
    jiro = app.test_client()
    jiro.post("/auth/login", data={"email": "jiro@example.com", "password": PASSWORD})
    assert jiro.post(f"/account/passkeys/{taro_key.public_id}/delete").status_code == 404
    options = jiro.post("/auth/passkey/reauth/options", json={}).get_json()["options"]
    assert options["allowCredentials"] == []  # jiro has none of his own
    confirm = jiro.post("/auth/passkey/reauth", json={"credential": authenticator.get(options)})
    assert confirm.status_code == 400
    assert len(stored(app)) == 1


def test_confirm_its_you_with_a_passkey(app, client, signed_in, authenticator):
    add_passkey(client, authenticator)
    with app.app_context():
        db.session.execute(
            update(UserSession).values(authenticated_at=utcnow() - timedelta(hours=1))
        )
        db.session.commit()
    assert client.get("/account/export").status_code == 303
    options = client.post("/auth/passkey/reauth/options", json={}).get_json()["options"]
    assert len(options["allowCredentials"]) == 1
    response = client.post(
        "/auth/passkey/reauth",
        json={"credential": authenticator.get(options), "next": "/account/export"},
    )
    assert response.get_json() == {"redirect": "/account/export"}
    assert client.get("/account/export").status_code == 200


def test_an_unconfirmed_address_cannot_add_passkeys(app, client, authenticator):
    with app.app_context():
        make_user("late@example.com", verified=False, language="en")
    client.post("/auth/login", data={"email": "late@example.com", "password": PASSWORD})
    response = client.post("/account/passkeys/options", json={})
    assert response.status_code == 403
    page = client.get("/account", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Confirm your email address before adding a passkey." in page
    assert "data-passkey-register" not in page


@pytest.mark.parametrize(
    "credential", [None, "x", {"id": "AAAA"}, {"id": "x" * 70_000}, [1, 2, 3], 42]
)
def test_garbage_answers_are_refused_cleanly(app, client, signed_in, credential):
    client.post("/account/passkeys/options", json={})
    response = client.post("/account/passkeys", json={"name": "x", "credential": credential})
    assert response.status_code == 400
    client.post("/auth/logout")
    client.post("/auth/passkey/options", json={})
    response = client.post("/auth/passkey", json={"credential": credential})
    assert response.status_code == 400
    assert client.post("/auth/passkey", data="not json").status_code == 400


def test_the_login_page_offers_passkeys_in_the_address_field(client):
    html = client.get("/auth/login").get_data(as_text=True)
    assert 'autocomplete="username webauthn"' in html
    assert "/static/js/passkeys.js" in html
    assert "data-passkey-login" in html


def test_an_operator_signing_in_with_a_passkey_lands_on_the_portal(
    app, client, signed_in, authenticator, user
):
    from wallet.models import User

    assert add_passkey(client, authenticator).status_code == 200
    client.post("/auth/logout")
    with app.app_context():
        holder = db.session.scalars(select(User).where(User.email == user["email"])).one()
        holder.role = "operator"
        db.session.commit()
    options = client.post("/auth/passkey/options", json={}).get_json()["options"]
    response = client.post("/auth/passkey", json={"credential": authenticator.get(options)})
    assert response.get_json() == {"redirect": "/issuing/"}
