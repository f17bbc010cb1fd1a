"""Render a whole page or one named block of it for htmx; redirect safely."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import make_response
from flask import render_template
from flask.wrappers import Response

from wallet.services.templating import render_block
from wallet.web import htmx


def render_page(
    template_name: str,
    *,
    block: str | None = None,
    target: str | None = None,
    status: int = 200,
    **context: Any,
) -> Response:
    """Render the page, or only `block` when htmx targets `target`; status as given."""
    if block and target and htmx.wants_fragment(target):
        body = render_block(template_name, block, **context)
    else:
        body = render_template(template_name, **context)
    response = make_response(body, status)
    if block and target:
        htmx.vary(response)
    return response


def with_out_of_band(
    response: Response, template_name: str, block: str, **context: Any
) -> Response:
    """Append another block of the page to an htmx fragment (it carries hx-swap-oob itself)."""
    extra = render_block(template_name, block, **context)
    response.set_data(response.get_data() + extra.encode("utf-8"))
    return response


def redirect_to(url: str) -> Response:
    """Redirect a plain request with 303, an htmx request with HX-Redirect (a full page load)."""
    from flask import redirect

    if htmx.is_htmx():
        return htmx.redirect(url)
    return redirect(url, 303)  # type: ignore[return-value]


def landing_page(user: Any) -> str:
    """Return the endpoint a person lands on after signing in: operators on the portal."""
    return "issuing.index" if user.may_issue else "main.index"


def safe_next_url(target: str | None) -> str | None:
    """Return target when it is a local path on this site, else None (no open redirects)."""
    if not target or len(target) > 2000:
        return None
    if "\\" in target or any(ord(c) < 32 for c in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target
