"""Printable proof of a badge as PDF: certificate (証書), details sheet (内容詳細), business card.

Rendered with xhtml2pdf from ``templates/pdf/*.html`` with an embedded (subset) Japanese TrueType
font; pitfalls verified in notes/stack.md §3. Rendered files are kept in a small process-local
LRU keyed by everything that shows on the page, so a repeated download is instant and any change
(name, language, state, template) renders afresh. The cache lives in one worker process only: the
app stays stateless (another worker simply renders its own copy of the same content).
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import logging
import os
import re
import threading
import unicodedata
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import date
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from flask import current_app
from flask import g
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from markupsafe import escape

from wallet.i18n import format_day
from wallet.models import Badge
from wallet.models import User
from wallet.names import full_name
from wallet.names import full_name_kana
from wallet.services import badges as badge_service

log = logging.getLogger(__name__)

KINDS = ("certificate", "details", "card")
LANGS = ("ja", "en")
# Debian/Ubuntu `fonts-ipaexfont-gothic` (scripts/fonts.sh installs it for `make run`).
DEBIAN_FONT = Path("/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf")
INSTALL_HINT = (
    "install one with `apt-get install fonts-ipaexfont-gothic` (as root on Debian/Ubuntu), "
    "or set WALLET_PDF_FONT_PATH to a TrueType (.ttf, glyf outlines) font with Japanese glyphs"
)
# The geta mark: the conventional Japanese typesetting stand-in for a character the type lacks.
MISSING_MARK = "〓"
TEMPLATE_DIR = Path(__file__).resolve().parent.parent / "templates" / "pdf"
# Bump when the Python side of the layout changes (template edits are hashed automatically).
LAYOUT_VERSION = "1"
CACHE_ENTRIES = 256
CACHE_BYTES = 64 * 1024 * 1024
TITLE_MAX = 80
# A certificate and a card are one sheet: when the content spills over, render again smaller.
ONE_PAGE = {"certificate", "card"}
MAX_COMPACT = 2
IMAGE_PIXELS = {"certificate": 640, "details": 400, "card": 200}
# Static frames whose content must never be dropped for lack of room (templates/pdf/*.html).
PROOF_FRAMES = {"qr", "image", "proof"}
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# A font path goes into a CSS url("..."); these would need quoting there.
_UNSAFE_PATH_CHARS = set("\"'\\<>&\n\r()")
# Characters that never need a glyph (layout only).
_INVISIBLE = {"\n", "\r", "\t", " ", "\u3000", "\u200b", "\ufeff"}

IDENTIFIER_LABELS = {
    "passNumber": _l("Pass number"),
    "registrationNumber": _l("Registration number"),
    "licenseNumber": _l("Licence number"),
    "certificateNumber": _l("Certificate number"),
    "studentId": _l("Student ID"),
    "result": _l("Result"),
}


class DocumentError(Exception):
    """A document could not be rendered; the message says why in one line."""


class FontMissing(DocumentError):
    """No usable Japanese font: refuse rather than print a PDF without Japanese glyphs."""


@dataclass(frozen=True)
class Fonts:
    """The TrueType files a render embeds: the Japanese main face and an optional fallback."""

    main: Path
    fallback: Path | None = None

    def identity(self) -> list[Any]:
        """Return what identifies these files for the cache key (path, size, mtime)."""
        out: list[Any] = []
        for path in (self.main, self.fallback):
            if path is None:
                out.append(None)
                continue
            stat = path.stat()
            out.append([str(path), stat.st_size, stat.st_mtime_ns])
        return out


@dataclass(frozen=True)
class Document:
    """A rendered PDF, its download file names, and the characters printed as 〓."""

    pdf: bytes
    kind: str
    lang: str
    filename: str
    filename_utf8: str
    missing: tuple[str, ...] = ()
    cached: bool = False


@dataclass
class _Glyphs:
    """Maps text to PDF-safe markup: fallback-font spans, or 〓 for what no font can draw."""

    main: frozenset[int]
    fallback: frozenset[int]
    missing: set[str] = field(default_factory=set)

    def __call__(self, value: Any) -> Markup:
        """Return value escaped, with characters the main font lacks handled."""
        # No Unicode normalisation: NFC would turn a CJK compatibility ideograph (a variant form a
        # holder may write their name with) into the unified one.
        text = "" if value is None else str(value)
        parts: list[str] = []
        in_fallback = False
        for char in text:
            code = ord(char)
            category = unicodedata.category(char)
            if category == "Cf" or _is_variation_selector(code):
                # Invisible format characters and variation selectors: the base character
                # prints in its default form (the fonts have no variation sequences).
                continue
            if char in _INVISIBLE or code in self.main or category == "Cc":
                if in_fallback:
                    parts.append("</span>")
                    in_fallback = False
                parts.append(" " if category == "Cc" else str(escape(char)))
            elif code in self.fallback:
                if not in_fallback:
                    parts.append('<span class="fallback">')
                    in_fallback = True
                parts.append(str(escape(char)))
            else:
                if in_fallback:
                    parts.append("</span>")
                    in_fallback = False
                self.missing.add(char)
                parts.append(MISSING_MARK)
        if in_fallback:
            parts.append("</span>")
        return Markup("".join(parts))


def _is_variation_selector(code: int) -> bool:
    """Return whether a code point is a variation selector (VS1-16, or an ideographic one)."""
    return 0xFE00 <= code <= 0xFE0F or 0xE0100 <= code <= 0xE01EF


# --- fonts ------------------------------------------------------------------------------------


def locate_fonts() -> Fonts:
    """Return the fonts to embed: PDF_FONT_PATH, else the Debian IPAexGothic; raise FontMissing."""
    configured = current_app.config.get("PDF_FONT_PATH")
    if configured:
        main = Path(str(configured))
        if not main.is_file():
            raise FontMissing(f"the PDF font {main} (PDF_FONT_PATH) is missing; {INSTALL_HINT}.")
    elif DEBIAN_FONT.is_file():
        main = DEBIAN_FONT
    else:
        raise FontMissing(f"no Japanese font for PDF documents was found; {INSTALL_HINT}.")
    for path in (main, Path(str(current_app.config.get("PDF_FALLBACK_FONT_PATH") or ""))):
        if any(c in str(path) for c in _UNSAFE_PATH_CHARS):
            raise FontMissing(f"the PDF font path {str(path)!r} has characters CSS cannot quote.")
    charset = _charset(str(main))
    if ord("あ") not in charset or ord("漢") not in charset:
        raise FontMissing(f"the PDF font {main} has no Japanese glyphs; {INSTALL_HINT}.")
    fallback = current_app.config.get("PDF_FALLBACK_FONT_PATH")
    fallback_path = Path(str(fallback)) if fallback else None
    if fallback_path is not None and not fallback_path.is_file():
        log.warning("PDF_FALLBACK_FONT_PATH %s does not exist; no fallback font", fallback_path)
        fallback_path = None
    return Fonts(main.resolve(), fallback_path.resolve() if fallback_path else None)


def _charset(path: str) -> frozenset[int]:
    """Return the code points a TrueType font maps (cached per file version)."""
    stat = os.stat(path)
    return _face_of(path, stat.st_size, stat.st_mtime_ns)[1]


def _font_name(path: Path) -> bytes:
    """Return the PostScript name of a font file, as it appears in the PDF's font resources."""
    stat = path.stat()
    return _face_of(str(path), stat.st_size, stat.st_mtime_ns)[0]


