"""The documents' shared vocabulary: kinds, languages, the rendered Document and its errors."""

from __future__ import annotations

from dataclasses import dataclass

KINDS = ("certificate", "details", "card")
LANGS = ("ja", "en")


class DocumentError(Exception):
    """A document could not be rendered; the message says why in one line."""


class CardOff(DocumentError):
    """No business card for a revoked, expired or invalid badge: it would look valid to all."""


class FontMissing(DocumentError):
    """No usable Japanese font: refuse rather than print a PDF without Japanese glyphs."""


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
