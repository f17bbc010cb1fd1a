"""Dates and times as people read them: in the reader's time zone, one style per language.

A badge's issue and expiry dates are usually calendar days ("awarded on 20 April 2026"), which
issuers write as an instant: midnight (or the last second) of that day in their own zone, e.g.
``2026-04-20T00:00:00+09:00``. Such a value is a *day* and prints as that day everywhere,
whatever the reader's zone (``stated_day``). Any other instant (a check, a revocation seen, an
award made at 14:05) is a *moment*, shown in the reader's zone with the zone named.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import time
from datetime import tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo
from zoneinfo import ZoneInfoNotFoundError
from zoneinfo import available_timezones

from babel import Locale
from babel.dates import format_date
from babel.dates import get_timezone_name
from flask import current_app

DAY_PATTERNS = {"ja": "y年M月d日", "en": "d MMMM y"}
# A moment: the day, the time (24 h) and the zone named in words.
MOMENT_FORMATS = {"ja": "{day} {time}（{zone}）", "en": "{day}, {time} ({zone})"}
# The zones a reader gets when they chose none: Japan for Japanese, UTC otherwise.
DEFAULT_ZONES = {"ja": "Asia/Tokyo", "en": "UTC"}
UTC_NAMES = ("UTC", "Etc/UTC")
# Regions offered in the settings; the rest of the tz database is aliases and legacy names.
_REGIONS = (
    "Africa/",
    "America/",
    "Antarctica/",
    "Asia/",
    "Atlantic/",
    "Australia/",
    "Europe/",
    "Indian/",
    "Pacific/",
)
_END_OF_DAY = time(23, 59, 59)


def format_day(value: date | datetime | None, lang: str, zone: tzinfo | None = None) -> str:
    """Format a calendar day (2026年4月20日 / 20 April 2026); an instant is taken in ``zone``."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = as_aware(value).astimezone(zone or UTC).date()
    return format_date(value, DAY_PATTERNS.get(lang, DAY_PATTERNS["en"]), locale=_locale(lang))


def format_moment(value: datetime | None, lang: str, zone: tzinfo | None = None) -> str:
    """Format an instant in ``zone``: 20 April 2026, 23:30 (Japan Time) and its ja form."""
    if value is None:
        return ""
    zone = zone or UTC
    local = as_aware(value).astimezone(zone)
    template = MOMENT_FORMATS.get(lang, MOMENT_FORMATS["en"])
    return template.format(
        day=format_day(local.date(), lang), time=f"{local:%H:%M}", zone=zone_name(zone, lang)
    )


def format_when(day: date | None, moment: datetime | None, lang: str, zone: tzinfo | None) -> str:
    """Format a badge date: the day it states when it states one, else the moment's day."""
    return format_day(day if day is not None else moment, lang, zone)


def instant_format(lang: str, zone: tzinfo | None) -> Callable[[datetime, bool], str]:
    """Return how check messages show their dates: a stated day as such, a moment in ``zone``."""

    def show(value: datetime, day_only: bool) -> str:
        return format_day(value.date(), lang) if day_only else format_moment(value, lang, zone)

    return show


def zone_name(zone: tzinfo, lang: str) -> str:
    """Return a zone's name in words: 日本時間 / Japan Time; UTC stays UTC."""
    key = getattr(zone, "key", None) or str(zone)
    if key in UTC_NAMES or zone is UTC:
        return "UTC"
    return _zone_name(key, lang)


@lru_cache(maxsize=64)
def _zone_name(key: str, lang: str) -> str:
    """Return the CLDR long generic name of a zone (reading the data once per zone)."""
    return get_timezone_name(ZoneInfo(key), "long", locale=_locale(lang))


def stated_day(value: datetime | None, *, end: bool = False) -> date | None:
    """Return the calendar day an issuer's date names, None when it is a moment.

    Midnight in the offset the issuer wrote names that day (a date-only value reads as UTC
    midnight); for an expiry, so does the last second of a day. The offset must still be on
    the value (as parsed), not normalised to UTC.
    """
    if value is None or value.tzinfo is None:
        return None
    clock = value.time()
    if clock == time(0, 0) or (end and clock.replace(microsecond=0) == _END_OF_DAY):
        return value.date()
    return None


def now() -> datetime:
    """Return the wallet's clock: a fixed instant when configured (VERIFY_NOW), else now."""
    fixed = current_app.config.get("VERIFY_NOW")
    return fixed if isinstance(fixed, datetime) else datetime.now(UTC)


def to_utc(value: datetime | None) -> datetime | None:
    """Return an instant in UTC for storage: SQLite keeps a value's wall time and drops its
    offset, so 00:30+09:00 stored as written would read back as 00:30 UTC (nine hours off)."""
    return None if value is None else as_aware(value).astimezone(UTC)


def as_aware(value: datetime) -> datetime:
    """Return value with UTC attached when the database gave it back naive (SQLite)."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def zone_of(name: str | None) -> ZoneInfo | None:
    """Return the zone with this IANA name, None when there is no such zone."""
    if not name or not isinstance(name, str) or len(name) > 64:
        return None
    try:
        return _zone(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


@lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def default_zone_name(lang: str) -> str:
    """Return the zone for a reader who chose none: WALLET_DEFAULT_TIMEZONES by language."""
    configured = current_app.config.get("DEFAULT_TIMEZONES") or {}
    name = configured.get(lang) if isinstance(configured, dict) else None
    if isinstance(name, str) and zone_of(name) is not None:
        return name
    return DEFAULT_ZONES.get(lang, "UTC")


def reader_zone(preference: str | None, lang: str) -> ZoneInfo:
    """Return the reader's zone: their own choice, else the default of their language."""
    return zone_of(preference) or zone_of(default_zone_name(lang)) or ZoneInfo("UTC")


@lru_cache(maxsize=1)
def timezone_choices() -> tuple[str, ...]:
    """Return the zones a holder may choose: UTC and every regional IANA zone, sorted."""
    names = sorted(n for n in available_timezones() if n.startswith(_REGIONS))
    return ("UTC", *names)


@lru_cache(maxsize=16)
def _locale(lang: str) -> Locale:
    """Return the parsed locale (parsing it reads locale data from disk; a list has many dates)."""
    return Locale.parse(lang)