@lru_cache(maxsize=8)
def _face_of(path: str, size: int, mtime_ns: int) -> tuple[bytes, frozenset[int]]:
    """Read the name and cmap of one font file (size and mtime make the cache follow changes)."""
    from reportlab.pdfbase.ttfonts import TTFError
    from reportlab.pdfbase.ttfonts import TTFontFile

    try:
        face = TTFontFile(path, validate=0)
    except (TTFError, OSError, ValueError) as exc:
        raise FontMissing(f"the PDF font {path} cannot be used ({exc}); {INSTALL_HINT}.") from None
    name = face.name if isinstance(face.name, bytes) else str(face.name).encode("ascii", "ignore")
    return name, frozenset(face.charToGlyph)


def _glyphs(fonts: Fonts) -> _Glyphs:
    """Return a fresh text mapper for these fonts."""
    fallback = _charset(str(fonts.fallback)) if fonts.fallback else frozenset()
    return _Glyphs(_charset(str(fonts.main)), fallback)


# --- what the documents show ------------------------------------------------------------------


def public_url(badge: Badge) -> str:
    """Return the badge's public verification URL, the QR target (`BASE_URL/b/<public_id>`)."""
    return f"{current_app.config['BASE_URL']}/b/{badge.public_id}"


@lru_cache(maxsize=1024)
def _qr_png(url: str) -> bytes:
    """Return url's QR code (services.qr: level M, 4-module quiet zone) as an 8 px/module grey PNG.

    ReportLab embeds a greyscale image as is, but expands a 1-bit one to RGB: at 8 px per module
    the code stays crisp at any print size and embeds several times faster than the 600 px PNG.
    """
    from PIL import Image

    from wallet.services import qr

    with Image.open(io.BytesIO(qr.png(url))) as source:
        image = source.convert("L")
    modules = _qr_modules(image)
    grey = image.resize((modules * 8, modules * 8), Image.Resampling.NEAREST)
    out = io.BytesIO()
    grey.save(out, format="PNG")
    return out.getvalue()


