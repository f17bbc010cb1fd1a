"""Passkeys on the web: sign in with one, confirm it's you with one, add and remove them.

The ceremonies are JSON calls made by static/js/passkeys.js (WebAuthn needs JavaScript); the
challenge id rides in the session cookie and the challenge itself stays on the server.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint
from flask import abort
from flask import current_app
from flask import flash
from flask import jsonify
from flask import request
from flask import session
from flask import url_for
from flask.wrappers import Response
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required

from wallet.extensions import limiter
from wallet.services import passkeys
from wallet.services import sessions
from wallet.web import login_limits
from wallet.web.forms import ConfirmForm
from wallet.web.rendering import landing_page
from wallet.web.rendering import redirect_to
from wallet.web.rendering import safe_next_url
from wallet.web.signin import fresh_required
from wallet.web.signin import sign_in
from wallet.web.visitors import signed_in_user

bp = Blueprint("passkeys", __name__)

MESSAGES = {
    "expired": _l("The passkey request expired. Please try again."),
    "invalid": _l("The passkey could not be checked. Please try again."),
    "exists": _l("This passkey is already registered."),
    "unknown": _l("This passkey is not registered with this wallet."),
    "too_many": _l("You have the most passkeys an account can have. Remove one first."),
    "unverified": _l("Confirm your email address before adding a passkey."),
}
LOGIN = "passkey_login"
REAUTH = "passkey_reauth"
REGISTER = "passkey_register"


def _limit() -> str:
    return current_app.config["RATELIMIT_PASSKEY"]


def _failure(code: str, status: int = 400) -> tuple[Response, int]:
    """Answer a failed ceremony with its reason in the holder's language."""
    return jsonify({"error": code, "message": str(MESSAGES[code])}), status


def _body() -> dict[str, Any]:
    """Return the JSON object the script posted (empty when there is none)."""
    data = request.get_json(silent=True)
    return data if isinstance(data, dict) else {}


def _options(ceremony: passkeys.Ceremony, key: str) -> Response:
    session[key] = ceremony.challenge_id
    return jsonify({"options": json.loads(ceremony.options)})


@bp.post("/auth/passkey/options")
@limiter.limit(_limit)
def login_options() -> Response:
    """Start a sign-in with any passkey of this wallet (discoverable credentials)."""
    return _options(passkeys.authentication_options(), LOGIN)


@bp.post("/auth/passkey")
@limiter.limit(_limit)
def login() -> Any:
    """Sign in with the passkey the browser answered with."""
    try:
        user = passkeys.authenticate(session.pop(LOGIN, None), _body().get("credential"))
    except passkeys.PasskeyError as failure:
        return _failure(failure.code)
    sign_in(user, method="passkey")
    target = safe_next_url(_body().get("next")) or url_for(landing_page(user))
    response = jsonify({"redirect": target})
    login_limits.remember_device(response, user.email)
    return response


@bp.post("/auth/passkey/reauth/options")
@login_required
@limiter.limit(_limit)
def reauth_options() -> Response:
    """Start confirming it's you with one of your passkeys."""
    return _options(passkeys.authentication_options(signed_in_user()), REAUTH)


@bp.post("/auth/passkey/reauth")
@login_required
@limiter.limit(_limit)
def reauth() -> Any:
    """Confirm it's you with a passkey; then go back to what you were doing."""
    holder = signed_in_user()
    try:
        passkeys.authenticate(session.pop(REAUTH, None), _body().get("credential"), holder)
    except passkeys.PasskeyError as failure:
        return _failure(failure.code)
    sessions.mark_fresh(holder)
    return jsonify({"redirect": safe_next_url(_body().get("next")) or url_for("account.settings")})


@bp.post("/account/passkeys/options")
@login_required
@fresh_required("account.settings")
@limiter.limit(_limit)
def register_options() -> Any:
    """Start adding a passkey to the account (after confirming it's you)."""
    holder = signed_in_user()
    if not holder.is_verified:
        return _failure("unverified", 403)
    return _options(passkeys.registration_options(holder), REGISTER)


@bp.post("/account/passkeys")
@login_required
@fresh_required("account.settings")
@limiter.limit(_limit)
def register() -> Any:
    """Store the passkey the browser created, under the name the holder gave it."""
    holder = signed_in_user()
    body = _body()
    name = str(body.get("name") or "")[:100]
    try:
        passkeys.register(holder, session.pop(REGISTER, None), body.get("credential"), name)
    except passkeys.PasskeyError as failure:
        return _failure(failure.code)
    flash(_("The passkey was added. You can sign in with it now."), "success")
    return jsonify({"redirect": url_for("account.settings") + "#passkeys"})


@bp.post("/account/passkeys/<public_id>/delete")
@login_required
@fresh_required("account.settings")
def remove(public_id: str) -> Response:
    """Remove one of the holder's passkeys (a plain form; no JavaScript needed)."""
    if ConfirmForm().validate_on_submit():
        if not passkeys.remove(signed_in_user(), public_id):
            abort(404)
        flash(_("The passkey was removed."), "info")
    return redirect_to(url_for("account.settings") + "#passkeys")
