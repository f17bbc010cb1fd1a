"""Sign-in limits that slow down guessing without letting a stranger lock a holder out.

Failures count per account and address, with windows that each add a longer wait; the much
higher account-wide limit applies only to devices that have never signed in to that account
(OWASP "device cookies"): a holder's own browser carries a signed cookie from its last sign-in
and is never refused because others guessed at the account from elsewhere.
"""

from __future__ import annotations

import hashlib
import hmac

from flask import current_app
from flask import request
from flask.wrappers import Response
from flask_limiter.util import get_remote_address
from itsdangerous import BadSignature
from itsdangerous import URLSafeSerializer

DEVICE_COOKIE = "wallet_device"
DEVICE_MAX_AGE = 60 * 60 * 24 * 365


def _email() -> str:
    """Return the address a sign-in attempt names, normalised like account keys."""
    return (request.form.get("email") or "").strip().lower()[:254]


def _digest(text: str) -> str:
    """Return a keyed digest, so limit keys in a shared store do not list addresses."""
    key = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()[:32]


def account_address_key() -> str:
    """Rate-limit key: one account from one address."""
    return "login-aa:" + _digest(_email() + "\x1f" + get_remote_address())


def account_key() -> str:
    """Rate-limit key: one account, whatever the address."""
    return "login-a:" + _digest(_email())


def failed(response: Response) -> bool:
    """Count only failed attempts (a wrong password answers 422)."""
    return response.status_code == 422


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="wallet.device")


def known_device() -> bool:
    """Return whether this browser has signed in to the account it now names before."""
    token = request.cookies.get(DEVICE_COOKIE, "")
    if not token or len(token) > 500:
        return False
    try:
        names = _serializer().loads(token)
    except BadSignature:
        return False
    return isinstance(names, list) and _digest(_email()) in names


def remember_device(response: Response, email: str) -> None:
    """Mark this browser as one the account signs in from (kept a year, a few accounts)."""
    names: list[str] = []
    token = request.cookies.get(DEVICE_COOKIE, "")
    if token and len(token) <= 500:
        try:
            loaded = _serializer().loads(token)
        except BadSignature:
            loaded = []
        names = [n for n in loaded if isinstance(n, str)] if isinstance(loaded, list) else []
    digest = _digest(email.strip().lower())
    names = ([digest] + [n for n in names if n != digest])[:5]
    response.set_cookie(
        DEVICE_COOKIE,
        _serializer().dumps(names),
        max_age=DEVICE_MAX_AGE,
        httponly=True,
        samesite="Lax",
        secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")),
    )