def _qr_modules(image: Any) -> int:
    """Return the modules per side (quiet zone included) of a QR image with square modules."""
    pixels = image.load()
    # The top-left finder pattern begins after the 4-module quiet zone, on the diagonal.
    first = next(i for i in range(image.width) if pixels[i, i] < 128)
    return round(image.width * 4 / first)


def _badge_png(badge: Badge, size: int) -> bytes:
    """Return the badge image for print: our PNG at most size px, flattened on white paper."""
    from wallet.services import images

    data = badge.content.image_png if badge.content is not None else None
    if not data or not data.startswith(PNG_SIGNATURE):
        data = images.placeholder(badge.name or "?")
    return _flattened(data, size)


@lru_cache(maxsize=64)
def _flattened(png: bytes, size: int) -> bytes:
    """Return an RGB copy of a PNG on white, at most size px: paper is white, RGB embeds faster."""
    from PIL import Image

    with Image.open(io.BytesIO(png)) as image:
        rgba = image.convert("RGBA")
    rgba.thumbnail((size, size), Image.Resampling.LANCZOS)
    flat = Image.new("RGB", rgba.size, (255, 255, 255))
    flat.paste(rgba, mask=rgba.getchannel("A"))
    out = io.BytesIO()
    flat.save(out, format="PNG")
    return out.getvalue()


def _data_uri(png: bytes) -> str:
    """Return a data: URI of a PNG (the only kind of resource the templates use)."""
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def _identifier_label(item: dict[str, Any]) -> str:
    """Return the label of an identifier: ours for well-known kinds, else the issuer's."""
    label = str(item.get("label") or item.get("type") or "")
    known = IDENTIFIER_LABELS.get(label)
    return str(known) if known else (label or _("Identifier"))


def _status_words() -> dict[str, str]:
    """Return the holder-visible verification states in words (same msgids as the pages)."""
    return {
        "valid": _("Valid"),
        "expiring": _("Expires soon"),
        "expired": _("Expired"),
        "revoked": _("Revoked"),
        "unconfirmed": _("Recipient not confirmed"),
        "invalid": _("Not valid"),
        "unverifiable": _("Could not be checked"),
    }


def _local_now() -> datetime:
    """Return now in the wallet's display time zone (Asia/Tokyo by default)."""
    zone = current_app.config.get("BABEL_DEFAULT_TIMEZONE") or "UTC"
    try:
        return datetime.now(ZoneInfo(zone))
    except (KeyError, ValueError):
        return datetime.now(UTC)


def _moment(value: datetime | None, lang: str) -> str:
    """Format a point in time (day and minute, display zone) in lang."""
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    zone = current_app.config.get("BABEL_DEFAULT_TIMEZONE") or "UTC"
    try:
        local = value.astimezone(ZoneInfo(zone))
    except (KeyError, ValueError):
        local = value
    return f"{format_day(local, lang)} {local:%H:%M} ({local.tzname() or zone})"


def clean_title(value: str | None) -> str:
    """Return the holder's card title line: one line, trimmed, at most 80 characters."""
    if not value:
        return ""
    text = " ".join(str(value).split())
    text = "".join(c for c in text if unicodedata.category(c) not in ("Cc", "Cf", "Cs"))
    return text[:TITLE_MAX]


