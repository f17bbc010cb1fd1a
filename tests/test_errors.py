"""Error pages in both languages, CSRF, htmx toasts and hostile input: a 4xx, never a 500."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from flask import abort
from sqlalchemy import func
from sqlalchemy import select

from tests.conftest import PASSWORD
from tests.conftest import htmx_headers
from tests.conftest import registration_form
from wallet.extensions import db
from wallet.models import User

ROOT = Path(__file__).resolve().parent.parent
JA_CATALOGUE = ROOT / "wallet/translations/ja/LC_MESSAGES/messages.mo"
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")

TITLES = {
    400: "Bad request",
    403: "Not allowed",
    404: "Not found",
    405: "Not allowed",
    413: "Too large",
    422: "Please check your input",
    429: "Too many attempts",
    500: "Something went wrong",
}


def ja_translates(msgid: str) -> bool:
    """Return whether the compiled Japanese catalogue translates msgid."""
    if not JA_CATALOGUE.exists():
        return False
    with JA_CATALOGUE.open("rb") as handle:
        message = read_mo(handle).get(msgid)
    return bool(message and message.string)


def user_count(app) -> int:
    """Return how many accounts exist."""
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(User))


@pytest.fixture
def limits_on(app_config):
    """Turn rate limiting on (before the app is built)."""
    app_config["RATELIMIT_ENABLED"] = True
    return app_config


@pytest.fixture
def error_app(limits_on, app):
    """The app with test-only routes that fail in each way."""

    @app.get("/_test/abort/<int:status>")
    def _abort(status: int):
        abort(status)

    @app.get("/_test/crash")
    def _crash():
        raise RuntimeError("boom: secret internals")

    @app.post("/_test/upload")
    def _upload():
        from flask import request

        return str(len(request.get_data()))

    from wallet.extensions import limiter

    @app.get("/_test/limited")
    @limiter.limit("1 per minute")
    def _limited():
        return "ok"

    return app


def trigger(client, status: int, headers: dict[str, str]):
    """Make the app answer with status."""
    if status in (400, 403, 422):
        return client.get(f"/_test/abort/{status}", headers=headers)
    if status == 404:
        return client.get("/no/such/page", headers=headers)
    if status == 405:
        return client.get("/auth/logout", headers=headers)
    if status == 413:
        return client.post(
            "/_test/upload",
            data=b"x" * 2048,
            headers=headers,
            content_type="application/octet-stream",
        )
    if status == 429:
        client.get("/_test/limited", headers=headers)
        return client.get("/_test/limited", headers=headers)
    assert status == 500
    return client.get("/_test/crash", headers=headers)


@pytest.fixture
def small_uploads(app_config):
    """Cap request bodies at 1 KiB."""
    app_config["MAX_CONTENT_LENGTH"] = 1024
    return app_config


@pytest.mark.parametrize("status", sorted(TITLES))
def test_error_pages_in_english(small_uploads, error_app, client, status):
    response = trigger(client, status, {"Accept-Language": "en"})
    assert response.status_code == status
    body = html.unescape(response.get_data(as_text=True))
    assert body.startswith("<!doctype html>")
    assert '<html lang="en">' in body
    assert f"<h1>{TITLES[status]}</h1>" in body
    assert "Traceback" not in body and "secret internals" not in body
    assert "Content-Security-Policy" in response.headers


@pytest.mark.parametrize("status", sorted(TITLES))
def test_error_pages_in_japanese(small_uploads, error_app, client, status):
    response = trigger(client, status, {"Accept-Language": "ja"})
    assert response.status_code == status
    body = html.unescape(response.get_data(as_text=True))
    assert '<html lang="ja">' in body
    assert "secret internals" not in body
    if not ja_translates(TITLES[status]):
        pytest.skip(f"Japanese catalogue does not translate {TITLES[status]!r} yet")
    assert TITLES[status] not in body
    assert JAPANESE.search(body.split("<h1>", 1)[1].split("</h1>", 1)[0])


@pytest.mark.parametrize("status", [400, 403, 404, 413, 500])
def test_htmx_errors_become_a_toast_in_flash(small_uploads, error_app, client, status):
    response = trigger(client, status, htmx_headers("main", **{"Accept-Language": "en"}))
    assert response.status_code == status
    assert response.headers["HX-Retarget"] == "#flash"
    assert response.headers["HX-Reswap"] == "innerHTML"
    body = html.unescape(response.get_data(as_text=True))
    assert "<html" not in body
    assert 'class="flash flash-error"' in body
    assert TITLES[status] in body
    assert "HX-Request" in response.headers.get("Vary", "")


def test_404_for_unknown_page_is_neutral(client):
    response = client.get("/b/doesnotexist", headers={"Accept-Language": "en"})
    assert response.status_code == 404
    assert "not disclosed or does not exist" in response.get_data(as_text=True)


# --- CSRF ------------------------------------------------------------------------------------


@pytest.fixture
def csrf_on(app_config):
    """Turn CSRF protection on."""
    app_config["WTF_CSRF_ENABLED"] = True
    return app_config


CSRF_MESSAGE = "Your form expired or was not sent from this site."


@pytest.mark.parametrize(
    "url,data",
    [
        ("/auth/register", registration_form()),
        ("/auth/login", {"email": "taro@example.com", "password": PASSWORD}),
        ("/auth/forgot", {"email": "taro@example.com"}),
        ("/language", {"lang": "en"}),
        ("/auth/logout", {}),
    ],
)
def test_missing_csrf_token_is_a_clear_400(csrf_on, app, client, user, outbox, url, data):
    response = client.post(url, data=data, headers={"Accept-Language": "en"})
    assert response.status_code == 400
    assert CSRF_MESSAGE in response.get_data(as_text=True)
    assert user_count(app) == 1
    assert outbox.messages() == []
    assert client.get_cookie("wallet_lang") is None


def test_wrong_csrf_token_is_refused(csrf_on, app, client):
    response = client.post("/auth/register", data={**registration_form(), "csrf_token": "forged"})
    assert response.status_code == 400
    assert user_count(app) == 0


def test_csrf_error_on_htmx_is_a_toast(csrf_on, app, client):
    response = client.post(
        "/auth/login",
        data={"email": "a@example.com", "password": "x"},
        headers=htmx_headers("auth-form", **{"Accept-Language": "en"}),
    )
    assert response.status_code == 400
    assert response.headers["HX-Retarget"] == "#flash"
    assert CSRF_MESSAGE in response.get_data(as_text=True)


def test_registration_works_with_the_csrf_token(csrf_on, app, client):
    page = client.get("/auth/register").get_data(as_text=True)
    token = re.search(r'id="csrf_token" name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert token, page
    response = client.post(
        "/auth/register", data={**registration_form(), "csrf_token": token.group(1)}
    )
    assert response.status_code == 303
    assert user_count(app) == 1


# --- hostile input ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "field,value",
    [
        ("email", "a" * 250 + "@example.com"),
        ("email", "x@" + "a" * 300 + ".com"),
        ("family_name", "山" * 101),
        ("given_name", "x" * 10_000),
        ("family_name_kana", "や" * 101),
        ("romanized_name", "R" * 201),
        ("password", "Aa1" * 3000),
    ],
)
def test_over_long_registration_fields(app, client, outbox, field, value):
    data = registration_form(**{field: value})
    if field == "password":
        data["password_confirm"] = value
    response = client.post("/auth/register", data=data)
    assert response.status_code == 422
    assert user_count(app) == 0
    assert outbox.messages() == []


def test_over_long_sign_in_fields(client, user):
    response = client.post("/auth/login", data={"email": "a" * 5000, "password": "p" * 100_000})
    assert response.status_code in (413, 422)


@pytest.mark.parametrize(
    "address",
    [
        "plainaddress",
        "@example.com",
        "taro@",
        "taro@@example.com",
        "taro@example..com",
        "taro example@example.com",
        "<script>@example.com",
        "taro@example.com\r\nBcc: victim@example.org",
        "taro@example.com\nSubject: hi",
        "taro@example.com,other@example.com",
        "\x00@example.com",
    ],
)
def test_malformed_emails_are_refused(app, client, outbox, user, address):
    response = client.post("/auth/register", data=registration_form(email=address))
    assert response.status_code == 422
    assert "email-error" in response.get_data(as_text=True)
    assert client.post("/auth/forgot", data={"email": address}).status_code == 422
    assert user_count(app) == 1
    assert outbox.messages() == []


@pytest.mark.parametrize("value", ["a\x00b", "\x07bell", "tab\there", "line\nbreak"])
def test_control_characters_in_names_are_refused(app, client, value):
    response = client.post("/auth/register", data=registration_form(family_name=value))
    assert response.status_code == 422
    assert user_count(app) == 0


@pytest.mark.parametrize(
    "body",
    [
        b"email=%FF%FE%FD&family_name=%C3%28&given_name=x&password=Passw0rd&password_confirm=Passw0rd",
        b"email=\xff\xfe@example.com&family_name=\xc3\x28&given_name=\xed\xa0\x80"
        b"&name_order=family-first&language=ja&password=Passw0rd&password_confirm=Passw0rd",
        b"\xff\xfe\xfd",
    ],
)
@pytest.mark.parametrize("url", ["/auth/register", "/auth/login", "/auth/forgot"])
def test_invalid_utf8_in_form_bodies(app, client, outbox, url, body):
    response = client.post(url, data=body, content_type="application/x-www-form-urlencoded")
    assert 400 <= response.status_code < 500
    assert user_count(app) == 0
    assert outbox.messages() == []


def test_undecodable_percent_escapes_never_store_broken_text(app, client):
    body = (
        b"email=hanako%40example.com&family_name=%ED%A0%80&given_name=%F4%90%80%80"
        b"&name_order=family-first&language=ja&password=Passw0rd&password_confirm=Passw0rd"
    )
    response = client.post(
        "/auth/register", data=body, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code in (303, 422)
    with app.app_context():
        for user in db.session.scalars(select(User)):
            for value in (user.family_name, user.given_name):
                value.encode("utf-8")  # no lone surrogates
                assert "\ufffd" not in value


def test_invalid_utf8_in_a_multipart_body(app, client):
    body = (
        b'--b\r\nContent-Disposition: form-data; name="email"\r\n\r\n\xff\xfe\r\n'
        b'--b\r\nContent-Disposition: form-data; name="family_name"\r\n\r\n\xc3\x28\r\n--b--\r\n'
    )
    response = client.post(
        "/auth/register", data=body, content_type="multipart/form-data; boundary=b"
    )
    assert 400 <= response.status_code < 500
    assert user_count(app) == 0


@pytest.mark.parametrize(
    "path",
    [
        "/auth/verify/%FF%FE",
        "/auth/verify/%C3%28",
        "/auth/reset/%ED%A0%80",
        "/auth/login?next=%FF%FE",
        "/auth/register?lang=%C3%28",
        "/%FF",
        "/auth/verify/\x00",
    ],
)
def test_invalid_utf8_in_urls(client, path):
    response = client.get(path)
    assert 200 <= response.status_code < 500
    assert response.status_code != 500


@pytest.mark.parametrize(
    "raw", ["/auth/verify/\xff\xfe", "/auth/reset/\xc3\x28", "/\xed\xa0\x80", "/auth/\xff"]
)
def test_raw_non_utf8_bytes_in_the_path(client, raw):
    # PATH_INFO carries the raw bytes decoded as latin-1, as a WSGI server hands them over.
    response = client.get("/", environ_overrides={"PATH_INFO": raw})
    assert 400 <= response.status_code < 500


def test_reset_post_with_invalid_utf8(app, client, outbox, user):
    client.post("/auth/forgot", data={"email": "taro@example.com"})
    link = [u for u in re.findall(r"https?://\S+", outbox.text(outbox.last())) if "/reset/" in u][0]
    path = link.split("wallet.example.test", 1)[1]
    response = client.post(
        path,
        data=b"password=\xff\xfe\xfd\xfc\xfb\xfa\xf9\xf8&password_confirm=\xff\xfe",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 422
    assert (
        client.post(
            "/auth/login", data={"email": "taro@example.com", "password": PASSWORD}
        ).status_code
        == 303
    )


def test_too_many_form_fields_is_a_4xx(client):
    body = b"&".join(b"f%d=x" % i for i in range(5000))
    response = client.post(
        "/auth/login", data=body, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code in (400, 413, 422)


def test_unexpected_error_rolls_back_and_shows_500(app_config, app, client):
    @app.post("/_test/half-written")
    def _half_written():

        db.session.add(
            User(
                email="half@example.com",
                email_key="half@example.com",
                family_name="半",
                given_name="分",
                password_hash="x",
            )
        )
        db.session.flush()
        raise RuntimeError("after a write")

    response = client.post("/_test/half-written", headers={"Accept-Language": "en"})
    assert response.status_code == 500
    assert "Something went wrong" in response.get_data(as_text=True)
    assert user_count(app) == 0
