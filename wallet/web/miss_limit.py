"""A per-address limit on misses of public URLs: slows down guessing ids, never real visitors.

A verification page may be opened by a whole hall behind one address (a QR code on a poster),
so views are not counted; 404s are. An address over the limit gets 429 for every public URL,
found or not, so the answer to a guess says nothing about the id.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import lru_cache
from functools import wraps
from typing import Any
from typing import TypeVar

from flask import abort
from flask import current_app
from flask_limiter.util import get_remote_address
from limits import RateLimitItem
from limits import parse
from werkzeug.exceptions import NotFound

from wallet.extensions import limiter

log = logging.getLogger(__name__)

NAMESPACE = "public-misses"
View = TypeVar("View", bound=Callable[..., Any])


@lru_cache(maxsize=8)
def _item(text: str) -> RateLimitItem:
    """Return the parsed limit (parsed once per distinct setting)."""
    return parse(text)


def _limit() -> RateLimitItem | None:
    """Return the configured limit, or None when rate limiting is off."""
    config = current_app.config
    if not config.get("RATELIMIT_ENABLED", True):
        return None
    return _item(str(config["RATELIMIT_PUBLIC_MISSES"]))


def over_limit(address: str) -> bool:
    """Return whether address has used up its misses (False when rate limiting is off)."""
    item = _limit()
    if item is None:
        return False
    try:
        return not limiter.limiter.test(item, NAMESPACE, address)
    except Exception:  # the limit store being down must not take verification pages down
        log.warning("public miss limit unavailable", exc_info=True)
        return False


def _count_miss(address: str) -> None:
    """Count one 404 against address."""
    item = _limit()
    if item is None:
        return
    try:
        limiter.limiter.hit(item, NAMESPACE, address)
    except Exception:  # as above: fail open, the ids are unguessable anyway
        log.warning("public miss limit unavailable", exc_info=True)


def miss_limited(view: View) -> View:
    """Refuse an address over its miss limit with 429; count the view's 404s against it."""

    @wraps(view)
    def limited(*args: Any, **kwargs: Any) -> Any:
        address = get_remote_address()
        if over_limit(address):
            abort(429)
        try:
            return view(*args, **kwargs)
        except NotFound:
            _count_miss(address)
            raise

    return limited  # type: ignore[return-value]
