"""A shared collection at /c/<public_id>: a page for people, a signed presentation for machines.

The same URL answers ``Accept: application/ld+json`` (or ``?download=1``) with a Verifiable
Presentation signed by the holder's key; ``challenge`` and ``domain`` in the query are the
verifier's. A private or unknown collection: the same neutral 404 as /b/ (DESIGN.md rule 3).
"""

from __future__ import annotations

import json

from flask import Blueprint
from flask import Response
from flask import abort
from flask import current_app
from flask import g
from flask import request
from flask import url_for
from flask_babel import get_locale

from wallet.extensions import limiter
from wallet.models.names import full_name
from wallet.services import badges
from wallet.services import collections
from wallet.services import states
from wallet.web.miss_limit import miss_limited
from wallet.web.rendering import render_page

bp = Blueprint("collection_public", __name__)

JSON_LD = "application/ld+json"
MEDIA_TYPES = ("text/html", JSON_LD, "application/json")


@limiter.request_filter
def _counted_by_misses_only() -> bool:
    """Public like /b/: the limit counts misses (wallet.web.miss_limit), not views."""
    return request.blueprint == bp.name


@bp.before_request
def _cookieless() -> None:
    g.cookieless = True


@bp.after_request
def _policy(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("Cache-Control", "no-cache")
    headers["X-Robots-Tag"] = "noindex"
    response.vary.update(("Accept", "Cookie", "Accept-Language"))
    return response


def _param(name: str) -> str | None:
    """Return a verifier's challenge or domain: short printable text, else None."""
    value = request.args.get(name)
    if value is None:
        return None
    if not 0 < len(value) <= 500 or not value.isprintable():
        abort(400)
    return value


def _presentation(found: collections.Shared, download: bool) -> Response:
    document = collections.presentation(
        found, challenge=_param("challenge"), domain=_param("domain")
    )
    response = Response(json.dumps(document, ensure_ascii=False), mimetype=JSON_LD)
    # Each answer is signed anew (its own challenge): nothing may keep and replay one.
    response.headers["Cache-Control"] = "no-store"
    response.headers["Access-Control-Allow-Origin"] = "*"
    if download:
        name = f"collection-{found.collection.public_id}.json"
        response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@bp.get("/c/<public_id>")
@miss_limited
def show(public_id: str) -> Response:
    """The collection: its badges and their live states, or the signed presentation."""
    found = collections.shared(public_id)
    if found is None:
        abort(404)
    download = request.args.get("download") == "1"
    wanted = request.accept_mimetypes.best_match(MEDIA_TYPES, default="text/html")
    if download or wanted in (JSON_LD, "application/json"):
        return _presentation(found, download)
    lang = str(get_locale() or "en")
    at = badges.now()
    base = current_app.config["BASE_URL"]
    return render_page(
        "collections/public.html",
        found=found,
        name=collections.name_of(found.collection, lang),
        holder_name=full_name(found.holder),
        states={b.id: states.state_of(b, at) for b in found.badges},
        page_url=base + url_for("collection_public.show", public_id=public_id),
    )
