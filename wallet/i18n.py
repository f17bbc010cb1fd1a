"""Language choice (user, cookie, Accept-Language) and locale-aware formatting."""

from __future__ import annotations

from datetime import date
from datetime import datetime
from functools import lru_cache

from babel import Locale
from babel.dates import format_date
from flask import current_app
from flask import g
from flask import request
from flask_login import current_user

LANG_COOKIE = "wallet_lang"
DAY_PATTERNS = {"ja": "y年M月d日", "en": "d MMMM y"}


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
    if asked:
        return asked
    if current_user and getattr(current_user, "is_authenticated", False):
        lang = supported(current_user.language)
        if lang:
            return lang
    lang = supported(request.cookies.get(LANG_COOKIE))
    if lang:
        return lang
    best = request.accept_languages.best_match(current_app.config["LANGUAGES"])
    return best or current_app.config["BABEL_DEFAULT_LOCALE"]


def format_day(value: date | datetime | None, lang: str) -> str:
    """Format a calendar day: 2024年4月1日 in Japanese, 1 April 2024 in English."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.date()
    return format_date(value, DAY_PATTERNS.get(lang, DAY_PATTERNS["en"]), locale=_locale(lang))


@lru_cache(maxsize=16)
def _locale(lang: str) -> Locale:
    """Return the parsed locale (parsing it reads locale data from disk; a list has many dates)."""
    return Locale.parse(lang)
