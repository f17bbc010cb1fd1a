"""A badge's state with everything said about it: why, since when, when it is checked again.

One description for every reader: the holder's badge page, the public verification page and
the printed documents all take theirs from `describe`, so none can tell a different story.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from datetime import datetime
from datetime import tzinfo
from typing import Protocol

from wallet.services import dates
from wallet.services import freshness
from wallet.services import reasons
from wallet.services import states


class Stored(Protocol):
    """What a state is worked out from: a Badge row or the verification page's facts."""

    result: str
    expires: datetime | None
    expires_day: date | None
    recipient_confirmed: bool
    verified_at: datetime | None
    reason_json: str | None


@dataclass(frozen=True)
class Standing:
    """The state of a badge and what goes with it (texts already in the reader's language)."""

    state: str
    reason: str  # why the last check gave this result (invalid, unverifiable, ...)
    issuer_reason: str  # the issuer's own words for a revocation
    since: datetime | None  # when the wallet first saw this result
    checked_at: datetime | None  # the last check
    next_check: datetime | None  # when `wallet reverify` tries again at the earliest
    stale: bool  # the last check is older than allowed: a new one is due
    expired_by_date: bool  # the stated validity has ended (said beside other states too)

    @property
    def shareable(self) -> bool:
        """Return whether sharing and business cards are offered in this state."""
        return self.state not in states.UNSHAREABLE

    @property
    def ended(self) -> bool:
        """Return whether the badge is revoked or expired (documents carry a mark)."""
        return self.state in states.ENDED


def describe(badge: Stored, lang: str, zone: tzinfo | None, at: datetime | None = None) -> Standing:
    """Return the badge's standing as every reader is told it, at ``at`` (default: now)."""
    at = at or dates.now()
    state = states.state_of(badge, at)
    reason = reasons.parse(badge.reason_json)
    expires = dates.as_aware(badge.expires) if badge.expires is not None else None
    return Standing(
        state=state,
        reason=reasons.reason_text(badge.reason_json, lang, zone)
        if state in ("invalid", "unverifiable", "not_yet_valid")
        else "",
        issuer_reason=reason.issuer_words if reason is not None and state == "revoked" else "",
        since=reason.since if reason is not None else None,
        checked_at=dates.as_aware(badge.verified_at) if badge.verified_at else None,
        next_check=freshness.next_check(badge),
        stale=freshness.is_stale(badge, at),
        expired_by_date=expires is not None and expires <= at,
    )
