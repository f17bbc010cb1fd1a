"""The application factory: configuration layers, production guard, isolation, headers, cookies."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import make_config
from wallet import config as defaults
from wallet import create_app
from wallet.web.factory import InsecureConfiguration

ROOT = Path(__file__).resolve().parent.parent
REAL_SECRET = "q3Vh0Zr5nE8xKc2LwY7uT1pA9sDfGjHbMiN4oQ6_Rk-"  # 43 characters: 32 random bytes


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """Remove every WALLET_* variable so a test sees only the ones it sets."""
    for name in list(os.environ):
        if name.startswith("WALLET_"):
            monkeypatch.delenv(name)
    return monkeypatch


def test_defaults_apply_without_env_or_mapping(clean_env, tmp_path):
    app = create_app({"MAIL_OUTBOX_DIR": str(tmp_path / "outbox")})
    assert app.config["ENV"] == "development"
    # Development without a key: a generated per-instance secret, never the built-in one.
    assert app.config["SECRET_KEY"] != defaults.DEFAULT_SECRET_KEY
    assert app.config["BASE_URL"] == "http://127.0.0.1:5000"
    assert app.config["MAIL_BACKEND"] == "outbox"


def test_env_overrides_defaults_and_mapping_overrides_env(clean_env, tmp_path):
    clean_env.setenv("WALLET_BASE_URL", "https://env.example.org/")
    clean_env.setenv("WALLET_MAIL_FROM", "Env <env@example.org>")
    clean_env.setenv("WALLET_SMTP_PORT", "2525")
    clean_env.setenv("WALLET_RATELIMIT_ENABLED", "false")
    app = create_app({"MAIL_FROM": "Mapping <map@example.org>", "DATABASE_URL": "sqlite://"})
    # env beats defaults (and is JSON-decoded where it can be)
    assert app.config["BASE_URL"] == "https://env.example.org"
    assert app.config["SMTP_PORT"] == 2525
    assert app.config["RATELIMIT_ENABLED"] is False
    # the mapping beats env
    assert app.config["MAIL_FROM"] == "Mapping <map@example.org>"


def test_mapping_beats_env_for_database_url(clean_env, tmp_path):
    clean_env.setenv("WALLET_DATABASE_URL", "sqlite:///" + str(tmp_path / "env.db"))
    app = create_app({"DATABASE_URL": "sqlite:///" + str(tmp_path / "mapping.db")})
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith("mapping.db")
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith("env.db")


def test_production_refuses_the_default_secret(clean_env):
    with pytest.raises(InsecureConfiguration):
        create_app({"ENV": "production", "DATABASE_URL": "sqlite://"})
    with pytest.raises(InsecureConfiguration):
        create_app({"ENV": "production", "SECRET_KEY": "", "DATABASE_URL": "sqlite://"})


def test_production_from_env_refuses_the_default_secret(clean_env):
    clean_env.setenv("WALLET_ENV", "production")
    clean_env.setenv("WALLET_DATABASE_URL", "sqlite://")
    with pytest.raises(InsecureConfiguration):
        create_app()


def test_production_starts_with_a_real_secret(clean_env):
    clean_env.setenv("WALLET_ENV", "production")
    clean_env.setenv("WALLET_SECRET_KEY", REAL_SECRET)
    app = create_app({"DATABASE_URL": "sqlite://"})
    assert app.config["ENV"] == "production"
    assert app.config["SECRET_KEY"] == REAL_SECRET
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.test_client().get("/").status_code == 200


def test_database_defaults_to_sqlite_in_the_instance_folder(clean_env):
    app = create_app()
    expected = "sqlite:///" + os.path.join(app.instance_path, "wallet.db")
    assert app.config["SQLALCHEMY_DATABASE_URI"] == expected
    assert Path(app.instance_path).is_dir()
    assert app.config["MAIL_OUTBOX_DIR"] == os.path.join(app.instance_path, "outbox")


def test_openbadges_imports_without_flask():
    code = (
        "import importlib, pkgutil, sys\n"
        "import wallet.openbadges as ob\n"
        "for m in pkgutil.walk_packages(ob.__path__, 'wallet.openbadges.'):\n"
        "    importlib.import_module(m.name)\n"
        "bad = [n for n in ('flask', 'sqlalchemy', 'flask_sqlalchemy', 'werkzeug')"
        " if n in sys.modules]\n"
        "web = [n for n in sys.modules if n.startswith('wallet.')"
        " and not n.startswith('wallet.openbadges')]\n"
        "assert not bad and not web, (bad, web)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr


def csp_directives(header: str) -> dict[str, list[str]]:
    """Split a Content-Security-Policy header into its directives."""
    directives = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0]] = words[1:]
    return directives


@pytest.mark.parametrize("path", ["/", "/auth/login", "/auth/register", "/no-such-page"])
def test_security_headers_on_every_page(client, path):
    response = client.get(path)
    csp = response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in csp
    assert "unsafe-eval" not in csp
    directives = csp_directives(csp)
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["base-uri"] == ["'none'"]
    assert directives["default-src"] == ["'self'"]
    # The one pinned htmx file, not the whole CDN host.
    assert directives["script-src"] == ["'self'", defaults.HTMX_CDN_URL]
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_security_headers_on_htmx_fragments(client):
    response = client.post(
        "/auth/login", data={}, headers={"HX-Request": "true", "HX-Target": "auth-form"}
    )
    assert response.status_code == 422
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


def test_local_htmx_drops_the_cdn_from_script_src(app_config):
    app_config["HTMX_LOCAL"] = True
    app = create_app(app_config)
    response = app.test_client().get("/auth/login")
    directives = csp_directives(response.headers["Content-Security-Policy"])
    assert directives["script-src"] == ["'self'"]
    assert b"/static/vendor/htmx.min.js" in response.data


def test_pages_need_no_inline_script_or_style(client):
    for path in ("/", "/auth/login", "/auth/register", "/auth/forgot", "/nowhere"):
        html = client.get(path).get_data(as_text=True)
        assert "<style" not in html
        assert " style=" not in html
        for tag in html.split("<script")[1:]:
            assert " src=" in tag.split(">", 1)[0], f"inline script on {path}"


def test_htmx_is_pinned_with_sri(client):
    html = client.get("/").get_data(as_text=True)
    assert f"htmx.org@{defaults.HTMX_VERSION}/" in html
    assert f'integrity="{defaults.HTMX_SRI}"' in html
    assert '"allowEval":false' in html
    assert '"allowScriptTags":false' in html
    assert '"includeIndicatorStyles":false' in html


def session_cookie_header(client, app) -> str:
    """Sign in and return the Set-Cookie header of the session cookie."""
    response = client.post(
        "/auth/login", data={"email": "taro@example.com", "password": "Passw0rd!"}
    )
    assert response.status_code == 303
    name = app.config["SESSION_COOKIE_NAME"]
    cookies = [c for c in response.headers.getlist("Set-Cookie") if c.startswith(name + "=")]
    assert cookies, response.headers
    return cookies[-1]


def test_session_cookie_flags_under_https(app, client, user):
    assert app.config["BASE_URL"].startswith("https://")
    header = session_cookie_header(client, app).lower()
    assert "; httponly" in header
    assert "; samesite=lax" in header
    assert "; secure" in header


def test_session_cookie_not_secure_over_plain_http(tmp_path):
    from tests.conftest import make_user
    from wallet.extensions import db

    app = create_app(make_config(tmp_path, BASE_URL="http://127.0.0.1:5000"))
    with app.app_context():
        db.create_all()
        make_user()
    header = session_cookie_header(app.test_client(), app).lower()
    assert "; httponly" in header
    assert "; samesite=lax" in header
    assert "; secure" not in header
    with app.app_context():
        db.drop_all()
        db.engine.dispose()


def test_remember_cookie_flags_under_https(app, client, user):
    response = client.post(
        "/auth/login",
        data={"email": "taro@example.com", "password": "Passw0rd!", "remember": "y"},
    )
    assert response.status_code == 303
    cookies = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("remember_token=")]
    assert cookies
    header = cookies[0].lower()
    assert "; httponly" in header
    assert "; samesite=lax" in header
    assert "; secure" in header
