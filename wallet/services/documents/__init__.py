"""Printable proof of a badge as PDF: certificate (証書), details sheet (内容詳細), business card.

This module is the feature's entry point (build, render, the download header) and keeps the names
callers import from it. The work is split by job: fonts (fonts and glyph coverage), images (QR
code and badge image), content (what each document shows), cache (the content-keyed cache),
render (template to PDF with xhtml2pdf), stamp (the revoked/expired mark), thumbnails (the
documents page's miniatures) and types.
"""

from __future__ import annotations

from urllib.parse import quote

from wallet.models import Badge
from wallet.models import User
from wallet.services import metrics
from wallet.services import states
from wallet.services.documents import cache as documents_cache
from wallet.services.documents.cache import cache_clear
from wallet.services.documents.cache import cache_info
from wallet.services.documents.cache import cache_key
from wallet.services.documents.content import TITLE_MAX
from wallet.services.documents.content import clean_title
from wallet.services.documents.content import missing_characters
from wallet.services.documents.content import plain
from wallet.services.documents.content import public_url
from wallet.services.documents.fonts import DEBIAN_FONT
from wallet.services.documents.fonts import MISSING_MARK
from wallet.services.documents.fonts import Fonts
from wallet.services.documents.fonts import locate_fonts
from wallet.services.documents.render import render_document
from wallet.services.documents.thumbnails import thumbnail_png
from wallet.services.documents.types import KINDS
from wallet.services.documents.types import LANGS
from wallet.services.documents.types import CardOff
from wallet.services.documents.types import Document
from wallet.services.documents.types import DocumentError
from wallet.services.documents.types import FontMissing

__all__ = [
    "DEBIAN_FONT",
    "CardOff",
    "KINDS",
    "LANGS",
    "MISSING_MARK",
    "TITLE_MAX",
    "Document",
    "DocumentError",
    "FontMissing",
    "Fonts",
    "build",
    "cache_clear",
    "cache_info",
    "cache_key",
    "card_allowed",
    "clean_title",
    "content_disposition",
    "locate_fonts",
    "missing_characters",
    "plain",
    "public_url",
    "render",
    "thumbnail_png",
]


def build(
    badge: Badge, user: User, kind: str, lang: str, title_line: str | None = None
) -> Document:
    """Return the document (from the cache when nothing it shows has changed)."""
    if kind not in KINDS:
        raise DocumentError(f"unknown document kind {kind!r} (one of {', '.join(KINDS)}).")
    if lang not in LANGS:
        raise DocumentError(f"unknown language {lang!r} (one of {', '.join(LANGS)}).")
    if kind == "card" and not card_allowed(badge):
        raise CardOff(f"no business card for a badge that is {states.state_of(badge)}.")
    title = clean_title(title_line) if kind == "card" else ""
    fonts = locate_fonts()
    key = cache_key(badge, user, kind, lang, title, fonts)
    hit = documents_cache.lookup(key)
    metrics.CACHE_LOOKUPS.labels(cache="documents", result="miss" if hit is None else "hit").inc()
    if hit is not None:
        return hit
    document = render_document(badge, user, kind, lang, title, fonts)
    metrics.PDF_RENDERS.labels(kind=kind).inc()
    documents_cache.store(key, document)
    return document


def card_allowed(badge: Badge) -> bool:
    """Return whether the badge may go on a business card (not revoked, expired or invalid)."""
    return states.state_of(badge) not in states.UNSHAREABLE


def render(badge: Badge, user: User, kind: str, lang: str, title_line: str | None = None) -> bytes:
    """Return the PDF of a badge document: kind certificate|details|card, lang ja|en."""
    return build(badge, user, kind, lang, title_line).pdf


def content_disposition(document: Document) -> str:
    """Return the Content-Disposition header value of a download (ASCII name + filename*)."""
    return (
        f'attachment; filename="{document.filename}"; '
        f"filename*=UTF-8''{quote(document.filename_utf8, safe='')}"
    )
