"""Pure helpers that build the checks shared by every version: dates, validity, recipient."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC
from datetime import datetime
from datetime import timedelta

from wallet.openbadges.model import Check
from wallet.openbadges.model import Recipient
from wallet.openbadges.recipient import recipient_matches

_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_UNIX = re.compile(r"^-?\d{1,12}(\.\d+)?$")
# Issuers' clocks drift; a badge issued "a minute from now" is a clock problem, not a forgery.
CLOCK_SKEW = timedelta(minutes=5)


def parse_datetime(value: object, *, allow_unix: bool = False) -> datetime | None:
    """Parse an ISO 8601 date-time (or date; Unix seconds when allowed) into an aware datetime.

    Returns None when the value is absent; raises ValueError when it is unreadable.
    A value without a time zone is read as UTC.
    """
    if value is None:
        return None
    if allow_unix and isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(float(value), UTC)
    if not isinstance(value, str) or len(value) > 64:
        raise ValueError("date is not a string")
    text = value.strip()
    if allow_unix and _UNIX.match(text):
        return datetime.fromtimestamp(float(text), UTC)
    if _DATE_ONLY.match(text):
        return datetime.fromisoformat(text).replace(tzinfo=UTC)
    if text.endswith(("z", "Z")):
        text = text[:-1] + "+00:00"
    parsed = datetime.fromisoformat(text)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def has_timezone(value: object) -> bool:
    """Tell whether an ISO 8601 string names its time zone (OB 2.0 and 3.0 require one)."""
    if not isinstance(value, str):
        return False
    text = value.strip()
    return text.endswith(("z", "Z")) or bool(re.search(r"[+-]\d{2}:?\d{2}$", text))


def _aware(value: datetime | None) -> datetime | None:
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def date_checks(
    issued: datetime | None,
    valid_from: datetime | None,
    expires: datetime | None,
    now: datetime,
    *,
    skew: timedelta = CLOCK_SKEW,
) -> list[Check]:
    """Return checks for issue date, validity start and expiry against the injected ``now``.

    Issue and start dates may lie up to ``skew`` in the future; expiry is exact.
    """
    issued, valid_from, expires, now = (
        _aware(issued),
        _aware(valid_from),
        _aware(expires),
        _aware(now) or now,
    )
    checks: list[Check] = []
    if issued is not None:
        if issued > now + skew:
            checks.append(
                Check(
                    "issued_on",
                    "failed",
                    "dates.issued_in_future",
                    f"issued {_iso(issued)} is after now",
                    {"date": _iso(issued)},
                )
            )
        else:
            checks.append(
                Check("issued_on", "passed", "dates.issued_ok", params={"date": _iso(issued)})
            )
    if valid_from is not None:
        if valid_from > now + skew:
            checks.append(
                Check(
                    "valid_from",
                    "failed",
                    "dates.not_yet_valid",
                    f"valid from {_iso(valid_from)}",
                    {"date": _iso(valid_from)},
                    outcome="not_yet_valid",
                )
            )
        else:
            checks.append(
                Check(
                    "valid_from", "passed", "dates.valid_from_ok", params={"date": _iso(valid_from)}
                )
            )
    if expires is None:
        checks.append(Check("expiry", "passed", "dates.no_expiry"))
        return checks
    start = issued or valid_from
    if start is not None and expires < start:
        checks.append(
            Check(
                "expiry",
                "failed",
                "dates.expires_before_issued",
                f"expires {_iso(expires)} before it was issued {_iso(start)}",
                {"date": _iso(expires)},
            )
        )
    elif expires <= now:
        checks.append(
            Check(
                "expiry",
                "failed",
                "dates.expired",
                f"expired {_iso(expires)}",
                {"date": _iso(expires)},
                outcome="expired",
            )
        )
    else:
        checks.append(
            Check("expiry", "passed", "dates.not_expired", params={"date": _iso(expires)})
        )
    return checks


def recipient_check(recipient: Recipient | None, emails: Iterable[str] | None) -> Check:
    """Return the recipient check: skipped without emails, failed when none of them matches."""
    if emails is None:
        return Check("recipient", "skipped", "recipient.not_checked")
    if recipient is None:
        return Check("recipient", "skipped", "recipient.no_email_identity")
    matched = recipient_matches(recipient, list(emails))
    if matched is None:
        return Check(
            "recipient",
            "skipped",
            "recipient.no_email_identity",
            f"recipient type {recipient.type!r}",
        )
    if matched:
        return Check("recipient", "passed", "recipient.matched")
    return Check("recipient", "failed", "recipient.mismatch", "no listed email matches")
