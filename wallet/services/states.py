"""The one state of a badge: what its holder, its visitors and its documents are all told.

The stored result is the last verification's verdict; expiry is computed live, so a badge
expires at its date without waiting for the next re-check. The order follows the verdict's
precedence (invalid > revoked > unverifiable > expired > not_yet_valid > valid): a badge whose
last check could not be completed is not called "expired", which would say it was once valid.
"""

from __future__ import annotations

from datetime import datetime
from datetime import timedelta
from typing import Protocol

from wallet.services import dates

STATES = (
    "valid",
    "expiring",
    "expired",
    "revoked",
    "unconfirmed",
    "invalid",
    "unverifiable",
    "not_yet_valid",
)
# States in which sharing and business cards are off: they would show the badge as if it held.
UNSHAREABLE = ("revoked", "expired", "invalid")
# States whose documents carry a mark across the page (失効 / 期限切れ).
ENDED = ("revoked", "expired")
EXPIRING_SOON = timedelta(days=30)
# The wallet list's order: badges a holder can use now first, then those that need a look,
# then the ones that ended (expired before revoked: it was fine until its date).
LIST_ORDER = (
    "valid",
    "expiring",
    "unconfirmed",
    "not_yet_valid",
    "unverifiable",
    "invalid",
    "expired",
    "revoked",
)
# The wallet list's state filter: each choice and the states it shows. "unverifiable" takes
# every state that is neither usable nor ended; the badge's own page says which it is.
FILTERS: dict[str, tuple[str, ...]] = {
    "valid": ("valid",),
    "expiring": ("expiring",),
    "expired": ("expired",),
    "revoked": ("revoked",),
    "unverifiable": ("unconfirmed", "not_yet_valid", "unverifiable", "invalid"),
}


class Checked(Protocol):
    """A stored verification: a Badge row, or the verification page's facts."""

    result: str
    expires: datetime | None
    recipient_confirmed: bool


def state_of(badge: Checked, at: datetime | None = None) -> str:
    """Return the badge's state now (one of STATES), the same for every reader."""
    at = at or dates.now()
    result = badge.result
    if result in ("invalid", "revoked", "unverifiable"):
        return result
    expires = dates.as_aware(badge.expires) if badge.expires is not None else None
    if result == "expired" or (expires is not None and expires <= at):
        return "expired"
    if result == "not_yet_valid":
        return result
    if result != "valid":
        return "unverifiable"  # a result this code does not know is never shown as valid
    if not badge.recipient_confirmed:
        return "unconfirmed"
    if expires is not None and expires - at <= EXPIRING_SOON:
        return "expiring"
    return "valid"
