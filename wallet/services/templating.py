"""Render one named block of a template (mails are written as page blocks; htmx fragments too)."""

from __future__ import annotations

from typing import Any

from flask import current_app
from jinja2 import Environment

_PLAIN_ENV = "wallet_plain_text_jinja"  # app.extensions key


def _plain_environment(app: Any) -> Environment:
    """Return the app's Jinja environment without HTML escaping (same loader, globals, filters)."""
    env = app.extensions.get(_PLAIN_ENV)
    if env is None or env.globals is not app.jinja_env.globals:
        env = app.jinja_env.overlay(autoescape=False)
        app.extensions[_PLAIN_ENV] = env
    return env


def render_block(template_name: str, block: str, *, autoescape: bool = True, **context: Any) -> str:
    """Render one named block of a page template with the full template context.

    autoescape=False is for plain text (a mail's text part and subject): HTML escaping there
    would show `Smith &amp; Sons` and break links with `&` in them. Escaping is decided when a
    template is compiled, so plain text comes from a second environment that never escapes.
    """
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    app.update_template_context(context)
    env = app.jinja_env if autoescape else _plain_environment(app)
    template = env.get_template(template_name)
    return "".join(template.blocks[block](template.new_context(context)))
