"""The only module that reads HX-* request headers or writes HX-* response headers."""

from __future__ import annotations

import json
from typing import Any

from flask import Response
from flask import request


def _flag(name: str) -> bool:
    """Return True when the request header is exactly 'true' (as htmx sends it)."""
    return request.headers.get(name) == "true"


def is_htmx() -> bool:
    """Return whether the current request was made by htmx."""
    return _flag("HX-Request")


def target() -> str | None:
    """Return the id of the element htmx will swap into, if any."""
    return request.headers.get("HX-Target")


def wants_fragment(target_id: str) -> bool:
    """Return whether to answer with the fragment for target_id instead of the full page.

    History restores and boosted navigation need full pages even though htmx asks.
    """
    return (
        is_htmx()
        and not _flag("HX-History-Restore-Request")
        and not _flag("HX-Boosted")
        and target() == target_id
    )


def vary(response: Response) -> Response:
    """Mark a response that differs between htmx and plain requests as such for caches."""
    response.vary.add("HX-Request")
    response.vary.add("HX-Target")
    return response


def redirect(url: str, status: int = 200) -> Response:
    """Return a response that makes htmx load url as a full page."""
    response = Response(status=status)
    response.headers["HX-Redirect"] = url
    return response


def trigger(response: Response, event: str, detail: Any = None) -> Response:
    """Ask htmx to fire a client-side event (e.g. a toast) after the swap."""
    existing = response.headers.get("HX-Trigger")
    events: dict[str, Any] = json.loads(existing) if existing else {}
    events[event] = detail if detail is not None else True
    response.headers["HX-Trigger"] = json.dumps(events, ensure_ascii=False)
    return response


def retarget(response: Response, selector: str, swap: str = "innerHTML") -> Response:
    """Send the response body to another element than the one that asked."""
    response.headers["HX-Retarget"] = selector
    response.headers["HX-Reswap"] = swap
    return response


def push_url(response: Response, url: str) -> Response:
    """Ask htmx to push url into the browser history."""
    response.headers["HX-Push-Url"] = url
    return response
