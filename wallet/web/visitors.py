"""Who sent the request: the signed-in holder, or whether anyone can be signed in at all."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import current_app
from flask_login import current_user

# Flask-Login's default name, used unless REMEMBER_COOKIE_NAME is set.
REMEMBER_COOKIE_DEFAULT = "remember_token"


def may_be_signed_in(cookies: Mapping[str, str]) -> bool:
    """Return whether a session or remember cookie was sent (without one, nobody is signed in)."""
    config = current_app.config
    return (
        config["SESSION_COOKIE_NAME"] in cookies
        or config.get("REMEMBER_COOKIE_NAME", REMEMBER_COOKIE_DEFAULT) in cookies
    )


def signed_in_user() -> Any:
    """Return the signed-in User itself: services get the model, not Flask-Login's proxy."""
    return current_user._get_current_object()  # type: ignore[attr-defined]
