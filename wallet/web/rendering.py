"""Render a whole page, or one named block of it for htmx."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask import make_response
from flask import render_template
from flask.wrappers import Response

from wallet.web import htmx


def render_block(template_name: str, block: str, **context: Any) -> str:
    """Render one named block of a page template with the full template context."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    app.update_template_context(context)
    template = app.jinja_env.get_template(template_name)
    return "".join(template.blocks[block](template.new_context(context)))


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


def redirect_to(url: str) -> Response:
    """Redirect a plain request with 303, an htmx request with HX-Redirect (a full page load)."""
    from flask import redirect

    if htmx.is_htmx():
        return htmx.redirect(url)
    return redirect(url, 303)  # type: ignore[return-value]
