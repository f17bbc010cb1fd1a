"""Web wiring: blueprints, sign-in loader, security headers and template helpers."""

from __future__ import annotations

from flask import Flask
from flask import Request
from flask import Response
from flask import g
from flask import redirect
from flask import request
from flask import url_for
from flask.sessions import SecureCookieSession
from flask.sessions import SecureCookieSessionInterface
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from wallet.extensions import login_manager
from wallet.models import names
from wallet.services import dates
from wallet.web import focus
from wallet.web import htmx

SECURITY_HEADERS = "wallet_security_headers"  # app.extensions key: (name, value) pairs


def init_app(app: Flask) -> None:
    """Register blueprints, sign-in handling, headers and template globals on app."""
    from wallet.web.views import account
    from wallet.web.views import addresses
    from wallet.web.views import auth
    from wallet.web.views import award_batches
    from wallet.web.views import claim
    from wallet.web.views import collection_public
    from wallet.web.views import collections
    from wallet.web.views import connections
    from wallet.web.views import data
    from wallet.web.views import documents
    from wallet.web.views import importing
    from wallet.web.views import issuer_admin
    from wallet.web.views import issuer_docs
    from wallet.web.views import issuing
    from wallet.web.views import main
    from wallet.web.views import ops
    from wallet.web.views import passkeys
    from wallet.web.views import profile
    from wallet.web.views import public
    from wallet.web.views import receive
    from wallet.web.views import share
    from wallet.web.views import wallet

    app.register_blueprint(main.bp)
    app.register_blueprint(ops.bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(account.bp)
    app.register_blueprint(addresses.bp)
    app.register_blueprint(profile.bp)
    app.register_blueprint(passkeys.bp)
    app.register_blueprint(public.bp)
    app.register_blueprint(share.bp)
    app.register_blueprint(data.bp)
    app.register_blueprint(documents.bp)
    app.register_blueprint(issuer_docs.bp)
    app.register_blueprint(claim.bp)
    app.register_blueprint(issuing.bp)
    app.register_blueprint(issuer_admin.bp)
    app.register_blueprint(award_batches.bp)
    app.register_blueprint(wallet.bp)
    app.register_blueprint(importing.bp)
    app.register_blueprint(receive.bp)
    app.register_blueprint(collections.bp)
    app.register_blueprint(collection_public.bp)
    app.register_blueprint(connections.bp)

    from wallet import api

    api.init_app(app)

    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please sign in to continue.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
    login_manager.user_loader(_load_user)
    login_manager.unauthorized_handler(_unauthorized)

    app.extensions[SECURITY_HEADERS] = (
        ("Content-Security-Policy", content_security_policy(app.config["HTMX_SRC"])),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "strict-origin-when-cross-origin"),
        ("X-Frame-Options", "DENY"),
        ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"),
    )
    app.after_request(_security_headers)
    app.session_interface = CookieSessions()
    app.context_processor(_template_globals)
    app.jinja_env.globals["full_name"] = names.full_name
    app.jinja_env.globals["full_name_kana"] = names.full_name_kana
    app.jinja_env.globals["first_error"] = focus.first_error


def _load_user(session_id: str):
    """Load the signed-in user from the session id (see User.get_id)."""
    from wallet.services.accounts import load_session_user

    return load_session_user(session_id)


def _unauthorized() -> Response:
    """Send visitors to sign-in; htmx gets HX-Redirect so no login page lands in a fragment."""
    from flask import flash

    target = url_for("auth.login", next=request.full_path.rstrip("?"))
    if htmx.is_htmx():
        return htmx.redirect(target)
    flash(login_manager.login_message, login_manager.login_message_category)
    return redirect(target)  # type: ignore[return-value]


def content_security_policy(htmx_src: str) -> str:
    """Return the CSP: scripts from us, plus the one pinned htmx file when it is not ours.

    The exact file URL, not its host: no other file of the CDN could run here.
    """
    script_src = "'self'" if htmx_src.startswith("/") else f"'self' {htmx_src}"
    return (
        "default-src 'self'; "
        f"script-src {script_src}; "
        "style-src 'self'; "
        "img-src 'self' data:; "
        "font-src 'self'; "
        "connect-src 'self'; "
        "object-src 'none'; "
        "base-uri 'none'; "
        "form-action 'self'; "
        "frame-ancestors 'none'"
    )


def _security_headers(response: Response) -> Response:
    """Add CSP and the other protective headers to every response (a view's own take precedence)."""
    from flask import current_app

    headers = response.headers
    present = {name.lower() for name in headers.keys()}
    for name, value in current_app.extensions[SECURITY_HEADERS]:
        if name.lower() not in present:
            headers.add(name, value)
    if (
        _signed_in()
        and request.blueprint not in ("public", "collection_public")
        and "no-store" not in headers.get("Cache-Control", "")
    ):
        # A holder's pages (and their files) must not be kept by the browser or any cache;
        # the public verification pages keep their own revalidating policy.
        headers["Cache-Control"] = "no-store"
    if request.is_secure and "strict-transport-security" not in present:
        headers.add("Strict-Transport-Security", "max-age=31536000")
    return response


def _signed_in() -> bool:
    """Return whether this request was served to a signed-in user (never loads one itself)."""
    user = g.get("_login_user")
    return bool(user is not None and user.is_authenticated)


class CookieSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, without building a signer when no cookie was sent."""

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        """Return a new empty session at once for a request without the session cookie."""
        if app.secret_key and self.get_cookie_name(app) not in request.cookies:
            return self.session_class()
        return super().open_session(app, request)


def _template_globals() -> dict[str, object]:
    """Values every template may use."""
    from flask import current_app

    # No form objects here: this runs on every page render (base.html writes the language
    # switch by hand), and building a FlaskForm each time cost ~10% of the verification page.
    from wallet.web.i18n import reader_zone

    lang = str(get_locale() or "en")
    # Every date a page shows goes through these, in the reader's zone (services/dates.py).
    return {
        "lang": lang,
        "htmx_src": current_app.config["HTMX_SRC"],
        "htmx_sri": current_app.config["HTMX_SRI"],
        "format_day": lambda value: dates.format_day(value, lang, reader_zone()),
        "format_when": lambda day, moment: dates.format_when(day, moment, lang, reader_zone()),
        "format_moment": lambda value: dates.format_moment(value, lang, reader_zone()),
        "zone_name": lambda: dates.zone_name(reader_zone(), lang),
        "cookieless": g.get("cookieless", False),
    }
