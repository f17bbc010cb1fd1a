"""What a request says about its sender before anyone is loaded from the database."""

from __future__ import annotations

from collections.abc import Mapping

from flask import current_app

# Flask-Login's default name, used unless REMEMBER_COOKIE_NAME is set.
REMEMBER_COOKIE_DEFAULT = "remember_token"


def may_be_signed_in(cookies: Mapping[str, str]) -> bool:
    """Return whether a session or remember cookie was sent (without one, nobody is signed in)."""
    config = current_app.config
    return (
        config["SESSION_COOKIE_NAME"] in cookies
        or config.get("REMEMBER_COOKIE_NAME", REMEMBER_COOKIE_DEFAULT) in cookies
    )
