"""The application factory: configuration, extensions, blueprints, handlers and CLI, wired."""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask

from wallet import config as defaults
from wallet.config import InsecureConfiguration

__all__ = ["InsecureConfiguration", "build_app"]


def build_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Create and wire the Flask application (see wallet.create_app)."""
    app = Flask("wallet", instance_relative_config=True)
    app.config.from_object(defaults.Config)
    app.config.from_prefixed_env("WALLET")
    if config:
        app.config.update(config)
    _finish_config(app)

    from wallet.cli import commands
    from wallet.extensions import babel
    from wallet.extensions import csrf
    from wallet.extensions import db
    from wallet.extensions import limiter
    from wallet.extensions import login_manager
    from wallet.extensions import migrate
    from wallet.web import errors
    from wallet.web import observability
    from wallet.web import page_cache
    from wallet.web import wiring
    from wallet.web.db_pool import ping_when_idle
    from wallet.web.i18n import select_locale
    from wallet.web.unread_body import DrainUnreadBody

    db.init_app(app)
    with app.app_context():
        ping_when_idle(db.engine, float(app.config["DATABASE_PING_IDLE_SECONDS"]))
    migrations = Path(__file__).resolve().parents[2] / "migrations"
    migrate.init_app(app, db, directory=str(migrations), render_as_batch=True)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    limiter.init_app(app)
    login_manager.init_app(app)
    wiring.init_app(app)
    errors.register_error_handlers(app)
    commands.register(app)
    app.shell_context_processor(_shell_context)
    page_cache.install(app)
    observability.install(app)  # request ids, logs and metrics; outside the cache, inside ProxyFix
    app.wsgi_app = DrainUnreadBody(  # type: ignore[method-assign]
        app.wsgi_app, int(app.config.get("MAX_CONTENT_LENGTH") or 0)
    )
    _trust_proxies(app)  # outermost: the cache sees the client's address and scheme
    return app


def _trust_proxies(app: Flask) -> None:
    """Behind N reverse proxies, take the client address and scheme from X-Forwarded-* headers.

    Only the last N hops are believed (a client can send any header), so rate limits key on the
    real address and request.is_secure follows the proxy's TLS.
    """
    hops = int(app.config.get("PROXY_FIX") or 0)
    if hops > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops
        )


def _finish_config(app: Flask) -> None:
    """Derive settings from the WALLET_* ones and refuse unsafe production settings."""
    config = app.config
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    _check_secrets(app)
    if config["ENV"] == "production":
        # Flask's own default (False) is already in config, so setdefault would not set it.
        config["SESSION_COOKIE_SECURE"] = True
    url = config.get("DATABASE_URL") or "sqlite:///" + os.path.join(app.instance_path, "wallet.db")
    config["SQLALCHEMY_DATABASE_URI"] = url
    # A copy: Config's dict is shared by every app built in this process.
    options = {} if url.startswith("sqlite") else dict(config["SQLALCHEMY_ENGINE_OPTIONS"])
    # Database errors quote their statement's parameters (addresses, names): keep them out of logs.
    options.setdefault("hide_parameters", True)
    config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    if not config.get("MAIL_OUTBOX_DIR"):
        config["MAIL_OUTBOX_DIR"] = os.path.join(app.instance_path, "outbox")
    config["RATELIMIT_STORAGE_URI"] = config["RATELIMIT_STORAGE_URL"]
    # Flask-Login's remember cookie lives as long as a remembered session may (30 days at most).
    config["REMEMBER_COOKIE_DURATION"] = timedelta(days=min(float(config["REMEMBER_DAYS"]), 30.0))
    config["BASE_URL"] = str(config["BASE_URL"]).rstrip("/")
    if config["BASE_URL"].startswith("https://"):
        config["SESSION_COOKIE_SECURE"] = True
        config.setdefault("REMEMBER_COOKIE_SECURE", True)
    if config.get("HTMX_LOCAL"):
        config["HTMX_SRC"] = "/static/vendor/htmx.min.js"
    networks = config.get("FETCH_ALLOWED_NETWORKS") or ""
    if isinstance(networks, str):
        networks = [n.strip() for n in networks.split(",") if n.strip()]
    config["FETCH_ALLOWED_NETWORKS"] = list(networks)


def _check_secrets(app: Flask) -> None:
    """Refuse the built-in key outside debugging and tests, and weak keys in production.

    Development without a configured key (`make run` on a fresh machine) gets a random key
    generated once in the instance folder, so no two installations share one.
    """
    from wallet.services import secret_keys

    config = app.config
    lenient = bool(config.get("TESTING") or config.get("DEBUG"))
    builtin = (None, "", defaults.DEFAULT_SECRET_KEY)
    if config.get("SECRET_KEY") in builtin and not lenient:
        if config["ENV"] != "development":
            raise InsecureConfiguration(
                "WALLET_SECRET_KEY must be set to a random value of at least "
                f"{secret_keys.MIN_SECRET_BYTES} bytes. {secret_keys.HOW_TO_MAKE}"
            )
        config["SECRET_KEY"] = secret_keys.instance_secret(app.instance_path)
    if config.get("ISSUER_KEY_SECRET") == defaults.DEFAULT_SECRET_KEY and not lenient:
        raise InsecureConfiguration(
            f"WALLET_ISSUER_KEY_SECRET must not be the built-in key. {secret_keys.HOW_TO_MAKE}"
        )
    # The suite builds production apps with its own keys (TESTING); a real deployment never does.
    if config["ENV"] != "production" or config.get("TESTING"):
        return
    for name in ("SECRET_KEY", "ISSUER_KEY_SECRET"):
        value = config.get(name)
        # An unset ISSUER_KEY_SECRET falls back to SECRET_KEY (services/issuing/keys.py).
        if (value or name == "SECRET_KEY") and secret_keys.weak_secret(value):
            raise InsecureConfiguration(
                f"WALLET_{name} is too weak for production: use at least "
                f"{secret_keys.MIN_SECRET_BYTES} random bytes. {secret_keys.HOW_TO_MAKE}"
            )


def _shell_context() -> dict[str, Any]:
    """Names available in `wallet shell`."""
    from wallet import models
    from wallet.extensions import db

    return {"db": db, "User": models.User}
