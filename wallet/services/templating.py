"""Render one named block of a template (mails are written as page blocks; htmx fragments too)."""

from __future__ import annotations

from typing import Any

from flask import current_app


def render_block(template_name: str, block: str, **context: Any) -> str:
    """Render one named block of a page template with the full template context."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    app.update_template_context(context)
    template = app.jinja_env.get_template(template_name)
    return "".join(template.blocks[block](template.new_context(context)))