def _texts(badge: Badge, user: User, title_line: str) -> dict[str, str]:
    """Return every holder- or issuer-supplied text a document may print."""
    details = badge_service.details(badge)
    issuer = details.get("issuer") if isinstance(details.get("issuer"), dict) else {}
    return {
        "name": full_name(user),
        "kana": full_name_kana(user),
        "romanized": (user.romanized_name or "").strip(),
        "badge_name": badge.name or "",
        "issuer_name": badge.issuer_name or "",
        "issuer_url": str(issuer.get("url") or issuer.get("id") or badge.issuer_id or ""),
        "description": str(details.get("description") or ""),
        "criteria": str(details.get("criteria_narrative") or ""),
        "criteria_url": str(details.get("criteria_url") or ""),
        "title": title_line,
    }


def _identifiers(badge: Badge) -> list[tuple[dict[str, Any], str]]:
    """Return (identifier, value) of the identifiers the issuer put in the badge."""
    out = []
    for item in badge_service.details(badge).get("identifiers") or []:
        if isinstance(item, dict) and str(item.get("value") or "").strip():
            out.append((item, str(item["value"]).strip()))
    return out


def missing_characters(badge: Badge, user: User, title_line: str | None = None) -> list[str]:
    """Return the characters of this badge's documents that no installed font can draw."""
    glyphs = _glyphs(locate_fonts())
    for text in _texts(badge, user, clean_title(title_line)).values():
        glyphs(text)
    for _item, value in _identifiers(badge):
        glyphs(value)
    return sorted(glyphs.missing)


_MD_LINK = re.compile(r"\[([^\]\n]{1,300})\]\((https?://[^\s)]{1,2000})\)")
_MD_EMPHASIS = re.compile(r"(\*\*|__|`)(?=\S)(.+?)(?<=\S)\1")


def plain(text: str) -> str:
    """Return issuer Markdown as the plain text a reader sees (links keep their address)."""
    text = _MD_LINK.sub(lambda m: f"{m.group(1)} ({m.group(2)})", text)
    return _MD_EMPHASIS.sub(lambda m: m.group(2), text)


def _paragraphs(glyphs: _Glyphs, text: str, limit: int = 4000) -> list[Markup]:
    """Return issuer text as escaped plain paragraphs (never as HTML)."""
    text = plain(text[:limit])
    blocks = [b.strip() for b in text.replace("\r\n", "\n").split("\n\n")]
    return [Markup("<br/>").join(glyphs(line) for line in b.split("\n")) for b in blocks if b]


def _width(text: str) -> float:
    """Return the width of text in full-width (em) units: CJK counts 1, Latin about 0.55."""
    return sum(1.0 if unicodedata.east_asian_width(c) in ("W", "F") else 0.55 for c in text)


def _fit(text: str, steps: list[tuple[float, float]], smallest: float) -> float:
    """Return the first font size (pt) whose width limit (em) text stays within."""
    width = _width(text)
    for limit, size in steps:
        if width <= limit:
            return size
    return smallest


def _shorten(text: str, limit: float) -> str:
    """Return text cut to about limit em, with an ellipsis when cut."""
    if _width(text) <= limit:
        return text
    out = ""
    for char in text:
        if _width(out + char) > limit - 1:
            break
        out += char
    return out.rstrip() + "…"


