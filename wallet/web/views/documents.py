"""Printable documents of a holder's badge: certificate, details sheet and business card (PDF)."""

from __future__ import annotations

from flask import Blueprint
from flask import abort
from flask import current_app
from flask import make_response
from flask import request
from flask import url_for
from flask.wrappers import Response
from flask_babel import get_locale
from flask_login import login_required

from wallet.models import Badge
from wallet.models.names import full_name
from wallet.services import badges
from wallet.services import documents
from wallet.services.standing import describe
from wallet.web.holder_limits import heavy
from wallet.web.i18n import reader_zone
from wallet.web.rendering import render_page
from wallet.web.visitors import signed_in_user

bp = Blueprint("documents", __name__)


def _owned(badge_id: int) -> Badge:
    """Return the holder's badge, or 404 (also for anyone else's: never a hint it exists)."""
    badge = badges.get_owned(signed_in_user(), badge_id)
    if badge is None:
        abort(404)
    return badge


def _lang() -> str:
    """Return the document language: ?lang=ja|en, else the page language."""
    lang = request.args.get("lang")
    if lang in documents.LANGS:
        return lang
    current = str(get_locale() or "")
    return current if current in documents.LANGS else "ja"


def _title() -> str:
    """Return the card's title/affiliation line from the query string, cleaned."""
    return documents.clean_title(request.args.get("title"))


def _badge_page(badge: Badge) -> str:
    """Return the badge's detail page in the wallet (when that blueprint is registered)."""
    if "wallet.show" in current_app.view_functions:
        return url_for("wallet.show", badge_id=badge.id)
    return url_for("main.index")


@bp.get("/badges/<int:badge_id>/documents")
@login_required
def index(badge_id: int, status: int = 200) -> Response:
    """List the three documents with a picture of each, the card's title form and warnings."""
    badge = _owned(badge_id)
    lang = _lang()
    title = _title()
    error = None
    missing: list[str] = []
    try:
        missing = documents.missing_characters(badge, signed_in_user(), title)
    except documents.FontMissing:
        current_app.logger.exception("PDF font missing")
        error = "font"
    response = render_page(
        "documents/index.html",
        badge=badge,
        lang_choice=lang,
        title_line=title,
        missing=missing,
        error=error,
        private=badge.visibility != "public",
        standing=describe(badge, str(get_locale()), reader_zone()),
        holder_name=full_name(signed_in_user()),
        card_allowed=documents.card_allowed(badge),
        kinds=documents.KINDS,
        badge_page=_badge_page(badge),
        title_max=documents.TITLE_MAX,
        status=503 if error else status,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/badges/<int:badge_id>/documents/<kind>.png")
@login_required
def thumbnail(badge_id: int, kind: str) -> Response:
    """A small picture of one document of the holder's badge, for the documents page."""
    if kind not in documents.KINDS:
        abort(404)
    badge = _owned(badge_id)
    try:
        png = documents.thumbnail_png(badge, kind, _lang())
    except documents.FontMissing:
        abort(404)  # the page says why; no picture without the font that draws the mark
    response = make_response(png)
    response.mimetype = "image/png"
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/badges/<int:badge_id>/documents/<kind>.pdf")
@login_required
@heavy
def download(badge_id: int, kind: str) -> Response:
    """Send one document as a PDF attachment (rendered, or from the content cache)."""
    if kind not in documents.KINDS:
        abort(404)
    badge = _owned(badge_id)
    try:
        document = documents.build(badge, signed_in_user(), kind, _lang(), _title())
    except documents.CardOff:
        # Business cards are off for a revoked, expired or invalid badge: the page says why.
        return index(badge_id, status=409)
    except documents.FontMissing:
        current_app.logger.exception("PDF font missing")
        return index(badge_id)
    except documents.DocumentError:
        current_app.logger.exception("PDF rendering failed")
        abort(500)
    response = make_response(document.pdf)
    response.mimetype = "application/pdf"
    response.headers["Content-Disposition"] = documents.content_disposition(document)
    response.headers["Content-Length"] = str(len(document.pdf))
    # Personal data: no shared or stored copies; the server-side cache makes repeats instant.
    response.headers["Cache-Control"] = "private, no-store"
    return response
