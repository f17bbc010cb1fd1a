"""Account deletion: the password again, everything removed, session ended, public URLs 404."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func
from sqlalchemy import select

from tests.conftest import PASSWORD
from tests.conftest import htmx_headers
from tests.conftest import make_user
from tests.public_helpers import add_badge

SUFFIXES = ("", "/image.png", "/qr.svg", "/qr.png")


@pytest.fixture
def holder(app):
    """コンクリート 太郎 (English UI, messages readable): two public badges, one private."""
    with app.app_context():
        user = make_user(language="en")
        ids = [
            add_badge(user.id, number=1).public_id,
            add_badge(user.id, number=2).public_id,
            add_badge(user.id, number=3, visibility="private").public_id,
        ]
        return {"id": user.id, "public_ids": ids, "profile_id": user.profile_id}


def _counts(app) -> dict[str, int]:
    from wallet.extensions import db
    from wallet.models import Badge
    from wallet.models import BadgeContent
    from wallet.models import User

    with app.app_context():
        return {
            model.__tablename__: db.session.scalar(select(func.count()).select_from(model))
            for model in (User, Badge, BadgeContent)
        }


def test_delete_page_asks_for_the_password(client, auth, holder):
    auth.login()
    response = client.get("/account/delete")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'type="password"' in html and 'method="post"' in html
    assert 'autocomplete="current-password"' in html
    assert response.headers["Cache-Control"] == "no-store"


def test_wrong_password_is_refused_with_422_and_nothing_is_deleted(app, client, auth, holder):
    auth.login()
    before = _counts(app)
    response = client.post("/account/delete", data={"password": "Wrong-pass1"})
    assert response.status_code == 422
    assert "The password is not correct. Nothing was deleted." in response.get_data(as_text=True)
    assert _counts(app) == before
    assert client.get(f"/b/{holder['public_ids'][0]}").status_code == 200
    assert client.get("/account").status_code == 200  # still signed in


def test_empty_password_is_refused_with_422(app, client, auth, holder):
    auth.login()
    before = _counts(app)
    assert client.post("/account/delete", data={"password": ""}).status_code == 422
    assert _counts(app) == before


def test_wrong_password_with_htmx_returns_only_the_form(app, client, auth, holder):
    auth.login()
    response = client.post(
        "/account/delete", data={"password": "Wrong-pass1"}, headers=htmx_headers("delete-form")
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "<html" not in html and "<form" in html
    assert "Nothing was deleted" in html


def test_right_password_deletes_everything_and_ends_the_session(app, client, auth, holder):
    with app.app_context():
        other = make_user("hanako@example.com", family_name="山田", given_name="花子")
        kept = add_badge(other.id, number=9, recipient="hanako@example.com").public_id
    auth.login()
    for public_id in holder["public_ids"][:2]:
        assert client.get(f"/b/{public_id}").status_code == 200

    response = client.post("/account/delete", data={"password": PASSWORD})
    assert response.status_code == 303
    assert response.headers["Location"] == "/"
    assert response.headers["Clear-Site-Data"] == '"cache", "storage"'
    assert _counts(app) == {"users": 1, "badges": 1, "badge_contents": 1}

    landing = client.get("/", headers={"Accept-Language": "en"})
    assert "Your account and all its badges have been deleted." in landing.get_data(as_text=True)
    # The session is over: private pages send the visitor to sign in.
    assert client.get("/account").status_code in (302, 303)
    # Every public URL of the account is gone, with the same 404 as an unknown id.
    for public_id in holder["public_ids"]:
        for suffix in SUFFIXES:
            assert client.get(f"/b/{public_id}{suffix}").status_code == 404
    assert client.get(f"/u/{holder['profile_id']}").status_code == 404
    # Nobody else's data was touched.
    assert client.get(f"/b/{kept}").status_code == 200


def test_goodbye_message_is_in_the_deleted_accounts_language(app, client, auth):
    with app.app_context():
        make_user(language="ja")
    auth.login()
    client.post("/account/delete", data={"password": PASSWORD})
    landing = client.get("/", headers={"Accept-Language": "en"})
    assert landing.status_code == 200
    assert "Your account and all its badges have been deleted." not in landing.get_data(
        as_text=True
    )
    assert 'class="flash flash-success"' in landing.get_data(as_text=True)


def test_deleted_account_cannot_sign_in(app, client, auth, holder):
    auth.login()
    client.post("/account/delete", data={"password": PASSWORD})
    response = auth.login()
    assert response.status_code == 422
    assert client.get("/account").status_code in (302, 303)


def test_the_address_can_register_again_afterwards(app, client, auth, holder):
    auth.login()
    client.post("/account/delete", data={"password": PASSWORD})
    with app.app_context():
        again = make_user()
        assert again.profile_id != holder["profile_id"]


def test_old_session_cookie_is_useless_after_deletion(app, auth, holder):
    first = app.test_client()
    second = app.test_client()
    AuthActions = type(auth)
    AuthActions(first).login()
    AuthActions(second).login()
    assert second.get("/account").status_code == 200
    first.post("/account/delete", data={"password": PASSWORD})
    assert second.get("/account").status_code in (302, 303)


def test_delete_needs_sign_in(client, holder):
    assert client.get("/account/delete").status_code in (302, 303)
    response = client.post("/account/delete", data={"password": PASSWORD})
    assert response.status_code in (302, 303)
    assert "/auth/login" in response.headers["Location"]


@pytest.fixture
def csrf_on(app_config):
    """Turn CSRF protection on for this test's app."""
    app_config["WTF_CSRF_ENABLED"] = True


def _token(client, path: str) -> str:
    html = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html).group(1)


def test_delete_without_the_csrf_token_is_refused(csrf_on, app, client, holder):
    token = _token(client, "/auth/login")
    client.post(
        "/auth/login",
        data={"email": "taro@example.com", "password": PASSWORD, "csrf_token": token},
    )
    before = _counts(app)
    refused = client.post("/account/delete", data={"password": PASSWORD})
    assert refused.status_code == 400
    assert _counts(app) == before
    token = _token(client, "/account/delete")
    accepted = client.post("/account/delete", data={"password": PASSWORD, "csrf_token": token})
    assert accepted.status_code == 303
    assert _counts(app)["users"] == 0
