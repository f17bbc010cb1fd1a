"""Public pages anyone may open: a badge's verification page, its image and QR codes, profiles.

Rule 3 of DESIGN.md: a private badge and an id that never existed answer the same neutral 404
(abort(404) -> the shared error page), and nothing about the badge reaches the visitor.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

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
from wallet.services import profiles
from wallet.services import qr
from wallet.services import states
from wallet.services import verification_page
from wallet.services.about import about
from wallet.services.about import parse_details
from wallet.services.richtext import render as rich_text
from wallet.services.standing import describe
from wallet.web.i18n import reader_zone
from wallet.web.miss_limit import miss_limited
from wallet.web.page_cache import KEY_ENVIRON
from wallet.web.page_cache import page_key
from wallet.web.rendering import render_page
from wallet.web.visitors import may_be_signed_in

bp = Blueprint("public", __name__)


@limiter.request_filter
def _counted_by_misses_only() -> bool:
    """Keep Flask-Limiter off public URLs: their limit counts misses (wallet.web.miss_limit)."""
    return request.blueprint == bp.name


# Images: "no-cache" + a strong ETag rather than "public, max-age=300". A browser or a shared
# cache may keep a copy but must ask us before every use; the answer is a cheap 304 while the
# badge stays public and a 404 the moment the holder makes it private, so no cache can show a
# private badge's image or QR code afterwards (a max-age would keep serving it for that long).
IMAGE_CACHE = "public, no-cache"
# Pages carry the visitor's CSRF token and language: revalidate always, never share a copy.
PAGE_CACHE = "no-cache"
SVG_CSP = "default-src 'none'; style-src 'unsafe-inline'"


@bp.after_request
def _no_shared_copies(response: Response) -> Response:
    """Give every public response (404s included) a cache policy and keep it out of indexes."""
    headers = response.headers
    if "Cache-Control" not in headers:
        headers["Cache-Control"] = PAGE_CACHE
    headers["X-Robots-Tag"] = "noindex"
    if response.mimetype == "text/html":
        # The language (and the signed-in holder's header) come from these.
        response.vary.update(("Cookie", "Accept-Language"))
    return response


def _public_or_404(public_id: str) -> str:
    """Return public_id when a public badge has it, else end with the same neutral 404."""
    if not profiles.valid_id(public_id) or not badges.is_public(public_id):
        abort(404)
    return public_id


def absolute(endpoint: str, **values: str) -> str:
    """Return an absolute URL on WALLET_BASE_URL (never the request's Host header)."""
    return current_app.config["BASE_URL"] + url_for(endpoint, **values)


def _iso(value: datetime | None) -> str:
    """Return an ISO 8601 timestamp for <time datetime>."""
    if value is None:
        return ""
    return value.isoformat() if value.tzinfo else value.isoformat() + "Z"


@bp.before_request
def _cookieless() -> None:
    """Visitors of verification pages get no session and no cookie (privacy, and speed)."""
    g.cookieless = True


@bp.get("/b/<public_id>")
@miss_limited
def show(public_id: str) -> Response:
    """The verification page a QR code or a shared link opens."""
    facts = verification_page.page_facts(public_id)
    if facts is None:
        abort(404)
    at = badges.now()
    lang = str(get_locale())
    if not may_be_signed_in(request.cookies):
        # A visitor's page: the cache middleware keeps it under this key (wallet.web.page_cache).
        request.environ[KEY_ENVIRON] = page_key(facts, at, lang, request.scheme)
    standing = describe(facts, lang, reader_zone(), at)
    return render_page(
        "public/badge.html",
        badge=facts,
        holder_name=full_name(facts),
        state=standing.state,
        standing=standing,
        about=about(parse_details(facts.details_json), facts.issuer_name),
        rich_text=rich_text,
        checked_iso=_iso(facts.verified_at),
        page_url=absolute("public.show", public_id=facts.public_id),
        image_url=absolute("public.image", public_id=facts.public_id),
    )


def _binary(data: bytes, mimetype: str) -> Response:
    """Return an image response with an ETag, honouring If-None-Match (304)."""
    response = Response(data, mimetype=mimetype)
    response.set_etag(hashlib.sha256(data).hexdigest())
    response.headers["Cache-Control"] = IMAGE_CACHE
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response.make_conditional(request)


@bp.get("/b/<public_id>/image.png")
@miss_limited
def image(public_id: str) -> Response:
    """The badge image as re-encoded by us at import (never the issuer's bytes)."""
    data = badges.public_image(public_id) if profiles.valid_id(public_id) else None
    if data is None:
        abort(404)
    return _binary(data, "image/png")


@bp.get("/b/<public_id>/qr.png")
@miss_limited
def qr_png(public_id: str) -> Response:
    """Print-quality PNG QR code of the public URL."""
    public_id = _public_or_404(public_id)
    return _binary(qr.png(absolute("public.show", public_id=public_id)), "image/png")


@bp.get("/b/<public_id>/qr.svg")
@miss_limited
def qr_svg(public_id: str) -> Response:
    """Vector QR code of the public URL, served so that it can never run script."""
    public_id = _public_or_404(public_id)
    response = _binary(qr.svg(absolute("public.show", public_id=public_id)), "image/svg+xml")
    response.headers["Content-Security-Policy"] = SVG_CSP
    response.headers["Content-Disposition"] = f'inline; filename="qr-{public_id}.svg"'
    return response


@bp.get("/u/<profile_id>")
@miss_limited
def profile(profile_id: str) -> Response:
    """A holder's public badges, when the holder switched the profile page on."""
    found = profiles.get_public_profile(profile_id)
    if found is None:
        abort(404)
    at = badges.now()
    return render_page(
        "public/profile.html",
        holder=found.user,
        holder_name=full_name(found.user),
        badges=found.badges,
        states={b.id: states.state_of(b, at) for b in found.badges},
        page_url=absolute("public.profile", profile_id=found.user.profile_id),
        bio=found.bio,
        photo_url=url_for(
            "public.profile_photo", profile_id=found.user.profile_id, v=found.photo_version
        )
        if found.photo_version
        else None,
    )


@bp.get("/u/<profile_id>/photo.png")
@miss_limited
def profile_photo(profile_id: str) -> Response:
    """A public profile's photo as re-encoded by us (never the upload); 404 once it is off."""
    data = profiles.public_photo(profile_id)
    if data is None:
        abort(404)
    response = _binary(data, "image/png")
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
