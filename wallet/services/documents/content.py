"""What each document shows: holder and issuer texts, type sizes that fit, the template context."""

from __future__ import annotations

import re
import unicodedata
from datetime import tzinfo
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from markupsafe import Markup

from wallet.models import Badge
from wallet.models import User
from wallet.models.names import full_name
from wallet.models.names import full_name_kana
from wallet.services import badges as badge_service
from wallet.services import dates
from wallet.services.about import about
from wallet.services.documents.fonts import Fonts
from wallet.services.documents.fonts import Glyphs
from wallet.services.documents.fonts import glyphs_for
from wallet.services.documents.fonts import locate_fonts
from wallet.services.documents.images import badge_png
from wallet.services.documents.images import data_uri
from wallet.services.documents.images import qr_png
from wallet.services.documents.stamp import stamp_png
from wallet.services.standing import describe

TITLE_MAX = 80
IMAGE_PIXELS = {"certificate": 640, "details": 400, "card": 200}


def public_url(badge: Badge) -> str:
    """Return the badge's public verification URL, the QR target (`BASE_URL/b/<public_id>`)."""
    return f"{current_app.config['BASE_URL']}/b/{badge.public_id}"


def _status_words() -> dict[str, str]:
    """Return the verification states in words (same msgids as the pages)."""
    return {
        "valid": _("Valid"),
        "expiring": _("Expires soon"),
        "expired": _("Expired"),
        "revoked": _("Revoked"),
        "unconfirmed": _("Recipient not confirmed"),
        "invalid": _("Not valid"),
        "unverifiable": _("Could not be verified"),
        "not_yet_valid": _("Not yet valid"),
    }


def holder_zone(user: User) -> tzinfo:
    """Return the zone a holder's documents print dates in (theirs, else their language's)."""
    return dates.reader_zone(user.timezone, user.language or "ja")


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


def _identifiers(badge: Badge) -> list[tuple[str, str]]:
    """Return (label, value) of the identifiers the issuer put in the badge."""
    return about(badge_service.details(badge)).identifiers


def missing_characters(badge: Badge, user: User, title_line: str | None = None) -> list[str]:
    """Return the characters of this badge's documents that no installed font can draw."""
    glyphs = glyphs_for(locate_fonts())
    for text in _texts(badge, user, clean_title(title_line)).values():
        glyphs(text)
    for item in badge_service.details(badge).get("identifiers") or []:
        if isinstance(item, dict):
            glyphs(str(item.get("value") or ""))
    return sorted(glyphs.missing)


_MD_LINK = re.compile(r"\[([^\]\n]{1,300})\]\((https?://[^\s)]{1,2000})\)")
_MD_EMPHASIS = re.compile(r"(\*\*|__|`)(?=\S)(.+?)(?<=\S)\1")


def plain(text: str) -> str:
    """Return issuer Markdown as the plain text a reader sees (links keep their address)."""
    text = _MD_LINK.sub(lambda m: f"{m.group(1)} ({m.group(2)})", text)
    return _MD_EMPHASIS.sub(lambda m: m.group(2), text)


def _paragraphs(glyphs: Glyphs, text: str, limit: int = 4000) -> list[Markup]:
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


def template_context(
    badge: Badge,
    user: User,
    kind: str,
    lang: str,
    title_line: str,
    fonts: Fonts,
    glyphs: Glyphs,
    compact: int = 0,
) -> dict[str, Any]:
    """Return the template context of one document (all text already escaped and glyph-checked)."""
    texts = _texts(badge, user, title_line)
    zone = holder_zone(user)
    standing = describe(badge, lang, zone)
    status = standing.state
    url = public_url(badge)
    ordered_name = texts["name"]
    # Latin transcription only when it adds something (not when the name already is Latin).
    romanized = texts["romanized"] if texts["romanized"] != ordered_name else ""
    # An English document leads with the name in Latin letters, the Japanese name beneath.
    lead_name = romanized if lang == "en" and romanized else ordered_name
    context: dict[str, Any] = {
        "kind": kind,
        "lang": lang,
        "font_path": fonts.main.as_posix(),
        "fallback_font_path": fonts.fallback.as_posix() if fonts.fallback else None,
        "name": glyphs(ordered_name),
        "kana": glyphs(texts["kana"]),
        "romanized": glyphs(romanized),
        "romanized_first": lang == "en" and bool(romanized),
        "badge_name": glyphs(texts["badge_name"] or _("(no name)")),
        "issuer_name": glyphs(texts["issuer_name"]),
        "issuer_url": glyphs(texts["issuer_url"]),
        "title_line": glyphs(title_line),
        "issued_on": dates.format_when(badge.issued_day, badge.issued_on, lang, zone),
        "expires": dates.format_when(badge.expires_day, badge.expires, lang, zone),
        "url": url,
        "url_text": url.split("://", 1)[-1],
        "qr_uri": data_uri(qr_png(url)),
        # About 300 dpi at the printed size (54 mm certificate, 32 mm details, 15 mm card).
        "image_uri": data_uri(badge_png(badge, IMAGE_PIXELS[kind])),
        "private": badge.visibility != "public",
        "status": status,
        "status_word": _status_words().get(status, status),
        # Why a badge is not valid, printed beside its state (the deciding check, translated).
        "status_reason": glyphs(standing.reason or standing.issuer_reason),
        "verified_at": dates.format_moment(badge.verified_at, lang, zone),
        "printed_on": dates.format_day(dates.now(), lang, zone),
        "public_id": badge.public_id,
        "stamp_uri": data_uri(stamp_png(status, lang, fonts.main.as_posix()))
        if standing.ended
        else None,
    }
    if kind == "certificate":
        # One page always: long names get smaller type, and each retry (compact) shrinks more.
        # The full name is on the details sheet; the certificate keeps about three lines of it.
        context["badge_name"] = glyphs(_shorten(texts["badge_name"] or _("(no name)"), 110))
        context["qualification_size"] = (
            _fit(texts["badge_name"], [(16, 20), (30, 16), (48, 13)], 11) - 2 * compact
        )
        context["name_size"] = _fit(lead_name, [(14, 30), (20, 24), (28, 18)], 14) - 4 * compact
        context["image_mm"] = round(54 - 12 * compact - (6 if context["private"] else 0))
        context["gap"] = round(1 - 0.3 * compact, 2)
    if kind == "card":
        context["title_size"] = _fit(title_line, [(40, 7.5), (54, 6.2)], 5.2)
        context["name_size"] = _fit(lead_name, [(8, 16), (11, 13), (15, 10), (20, 7.5)], 6)
        context["card_badge_name"] = glyphs(_shorten(texts["badge_name"] or _("(no name)"), 48))
        context["card_issuer_name"] = glyphs(_shorten(texts["issuer_name"], 56))
        context["badge_size"] = _fit(texts["badge_name"], [(14, 7.5), (24, 6.5)], 5.8)
    if kind == "details":
        context["identifiers"] = [
            (glyphs(label), glyphs(value)) for label, value in _identifiers(badge)
        ]
        context["description"] = _paragraphs(glyphs, texts["description"])
        context["criteria"] = _paragraphs(glyphs, texts["criteria"])
        context["criteria_url"] = glyphs(texts["criteria_url"][:300])
    return context
