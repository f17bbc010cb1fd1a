"""Language choice (user, cookie, Accept-Language) and check messages in the page language."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import tzinfo
from functools import lru_cache

from flask import current_app
from flask import g
from flask import request
from flask_babel import get_locale
from flask_login import current_user
from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header

from wallet.openbadges.messages import message_text
from wallet.services import dates
from wallet.web.visitors import may_be_signed_in

LANG_COOKIE = "wallet_lang"


def supported(lang: str | None) -> str | None:
    """Return lang when it is a UI language we have, else None."""
    return lang if lang in current_app.config["LANGUAGES"] else None


def select_locale() -> str:
    """Pick the UI language: forced > ?lang= > account > cookie > Accept-Language > default."""
    forced = supported(g.get("force_lang"))
    if forced:
        return forced
    # ?lang= shows one page in a language without storing anything (cookie-free public pages).
    asked = supported(request.args.get("lang"))
    # Without a sign-in cookie nobody is signed in: skip loading the user (visitors of /b/).
    if not asked and may_be_signed_in(request.cookies):
        lang = supported(getattr(current_user, "language", None))  # None when signed out
        if lang:
            return lang
    return visitor_language(
        asked, request.cookies.get(LANG_COOKIE), request.headers.get("Accept-Language", "")
    )


def visitor_language(asked: str | None, cookie: str | None, accept_language: str) -> str:
    """Pick a signed-out visitor's language: ?lang= > cookie > Accept-Language > default."""
    return (
        supported(asked)
        or supported(cookie)
        or _best_match(accept_language, tuple(current_app.config["LANGUAGES"]))
        or str(current_app.config["BABEL_DEFAULT_LOCALE"])
    )


@lru_cache(maxsize=128)
def _best_match(header: str, languages: tuple[str, ...]) -> str | None:
    """Return the best of languages for an Accept-Language header (browsers send few variants)."""
    return parse_accept_header(header, LanguageAccept).best_match(languages)


def reader_zone() -> tzinfo:
    """Return the zone this page shows dates in: the holder's choice, else the language's.

    Signed-out visitors (public pages) get the page language's zone, Japan for Japanese, and
    the page names it; nothing about the visitor is stored or guessed. Outside a request
    (documents, the CLI) services.dates.reader_zone takes the holder's values directly.
    """
    zone = g.get("reader_zone")
    if zone is None:
        preference, lang = None, str(get_locale() or "en")
        if may_be_signed_in(request.cookies) and current_user.is_authenticated:
            # The holder's own choice, else their account language's zone: a page viewed in
            # another language for a moment does not move their dates.
            preference = current_user.timezone
            lang = current_user.language or lang
        zone = dates.reader_zone(preference, lang)
        g.reader_zone = zone
    return zone


def check_text(message_id: str | None, params: Mapping[str, str] | None = None) -> str:
    """Return a check's message in the page language; placeholders without values are left out."""
    lang = str(get_locale() or "en")
    return message_text(message_id, lang, params, dates.instant_format(lang, reader_zone()))
