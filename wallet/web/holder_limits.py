"""A per-account limit for signed-in actions that spend CPU (PDFs, exports, signing awards)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from typing import TypeVar

from flask import current_app
from flask_limiter.util import get_remote_address
from flask_login import current_user

from wallet.extensions import limiter

View = TypeVar("View", bound=Callable[..., Any])


def holder_key() -> str:
    """Rate-limit key: the signed-in account, whatever the IP (the address otherwise)."""
    if current_user.is_authenticated:
        return f"heavy:{current_user.id}"
    return "heavy-ip:" + get_remote_address()


def heavy(view: View) -> View:
    """Limit a view to RATELIMIT_HEAVY per account (429 with Retry-After beyond it)."""
    return limiter.limit(  # type: ignore[no-any-return]
        lambda: current_app.config["RATELIMIT_HEAVY"], key_func=holder_key
    )(view)
