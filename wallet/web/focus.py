"""After a refused form, its first control in error takes the focus, so the page shows it."""

from __future__ import annotations

from flask import g


def first_error(field_id: str) -> bool:
    """Return True for the first field in error a page renders, False for every later one.

    The field macro then marks it `autofocus`: a full page scrolls to it on load (no
    JavaScript needed), and htmx focuses it after swapping a 422 form fragment in.
    """
    if g.get("focused_field") not in (None, field_id):
        return False
    g.focused_field = field_id
    return True
