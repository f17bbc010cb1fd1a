"""The TrueType fonts a PDF embeds, and which characters they can draw (glyph coverage)."""

from __future__ import annotations

import logging
import os
import unicodedata
from dataclasses import dataclass
from dataclasses import field
from functools import lru_cache
from pathlib import Path
from typing import Any

from flask import current_app
from markupsafe import Markup
from markupsafe import escape

from wallet.services.documents.types import FontMissing

# The feature's one logger, named as before it was split into modules (log filters name it).
log = logging.getLogger("wallet.services.documents")

# Debian/Ubuntu `fonts-ipaexfont-gothic` (scripts/fonts.sh installs it for `make run`).
DEBIAN_FONT = Path("/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf")
INSTALL_HINT = (
    "install one with `apt-get install fonts-ipaexfont-gothic` (as root on Debian/Ubuntu), "
    "or set WALLET_PDF_FONT_PATH to a TrueType (.ttf, glyf outlines) font with Japanese glyphs"
)
# The geta mark: the conventional Japanese typesetting stand-in for a character the type lacks.
MISSING_MARK = "〓"
# A font path goes into a CSS url("..."); these would need quoting there.
_UNSAFE_PATH_CHARS = set("\"'\\<>&\n\r()")
# Characters that never need a glyph (layout only).
_INVISIBLE = {"\n", "\r", "\t", " ", "\u3000", "\u200b", "\ufeff"}


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


@dataclass
class Glyphs:
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


def font_name(path: Path) -> bytes:
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


def glyphs_for(fonts: Fonts) -> Glyphs:
    """Return a fresh text mapper for these fonts."""
    fallback = _charset(str(fonts.fallback)) if fonts.fallback else frozenset()
    return Glyphs(_charset(str(fonts.main)), fallback)
