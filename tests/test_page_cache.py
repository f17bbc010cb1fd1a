"""The verification-page cache: what it serves, and every change that must get past it at once."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import UTC
from datetime import datetime
from datetime import timedelta

import pytest
from flask import template_rendered

from tests.conftest import make_user
from tests.hardening.test_failures import database_fails_on
from tests.public_helpers import add_badge
from wallet.web.page_cache import CachedVerificationPages

PAGE = "public/badge.html"


@contextmanager
def renders(app):
    """Yield a list that records each rendering of the verification page template."""
    seen: list[str] = []

    def record(sender, template, context, **extra):
        if template.name == PAGE:
            seen.append(template.name)

    template_rendered.connect(record, app)
    try:
        yield seen
    finally:
        template_rendered.disconnect(record, app)


@pytest.fixture
def badge_page(app):
    """A public badge of コンクリート 太郎; returns its URL."""
    with app.app_context():
        user = make_user()
        return f"/b/{add_badge(user.id).public_id}"


def per_page(headers) -> list[tuple[str, str]]:
    """Return the headers without the request id."""
    return [(k, v) for k, v in headers if k != "X-Request-ID"]


def cache_of(app) -> CachedVerificationPages:
    """Return the cache middleware in front of the app (inside the request telemetry)."""
    layer = app.wsgi_app
    while not isinstance(layer, CachedVerificationPages):
        layer = layer.next  # each middleware of ours names the next one `next`
    return layer


def _badge(app, url: str):
    from sqlalchemy import select

    from wallet.extensions import db
    from wallet.models import Badge

    return db.session.scalar(select(Badge).where(Badge.public_id == url.rsplit("/", 1)[1]))


def test_a_repeat_visit_is_answered_from_memory_byte_for_byte(app, badge_page):
    visitor = app.test_client()
    with renders(app) as rendered:
        first = visitor.get(badge_page)
        second = visitor.get(badge_page)
    assert first.status_code == second.status_code == 200
    assert len(rendered) == 1
    assert second.get_data() == first.get_data()
    # Byte for byte, but for the id each request gets (added outside the cache).
    assert per_page(second.headers) == per_page(first.headers)
    assert second.headers["X-Request-ID"] != first.headers["X-Request-ID"]
    assert "Set-Cookie" not in second.headers
    assert second.headers["Content-Security-Policy"].startswith("default-src 'self'")
    assert len(cache_of(app).pages) == 1


def test_a_badge_made_private_answers_404_at_once(app, badge_page):
    from wallet.services import badges

    visitor = app.test_client()
    assert "コンクリート技士" in visitor.get(badge_page).get_data(as_text=True)
    with app.app_context():
        badges.set_visibility(_badge(app, badge_page), "private")
    hidden = visitor.get(badge_page)
    assert hidden.status_code == 404
    assert "コンクリート技士" not in hidden.get_data(as_text=True)


def test_a_deleted_badge_answers_404_at_once(app, badge_page):
    visitor = app.test_client()
    assert visitor.get(badge_page).status_code == 200
    from wallet.services import badges

    with app.app_context():
        badges.delete(_badge(app, badge_page))
    assert visitor.get(badge_page).status_code == 404


def test_a_new_name_shows_at_once(app, badge_page):
    from wallet.extensions import db
    from wallet.models import User

    visitor = app.test_client()
    assert "コンクリート 太郎" in visitor.get(badge_page).get_data(as_text=True)
    with app.app_context():
        user = db.session.get(User, _badge(app, badge_page).user_id)
        user.given_name = "花子"
        db.session.commit()
    html = visitor.get(badge_page).get_data(as_text=True)
    assert "コンクリート 花子" in html and "太郎" not in html


def test_expiry_and_a_due_check_show_when_their_time_comes(app):
    with app.app_context():
        user = make_user()
        soon = datetime.now(UTC) + timedelta(days=2)
        badge_page = f"/b/{add_badge(user.id, expires=soon).public_id}"
    visitor = app.test_client()
    english = {"Accept-Language": "en"}
    before = visitor.get(badge_page, headers=english).get_data(as_text=True)
    assert "state-valid" in before and "a new check is due" not in before
    app.config["VERIFY_NOW"] = datetime.now(UTC) + timedelta(days=3)
    after = visitor.get(badge_page, headers=english).get_data(as_text=True)
    assert "state-expired" in after
    assert "a new check is due" in after  # the stored check is now three days old


@pytest.mark.parametrize(
    ("accept", "cookie", "query", "lang"),
    [
        ("en-GB,en;q=0.9", None, "", "en"),
        ("ja,en;q=0.5", None, "", "ja"),
        ("ja", "en", "", "en"),
        ("en", "ja", "", "ja"),
        ("ja", "en", "?lang=ja", "ja"),
        ("ja", None, "?lang=en&utm_source=x", "en"),
        ("ja", None, "?lang=xx", "ja"),
        (None, None, "", "en"),
    ],
)
def test_each_visitor_gets_their_language_from_memory_too(
    app, badge_page, accept, cookie, query, lang
):
    visitor = app.test_client()
    if cookie:
        visitor.set_cookie("wallet_lang", cookie)
    headers = {"Accept-Language": accept} if accept else {}
    # Fill the cache with both languages first, then ask as this visitor (twice).
    for warm in ("ja", "en"):
        app.test_client().get(f"{badge_page}?lang={warm}")
    with renders(app) as rendered:
        answers = [visitor.get(badge_page + query, headers=headers) for _ in range(2)]
    assert all(f'<html lang="{lang}">' in a.get_data(as_text=True) for a in answers)
    assert len(rendered) <= 1  # at most the first of the two, when its key was new


def test_a_signed_in_holder_is_never_served_or_stored(app, client, auth, user):
    with app.app_context():
        badge_page = f"/b/{add_badge(user['id']).public_id}"
    auth.login()
    pages = cache_of(app).pages
    with renders(app) as rendered:
        for _ in range(2):
            html = client.get(badge_page).get_data(as_text=True)
            assert "Sign out" in html or "サインアウト" in html or "ログアウト" in html
    assert len(rendered) == 2
    assert len(pages) == 0
    visitor_html = app.test_client().get(badge_page).get_data(as_text=True)
    assert "csrf_token" not in visitor_html


@pytest.mark.parametrize(
    "app_config",
    [{"RATELIMIT_ENABLED": True, "RATELIMIT_PUBLIC_MISSES": "2 per minute"}],
    indirect=True,
)
def test_an_address_over_its_miss_limit_gets_429_even_for_a_kept_page(app, badge_page):
    prober = app.test_client()
    assert prober.get(badge_page).status_code == 200
    assert prober.get(badge_page).status_code == 200  # views are not counted
    for n in range(2):
        assert prober.get(f"/b/zzzzzzzzzzzzzzzzzzz{n}").status_code == 404
    assert prober.get(badge_page).status_code == 429
    assert prober.get("/b/zzzzzzzzzzzzzzzzzzz9").status_code == 429
    other = app.test_client().get(badge_page, environ_base={"REMOTE_ADDR": "198.51.100.7"})
    assert other.status_code == 200


@pytest.fixture
def app_config(app_config, request):
    """Allow a test to add settings through indirect parametrization."""
    app_config.update(getattr(request, "param", {}))
    return app_config


def test_a_failing_lookup_is_left_to_flask_which_answers_503(app, badge_page):
    visitor = app.test_client()
    assert visitor.get(badge_page).status_code == 200
    with database_fails_on(app, "SELECT badges.public_id") as seen:
        response = visitor.get(badge_page)
    assert len(seen) >= 2  # the middleware's lookup, then the view's
    assert response.status_code == 503
    assert "Traceback" not in response.get_data(as_text=True)


def test_https_and_http_pages_are_kept_apart(app, badge_page):
    visitor = app.test_client()
    secure = [visitor.get(badge_page, base_url="https://wallet.example.test") for _ in range(2)]
    plain = [visitor.get(badge_page, base_url="http://wallet.example.test") for _ in range(2)]
    assert all("Strict-Transport-Security" in r.headers for r in secure)
    assert all("Strict-Transport-Security" not in r.headers for r in plain)


@pytest.mark.parametrize("app_config", [{"PUBLIC_PAGE_CACHE_SIZE": 2}], indirect=True)
def test_the_cache_keeps_at_most_its_size(app):
    with app.app_context():
        user = make_user()
        pages = [f"/b/{add_badge(user.id, number=n).public_id}" for n in range(4)]
    visitor = app.test_client()
    for badge_page in pages:
        assert visitor.get(badge_page).status_code == 200
    assert len(cache_of(app).pages) == 2


@pytest.mark.parametrize("app_config", [{"PUBLIC_PAGE_CACHE_SIZE": 0}], indirect=True)
def test_size_zero_turns_the_cache_off(app, badge_page):
    assert not isinstance(app.wsgi_app, CachedVerificationPages)
    with renders(app) as rendered:
        for _ in range(2):
            assert app.test_client().get(badge_page).status_code == 200
    assert len(rendered) == 2


def test_other_methods_and_paths_pass_through(app, badge_page):
    visitor = app.test_client()
    visitor.get(badge_page)
    assert visitor.head(badge_page).status_code == 200
    assert visitor.post(badge_page).status_code == 405
    assert visitor.get(badge_page + "/qr.svg").status_code == 200
    assert len(cache_of(app).pages) == 1
