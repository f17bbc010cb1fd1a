"""Paging of the API lists: limit and offset from the query, the RFC 8288 Link header."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import current_app
from flask import request


def query_number(name: str, *, default: int, minimum: int) -> int:
    """Return a non-negative integer query parameter, or raise ValueError saying why."""
    value = request.args.get(name)
    if value is None:
        return default
    if not value.isdigit() or len(value) > 9 or int(value) < minimum:
        raise ValueError(f"{name} must be an integer of at least {minimum}")
    return int(value)


def link_header(total: int, limit: int, offset: int) -> str:
    """Return the Link header: first and last always, next and prev when they exist."""
    base = current_app.config["BASE_URL"] + request.path
    since = request.args.get("since")

    def url(at: int) -> str:
        query = {"limit": limit, "offset": at, **({"since": since} if since else {})}
        return f"{base}?{urlencode(query)}"

    last = max(0, (total - 1) // limit * limit)
    links = [f'<{url(0)}>; rel="first"', f'<{url(last)}>; rel="last"']
    if offset + limit < total:
        links.append(f'<{url(offset + limit)}>; rel="next"')
    if offset > 0:
        links.append(f'<{url(max(0, offset - limit))}>; rel="prev"')
    return ", ".join(links)