def _context(
    badge: Badge,
    user: User,
    kind: str,
    lang: str,
    title_line: str,
    fonts: Fonts,
    glyphs: _Glyphs,
    compact: int = 0,
) -> dict[str, Any]:
    """Return the template context of one document (all text already escaped and glyph-checked)."""
    texts = _texts(badge, user, title_line)
    status = badge_service.status_of(badge)
    url = public_url(badge)
    ordered_name = texts["name"]
    context: dict[str, Any] = {
        "kind": kind,
        "lang": lang,
        "font_path": fonts.main.as_posix(),
        "fallback_font_path": fonts.fallback.as_posix() if fonts.fallback else None,
        "name": glyphs(ordered_name),
        "kana": glyphs(texts["kana"]),
        # Latin transcription only when it adds something (not when the name already is Latin).
        "romanized": glyphs(texts["romanized"]) if texts["romanized"] != ordered_name else "",
        "badge_name": glyphs(texts["badge_name"] or _("(no name)")),
        "issuer_name": glyphs(texts["issuer_name"]),
        "issuer_url": glyphs(texts["issuer_url"]),
        "title_line": glyphs(title_line),
        "issued_on": format_day(badge.issued_on, lang),
        "expires": format_day(badge.expires, lang),
        "url": url,
        "url_text": url.split("://", 1)[-1],
        "qr_uri": _data_uri(_qr_png(url)),
        # About 300 dpi at the printed size (54 mm certificate, 32 mm details, 15 mm card).
        "image_uri": _data_uri(_badge_png(badge, IMAGE_PIXELS[kind])),
        "private": badge.visibility != "public",
        "status": status,
        "status_word": _status_words().get(status, status),
        "verified_at": _moment(badge.verified_at, lang),
        "printed_on": format_day(_local_now(), lang),
        "public_id": badge.public_id,
    }
    if kind == "certificate":
        # One page always: long names get smaller type, and each retry (compact) shrinks more.
        # The full name is on the details sheet; the certificate keeps about three lines of it.
        context["badge_name"] = glyphs(_shorten(texts["badge_name"] or _("(no name)"), 110))
        context["qualification_size"] = (
            _fit(texts["badge_name"], [(16, 20), (30, 16), (48, 13)], 11) - 2 * compact
        )
        context["name_size"] = _fit(ordered_name, [(14, 30), (20, 24), (28, 18)], 14) - 4 * compact
        context["image_mm"] = round(54 - 12 * compact - (6 if context["private"] else 0))
        context["gap"] = round(1 - 0.3 * compact, 2)
    if kind == "card":
        context["title_size"] = _fit(title_line, [(40, 7.5), (54, 6.2)], 5.2)
        context["name_size"] = _fit(ordered_name, [(8, 16), (11, 13), (15, 10), (20, 7.5)], 6)
        context["card_badge_name"] = glyphs(_shorten(texts["badge_name"] or _("(no name)"), 48))
        context["card_issuer_name"] = glyphs(_shorten(texts["issuer_name"], 56))
        context["badge_size"] = _fit(texts["badge_name"], [(14, 7.5), (24, 6.5)], 5.8)
    if kind == "details":
        context["identifiers"] = [
            (glyphs(_identifier_label(item)), glyphs(value)) for item, value in _identifiers(badge)
        ]
        context["description"] = _paragraphs(glyphs, texts["description"])
        context["criteria"] = _paragraphs(glyphs, texts["criteria"])
        context["criteria_url"] = glyphs(texts["criteria_url"][:300])
    return context


# --- cache ------------------------------------------------------------------------------------


class _LRU:
    """A bounded, thread-safe in-process LRU of rendered documents (by count and by bytes)."""

    def __init__(self, entries: int = CACHE_ENTRIES, max_bytes: int = CACHE_BYTES) -> None:
        self.entries = entries
        self.max_bytes = max_bytes
        self._items: OrderedDict[str, Document] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: str) -> Document | None:
        """Return the document stored under key (and mark it recently used), or None."""
        with self._lock:
            document = self._items.get(key)
            if document is None:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return document

    def put(self, key: str, document: Document) -> None:
        """Store a document, dropping the least recently used ones beyond the bounds."""
        size = len(document.pdf)
        if size > self.max_bytes:
            return
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._bytes -= len(old.pdf)
            self._items[key] = document
            self._bytes += size
            while len(self._items) > self.entries or self._bytes > self.max_bytes:
                _key, dropped = self._items.popitem(last=False)
                self._bytes -= len(dropped.pdf)

    def clear(self) -> None:
        """Forget every document."""
        with self._lock:
            self._items.clear()
            self._bytes = 0
            self.hits = self.misses = 0

    def info(self) -> dict[str, int]:
        """Return entries, bytes, hits and misses."""
        with self._lock:
            return {
                "entries": len(self._items),
                "bytes": self._bytes,
                "hits": self.hits,
                "misses": self.misses,
            }


_cache = _LRU()
_RENDER_LOCK = threading.Lock()


def cache_clear() -> None:
    """Empty the process-local document cache (tests, benchmarks)."""
    _cache.clear()


def cache_info() -> dict[str, int]:
    """Return the cache's size and hit counts."""
    return _cache.info()


