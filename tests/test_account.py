"""Account settings, password change, language choice and the htmx behaviour of forms."""

from __future__ import annotations

import html

import pytest
from sqlalchemy import select

from tests.conftest import PASSWORD
from tests.conftest import htmx_headers
from tests.conftest import make_user
from wallet.extensions import db
from wallet.models import User
from wallet.services import accounts
from wallet.web.i18n import LANG_COOKIE


def load(app, user_id: int) -> User:
    """Return the account as stored now (detached)."""
    with app.app_context():
        user = db.session.get(User, user_id)
        db.session.expunge(user)
        return user


def settings_form(**overrides: str) -> dict[str, str]:
    """Return a complete settings form."""
    data = {
        "family_name": "山田",
        "given_name": "花子",
        "family_name_kana": "やまだ",
        "given_name_kana": "はなこ",
        "romanized_name": "Hanako Yamada",
        "name_order": "given-first",
        "language": "en",
        "default_visibility": "private",
        "profile_public": "y",
    }
    data.update(overrides)
    return data


def greeting(client, outbox) -> tuple[str, str]:
    """Ask for a reset mail and return its language and first line (the name in order)."""
    client.post("/auth/forgot", data={"email": "taro@example.com"})
    message = outbox.to("taro@example.com")[-1]
    return message["Content-Language"], outbox.text(message).splitlines()[0]


@pytest.fixture
def signed_in(client, user, auth):
    """The holder コンクリート 太郎, signed in."""
    assert auth.login().status_code == 303
    return user


def test_settings_page_shows_the_current_values(client, signed_in):
    body = html.unescape(client.get("/account").get_data(as_text=True))
    assert 'value="コンクリート"' in body
    assert 'value="太郎"' in body
    assert "taro@example.com" in body
    assert 'name="email"' not in body


def test_settings_save_every_preference(app, client, outbox, signed_in):
    response = client.post("/account", data=settings_form())
    assert response.status_code == 303
    assert response.headers["Location"] == "/account"
    user = load(app, signed_in["id"])
    assert (user.family_name, user.given_name) == ("山田", "花子")
    assert (user.family_name_kana, user.given_name_kana) == ("やまだ", "はなこ")
    assert user.romanized_name == "Hanako Yamada"
    assert user.name_order == "given-first"
    assert user.language == "en"
    assert user.default_visibility == "private"
    assert user.profile_public is True
    assert '<html lang="en">' in client.get("/account").text
    lang, line = greeting(client, outbox)
    assert lang == "en"
    assert line == "Hello 花子 山田,"


def test_settings_clear_optional_fields_and_switch_back(app, client, outbox, signed_in):
    client.post("/account", data=settings_form())
    data = settings_form(
        family_name_kana="",
        given_name_kana="",
        romanized_name="",
        name_order="family-first",
        language="ja",
        default_visibility="public",
    )
    del data["profile_public"]
    assert client.post("/account", data=data).status_code == 303
    user = load(app, signed_in["id"])
    assert user.family_name_kana is None and user.given_name_kana is None
    assert user.romanized_name is None
    assert (user.name_order, user.language, user.default_visibility) == (
        "family-first",
        "ja",
        "public",
    )
    assert user.profile_public is False
    lang, line = greeting(client, outbox)
    assert lang == "ja"
    assert "山田 花子" in line and "花子 山田" not in line


def test_posted_email_is_ignored(app, client, signed_in):
    response = client.post("/account", data=settings_form(email="mallory@example.com"))
    assert response.status_code == 303
    user = load(app, signed_in["id"])
    assert user.email == "taro@example.com"
    assert user.email_key == "taro@example.com"


def test_posted_role_and_hash_are_ignored(app, client, signed_in):
    before = load(app, signed_in["id"])
    client.post(
        "/account", data=settings_form(role="operator", password_hash="x", passkey_handle="x")
    )
    user = load(app, signed_in["id"])
    assert user.role == "holder"
    assert user.password_hash == before.password_hash


@pytest.mark.parametrize(
    "field,value",
    [
        ("family_name", ""),
        ("given_name", "\u3000"),
        ("family_name", "x" * 101),
        ("romanized_name", "x" * 201),
        ("name_order", "upside-down"),
        ("language", "fr"),
        ("default_visibility", "everyone"),
    ],
)
def test_settings_refuse_bad_values(app, client, signed_in, field, value):
    before = load(app, signed_in["id"])
    response = client.post("/account", data=settings_form(**{field: value}))
    assert response.status_code == 422
    assert 'aria-invalid="true"' in response.get_data(as_text=True) or field in (
        "name_order",
        "default_visibility",
    )
    after = load(app, signed_in["id"])
    assert (after.family_name, after.given_name, after.language) == (
        before.family_name,
        before.given_name,
        before.language,
    )


def test_settings_need_sign_in(client, user):
    response = client.post("/account", data=settings_form())
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login")


