"""Dates as people read them, one style per language."""

from __future__ import annotations

from datetime import date
from datetime import datetime
from functools import lru_cache

from babel import Locale
from babel.dates import format_date

DAY_PATTERNS = {"ja": "y年M月d日", "en": "d MMMM y"}


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