@lru_cache(maxsize=1)
def _template_digest() -> str:
    """Return a digest of the PDF templates' source, so a template edit invalidates the cache."""
    digest = hashlib.sha256(LAYOUT_VERSION.encode())
    for path in sorted(TEMPLATE_DIR.glob("*.html")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _stamp(value: datetime | date | None) -> str | None:
    """Return a value as ISO text for the cache key."""
    return value.isoformat() if value is not None else None


def cache_key(badge: Badge, user: User, kind: str, lang: str, title_line: str, fonts: Fonts) -> str:
    """Return the content key of a document: everything that can change what it shows."""
    content = badge.content
    image = content.image_png if content is not None else None
    details_json = content.details_json if content is not None else ""
    fields = {
        "kind": kind,
        "lang": lang,
        "title": title_line,
        "badge": [
            badge.id,
            badge.public_id,
            badge.name,
            badge.issuer_name,
            badge.issuer_id,
            _stamp(badge.issued_on),
            _stamp(badge.expires),
            badge.visibility,
            badge.result,
            badge.recipient_confirmed,
            _stamp(badge.verified_at),
            # Time moves the status (expiring, expired) without any row changing.
            badge_service.status_of(badge),
            hashlib.sha256(image or b"").hexdigest(),
            hashlib.sha256((details_json or "").encode()).hexdigest(),
        ],
        "user": [
            user.family_name,
            user.given_name,
            user.family_name_kana,
            user.given_name_kana,
            user.romanized_name,
            user.name_order,
        ],
        "base_url": current_app.config["BASE_URL"],
        "zone": current_app.config.get("BABEL_DEFAULT_TIMEZONE"),
        # The details sheet prints the day it was printed.
        "day": _local_now().date().isoformat() if kind == "details" else None,
        "templates": _template_digest(),
        "fonts": fonts.identity(),
    }
    blob = json.dumps(fields, ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


# --- rendering --------------------------------------------------------------------------------


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


def content_disposition(document: Document) -> str:
    """Return the Content-Disposition header value of a download (ASCII name + filename*)."""
    return (
        f'attachment; filename="{document.filename}"; '
        f"filename*=UTF-8''{quote(document.filename_utf8, safe='')}"
    )


def _link_callback(allowed: Iterable[str]):
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
    if b"+" + _font_name(fonts.main) not in pdf:
        raise FontMissing(f"the Japanese font {fonts.main} was not embedded; {INSTALL_HINT}.")
    return pdf


def build(
    badge: Badge, user: User, kind: str, lang: str, title_line: str | None = None
) -> Document:
    """Return the document (from the cache when nothing it shows has changed)."""
    if kind not in KINDS:
        raise DocumentError(f"unknown document kind {kind!r} (one of {', '.join(KINDS)}).")
    if lang not in LANGS:
        raise DocumentError(f"unknown language {lang!r} (one of {', '.join(LANGS)}).")
    title = clean_title(title_line) if kind == "card" else ""
    fonts = locate_fonts()
    key = cache_key(badge, user, kind, lang, title, fonts)
    hit = _cache.get(key)
    if hit is not None:
        return hit if hit.cached else _as_cached(hit)
    document = _render(badge, user, kind, lang, title, fonts)
    _cache.put(key, _as_cached(document))
    return document


def _as_cached(document: Document) -> Document:
    """Return the same document flagged as served from the cache."""
    return Document(
        document.pdf,
        document.kind,
        document.lang,
        document.filename,
        document.filename_utf8,
        document.missing,
        cached=True,
    )


def _render(badge: Badge, user: User, kind: str, lang: str, title: str, fonts: Fonts) -> Document:
    """Render one document now (no cache); a one-sheet document that spills over shrinks."""
    for compact in range(MAX_COMPACT + 1):
        glyphs = _glyphs(fonts)
        previous = g.get("force_lang")
        g.force_lang = lang
        try:
            with force_locale(lang):
                context = _context(badge, user, kind, lang, title, fonts, glyphs, compact)
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


def render(badge: Badge, user: User, kind: str, lang: str, title_line: str | None = None) -> bytes:
    """Return the PDF of a badge document: kind certificate|details|card, lang ja|en."""
    return build(badge, user, kind, lang, title_line).pdf