# --- password --------------------------------------------------------------------------------


def change(client, current: str, new: str, confirm: str | None = None, **kwargs):
    """Post the change-password form."""
    return client.post(
        "/account/password",
        data={"current_password": current, "password": new, "password_confirm": confirm or new},
        **kwargs,
    )


def test_change_password(app, client, auth, signed_in):
    assert client.get("/account/password").status_code == 200
    response = change(client, PASSWORD, "Velvet#cactus42")
    assert response.status_code == 303
    assert response.headers["Location"] == "/account"
    assert client.get("/account").status_code == 200
    auth.logout()
    assert auth.login(password=PASSWORD).status_code == 422
    assert auth.login(password="Velvet#cactus42").status_code == 303


def test_change_password_refuses_a_wrong_current_password(app, client, auth, signed_in):
    client.post("/language", data={"lang": "en"})
    before = load(app, signed_in["id"]).password_hash
    response = change(client, "Wrong+pass1", "Velvet#cactus42", headers={"Accept-Language": "en"})
    assert response.status_code == 422
    assert "The current password is not correct." in response.get_data(as_text=True)
    assert load(app, signed_in["id"]).password_hash == before
    assert client.get("/account").status_code == 200


def test_change_password_applies_the_rule(app, client, signed_in):
    client.post("/language", data={"lang": "en"})
    before = load(app, signed_in["id"]).password_hash
    response = change(client, PASSWORD, "short", headers={"Accept-Language": "en"})
    assert response.status_code == 422
    assert "Use at least 8 characters." in response.get_data(as_text=True)
    assert change(client, PASSWORD, "Velvet#cactus42", "Br4nd+neW").status_code == 422
    assert load(app, signed_in["id"]).password_hash == before


# --- language --------------------------------------------------------------------------------


def test_accept_language_picks_the_default(client):
    assert '<html lang="ja">' in client.get("/", headers={"Accept-Language": "ja-JP"}).text
    assert '<html lang="en">' in client.get("/", headers={"Accept-Language": "en-GB"}).text
    assert (
        '<html lang="ja">'
        in client.get("/", headers={"Accept-Language": "fr, ja;q=0.8, en;q=0.5"}).text
    )
    assert '<html lang="en">' in client.get("/", headers={"Accept-Language": "fr"}).text
    assert '<html lang="en">' in client.get("/").text


def test_visitor_language_switch_sets_a_cookie(client):
    ja = {"Accept-Language": "ja"}
    response = client.post("/language", data={"lang": "en", "next": "/auth/login"}, headers=ja)
    assert response.status_code == 303
    assert response.headers["Location"] == "/auth/login"
    cookie = client.get_cookie(LANG_COOKIE)
    assert cookie is not None and cookie.value == "en"
    assert cookie.http_only
    assert (cookie.same_site or "").lower() == "lax"
    assert '<html lang="en">' in client.get("/auth/login", headers=ja).text
    client.post("/language", data={"lang": "ja"}, headers={"Accept-Language": "en"})
    assert '<html lang="ja">' in client.get("/", headers={"Accept-Language": "en"}).text


def test_language_switch_refuses_unknown_languages_and_foreign_next(client):
    response = client.post("/language", data={"lang": "fr", "next": "https://evil.example/"})
    assert response.status_code == 303
    assert response.headers["Location"] == "/"
    assert client.get_cookie(LANG_COOKIE) is None


def test_user_language_switch_is_stored(app, client, signed_in):
    response = client.post("/language", data={"lang": "en", "next": "/account"})
    assert response.headers["Location"] == "/account"
    assert load(app, signed_in["id"]).language == "en"
    # the account's choice wins over the browser's, on another device too
    other = app.test_client()
    other.post("/auth/login", data={"email": "taro@example.com", "password": PASSWORD})
    assert '<html lang="en">' in other.get("/", headers={"Accept-Language": "ja"}).text


def test_account_language_beats_the_cookie(app, client, signed_in):
    client.set_cookie(LANG_COOKIE, "en")
    assert '<html lang="ja">' in client.get("/").text


def test_language_form_on_every_page_posts_to_language(client):
    body = client.get("/auth/login").text
    assert 'action="/language"' in body
    assert 'name="lang" value="ja"' in body and 'name="lang" value="en"' in body


# --- htmx ------------------------------------------------------------------------------------


def test_htmx_validation_error_returns_only_the_fragment(client, signed_in):
    response = client.post(
        "/account", data=settings_form(family_name=""), headers=htmx_headers("profile-form")
    )
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "<html" not in body and "<head" not in body
    assert body.lstrip().startswith("<form")
    assert 'id="family_name-error"' in body
    assert "HX-Request" in response.headers.get("Vary", "")


def test_same_url_without_htmx_returns_the_full_page(client, signed_in):
    response = client.post("/account", data=settings_form(family_name=""))
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert body.startswith("<!doctype html>")
    assert 'id="family_name-error"' in body
    assert "HX-Request" in response.headers.get("Vary", "")
    page = client.get("/account")
    assert "HX-Request" in page.headers.get("Vary", "")


