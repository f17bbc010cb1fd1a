"""Rendering one document: its template in its language, then xhtml2pdf; one sheet if need be."""

from __future__ import annotations

import io
import logging
import re
import threading
import unicodedata
from collections.abc import Callable
from collections.abc import Iterable

from flask import current_app
from flask import g
from flask_babel import force_locale

from wallet.models import Badge
from wallet.models import User
from wallet.services.documents.content import template_context
from wallet.services.documents.fonts import INSTALL_HINT
from wallet.services.documents.fonts import Fonts
from wallet.services.documents.fonts import font_name
from wallet.services.documents.fonts import glyphs_for
from wallet.services.documents.types import Document
from wallet.services.documents.types import DocumentError
from wallet.services.documents.types import FontMissing

# The feature's one logger, named as before it was split into modules (log filters name it).
log = logging.getLogger("wallet.services.documents")

# A certificate and a card are one sheet: when the content spills over, render again smaller.
ONE_PAGE = {"certificate", "card"}
MAX_COMPACT = 2
# Static frames whose content must never be dropped for lack of room (templates/pdf/*.html):
# a document without its QR code, or a revoked one without its mark, must not be printed.
PROOF_FRAMES = {"qr", "image", "proof", "stamp"}
_RENDER_LOCK = threading.Lock()


def _filenames(badge: Badge, kind: str, lang: str) -> tuple[str, str]:
    """Return the ASCII download name and the UTF-8 one (RFC 5987 `filename*`)."""
    ascii_name = f"{kind}-{badge.public_id}-{lang}.pdf"
    labels = {
        "certificate": {"ja": "証書", "en": "Certificate"},
        "details": {"ja": "内容詳細", "en": "Details"},
        "card": {"ja": "名刺", "en": "Business card"},
    }
    title = "".join(
        c for c in (badge.name or "") if c not in '\\/:*?"<>|' and unicodedata.category(c)[0] != "C"
    ).strip()[:60]
    utf8 = f"{labels[kind][lang]} - {title}.pdf" if title else f"{labels[kind][lang]}.pdf"
    return ascii_name, utf8


def _link_callback(allowed: Iterable[str]) -> Callable[[str, str | None], str]:
    """Return an xhtml2pdf link callback that lets through data: URIs and our font files only."""
    allowed_set = set(allowed)

    def callback(uri: str, _rel: str | None) -> str:
        if uri.startswith("data:") or uri in allowed_set:
            return uri
        log.warning("PDF template asked for a resource outside the allow-list: %.80s", uri)
        return "data:image/png;base64,"

    return callback


class _DroppedFlowables(logging.Handler):
    """Collects the static frames xhtml2pdf reports as overflowing (it drops their content)."""

    PATTERN = re.compile(r"static frame '([^']+)' dropped")

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.frames: set[str] = set()

    def emit(self, record: logging.LogRecord) -> None:
        match = self.PATTERN.search(record.getMessage())
        if match:
            self.frames.add(match.group(1))


def _pdf(html: str, fonts: Fonts) -> bytes:
    """Run xhtml2pdf on html with a policy that reads only the font files (no network)."""
    # Pitfalls of xhtml2pdf with an embedded (subset) Japanese TrueType font: notes/stack.md §3.
    from xhtml2pdf import pisa
    from xhtml2pdf.config.resources import ResourceAccessPolicy

    roots = tuple({fonts.main.parent} | ({fonts.fallback.parent} if fonts.fallback else set()))
    policy = ResourceAccessPolicy(
        allow_remote=False,
        base_dir=fonts.main.parent,
        extra_roots=roots,
        max_resources=16,
        max_render_seconds=60.0,
    )
    allowed = [fonts.main.as_posix()] + ([fonts.fallback.as_posix()] if fonts.fallback else [])
    out = io.BytesIO()
    dropped = _DroppedFlowables()
    xhtml2pdf_log = logging.getLogger("xhtml2pdf")
    # xhtml2pdf renders one document at a time anyway (ReportLab keeps fonts in globals); the
    # lock also keeps each render's overflow report its own.
    with _RENDER_LOCK:
        xhtml2pdf_log.addHandler(dropped)
        try:
            status = pisa.CreatePDF(
                html,
                dest=out,
                encoding="utf-8",
                resource_policy=policy,
                link_callback=_link_callback(allowed),
                # In memory only: above 100 KB (the default) xhtml2pdf spills an image or its
                # output to a temporary file it never closes. A document is a few hundred KB.
                capacity=-1,
            )
        finally:
            xhtml2pdf_log.removeHandler(dropped)
    pdf = out.getvalue()
    if status.err or not pdf.startswith(b"%PDF"):
        raise DocumentError(f"the PDF could not be rendered ({status.err} error(s)).")
    if dropped.frames & PROOF_FRAMES:
        # A document without its QR code (or badge image) would look fine and prove nothing.
        raise DocumentError(f"the layout has no room for {', '.join(sorted(dropped.frames))}.")
    # Never a silent fallback: the font must really be in the file (a refused @font-face only logs).
    if b"+" + font_name(fonts.main) not in pdf:
        raise FontMissing(f"the Japanese font {fonts.main} was not embedded; {INSTALL_HINT}.")
    return pdf


def render_document(
    badge: Badge, user: User, kind: str, lang: str, title: str, fonts: Fonts
) -> Document:
    """Render one document now (no cache); a one-sheet document that spills over shrinks."""
    for compact in range(MAX_COMPACT + 1):
        glyphs = glyphs_for(fonts)
        previous = g.get("force_lang")
        g.force_lang = lang
        try:
            with force_locale(lang):
                context = template_context(badge, user, kind, lang, title, fonts, glyphs, compact)
                template = current_app.jinja_env.get_template(f"pdf/{kind}.html")
                html = template.render(**context)
        finally:
            g.force_lang = previous
        pdf = _pdf(html, fonts)
        if kind not in ONE_PAGE or _page_count(pdf) == 1:
            break
        log.info(
            "PDF %s of badge %s: %d pages at compact=%d",
            kind,
            badge.public_id,
            _page_count(pdf),
            compact,
        )
    if glyphs.missing:
        log.info("PDF %s of badge %s: no glyph for %s", kind, badge.public_id, glyphs.missing)
    filename, filename_utf8 = _filenames(badge, kind, lang)
    return Document(pdf, kind, lang, filename, filename_utf8, tuple(sorted(glyphs.missing)))


def _page_count(pdf: bytes) -> int:
    """Return the number of pages of a PDF we rendered."""
    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(pdf)).pages)