@pytest.mark.parametrize(
    "url,target,data",
    [
        ("/auth/login", "auth-form", {"email": "x"}),
        ("/auth/register", "auth-form", {"email": "taro@example.com"}),
        ("/auth/forgot", "auth-form", {"email": "not-an-email"}),
    ],
)
def test_htmx_fragments_of_visitor_forms(client, url, target, data):
    response = client.post(url, data=data, headers=htmx_headers(target))
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "<html" not in body
    assert body.lstrip().startswith("<form")
    assert 'aria-invalid="true"' in body
    full = client.post(url, data=data)
    assert full.status_code == 422 and "<html" in full.get_data(as_text=True)


def test_htmx_password_fragment(client, signed_in):
    response = change(
        client, "Wrong+pass1", "Velvet#cactus42", headers=htmx_headers("password-form")
    )
    assert response.status_code == 422
    assert "<html" not in response.get_data(as_text=True)
    assert 'id="current_password-error"' in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "extra",
    [
        {"HX-Boosted": "true"},
        {"HX-History-Restore-Request": "true"},
    ],
)
def test_boosted_and_history_restore_get_full_pages(client, signed_in, extra):
    response = client.post(
        "/account",
        data=settings_form(family_name=""),
        headers=htmx_headers("profile-form", **extra),
    )
    assert "<html" in response.get_data(as_text=True)


def test_htmx_request_for_another_target_gets_the_full_page(client, signed_in):
    response = client.post(
        "/account", data=settings_form(family_name=""), headers=htmx_headers("main")
    )
    assert "<html" in response.get_data(as_text=True)


def test_htmx_success_redirects_with_hx_redirect(client, signed_in):
    response = client.post("/account", data=settings_form(), headers=htmx_headers("profile-form"))
    assert response.status_code == 200
    assert response.headers["HX-Redirect"] == "/account"
    assert "Location" not in response.headers


def test_expired_session_on_htmx_answers_hx_redirect(app, client, signed_in):
    with app.app_context():
        user = db.session.get(User, signed_in["id"])
        accounts.end_all_sessions(user)  # as after a password change elsewhere
    response = client.post("/account", data=settings_form(), headers=htmx_headers("profile-form"))
    assert response.status_code in (200, 204)
    assert response.headers["HX-Redirect"] == "/auth/login?next=/account"
    assert "Location" not in response.headers
    assert "<form" not in response.get_data(as_text=True)
    assert load(app, signed_in["id"]).family_name == "コンクリート"


def test_visitor_htmx_get_of_a_private_page_answers_hx_redirect(client, user):
    response = client.get("/account", headers=htmx_headers("main"))
    assert response.headers["HX-Redirect"] == "/auth/login?next=/account"
    assert "Sign in" not in response.get_data(as_text=True)


def test_main_carries_the_csrf_header_for_htmx(app_config, app, client):
    app.config["WTF_CSRF_ENABLED"] = True
    body = client.get("/").text
    assert '<main id="main"' in body
    assert 'hx-headers=\'{"X-CSRFToken": "' in body


def test_htmx_post_with_the_csrf_header_passes(app, client):
    app.config["WTF_CSRF_ENABLED"] = True
    with app.app_context():
        make_user()
    body = client.get("/auth/login").text
    token = body.split('"X-CSRFToken": "', 1)[1].split('"', 1)[0]
    response = client.post(
        "/auth/login",
        data={"email": "taro@example.com", "password": PASSWORD},
        headers=htmx_headers("auth-form", **{"X-CSRFToken": token}),
    )
    assert response.status_code == 200
    assert response.headers["HX-Redirect"] == "/"
    with app.app_context():
        assert db.session.scalar(select(User.email)) == "taro@example.com"


def test_days_are_formatted_per_language():
    from datetime import date
    from datetime import datetime

    from wallet.services.dates import format_day

    assert format_day(date(2024, 4, 1), "ja") == "2024年4月1日"
    assert format_day(date(2024, 4, 1), "en") == "1 April 2024"
    assert format_day(datetime(2024, 12, 31, 23, 59), "ja") == "2024年12月31日"
    assert format_day(None, "en") == ""


def test_settings_link_to_export_delete_and_the_public_profile(app, client, user, auth):
    auth.login()
    page = client.get("/account").get_data(as_text=True)
    assert 'href="/account/export"' in page and 'href="/account/delete"' in page
    assert "/u/" not in page  # the profile is off by default
    with app.app_context():
        from wallet.extensions import db
        from wallet.models import User

        found = db.session.get(User, user["id"])
        found.profile_public = True
        profile_id = found.profile_id
        db.session.commit()
    page = client.get("/account").get_data(as_text=True)
    assert f'href="/u/{profile_id}"' in page
