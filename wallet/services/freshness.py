"""Fresh verification results: re-verify stale badges (cron) and the live state visitors see."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from typing import Protocol

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from wallet.extensions import db
from wallet.models import Badge
from wallet.openbadges.fetch import Fetcher
from wallet.services import badges

log = logging.getLogger(__name__)

# What a visitor of /b/<public_id> may be told (see public_state).
PUBLIC_STATES = (
    "valid",
    "expired",
    "revoked",
    "unconfirmed",
    "unverifiable",
    "invalid",
    "not_yet_valid",
)
BATCH = 50


class Checked(Protocol):
    """A stored verification: a Badge row, or the verification page's facts."""

    result: str
    expires: datetime | None
    recipient_confirmed: bool
    verified_at: datetime | None


@dataclass
class ReverifySummary:
    """What one `wallet reverify` run did."""

    checked: int = 0
    changed: list[tuple[str, str, str]] = field(default_factory=list)  # (public_id, old, new)
    failed: list[str] = field(default_factory=list)  # public ids whose re-check raised

    def as_dict(self) -> dict[str, object]:
        """Return the summary as a JSON-ready object."""
        return {
            "checked": self.checked,
            "changed": [{"public_id": p, "from": a, "to": b} for p, a, b in self.changed],
            "failed": list(self.failed),
        }


def max_age() -> timedelta:
    """Return the configured age after which a stored verification counts as stale."""
    return timedelta(seconds=int(current_app.config.get("VERIFY_MAX_AGE", 24 * 60 * 60)))


def is_stale(
    badge: Checked, at: datetime | None = None, older_than: timedelta | None = None
) -> bool:
    """Return whether the badge's last verification is older than the allowed age."""
    at = at or badges.now()
    verified_at = _aware(badge.verified_at)
    return verified_at is None or at - verified_at > (older_than or max_age())


def stale_ids(
    older_than: timedelta, at: datetime | None = None, limit: int | None = None
) -> list[int]:
    """Return the ids of badges last verified before ``at - older_than``, oldest check first."""
    at = at or badges.now()
    statement = (
        select(Badge.id)
        .where(Badge.verified_at < at - older_than)
        .order_by(Badge.verified_at, Badge.id)
    )
    if limit is not None:
        statement = statement.limit(limit)
    return list(db.session.scalars(statement).all())


def reverify_stale(
    older_than: timedelta | None = None,
    *,
    fetcher: Fetcher | None = None,
    limit: int | None = None,
) -> ReverifySummary:
    """Re-verify every badge whose last check is older than ``older_than`` (default: the config).

    Meant for cron, never for a visitor's request: it fetches remote documents. One badge
    that cannot be re-checked is logged and skipped; the others still run.
    """
    summary = ReverifySummary()
    ids = stale_ids(older_than if older_than is not None else max_age(), limit=limit)
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        rows = db.session.scalars(
            select(Badge).options(selectinload(Badge.content)).where(Badge.id.in_(chunk))
        ).all()
        for badge in sorted(rows, key=lambda b: chunk.index(b.id)):
            before = badge.result
            public_id = badge.public_id
            try:
                # Each badge gets its own fetch budget (make_fetcher) unless a fetcher is injected.
                report = badges.reverify(badge, fetcher=fetcher)
            except Exception:  # a cron run must survive one unreadable badge
                db.session.rollback()
                log.exception("re-verification of badge %d failed", badge.id)
                summary.failed.append(public_id)
                continue
            summary.checked += 1
            if report.result != before:
                summary.changed.append((public_id, before, report.result))
        db.session.expunge_all()  # keep memory flat over thousands of badges
    return summary


def enqueue_stale(limit: int | None = None) -> int:
    """Queue one `reverify.badge` job per stale badge (the periodic `reverify.stale` job)."""
    from wallet.services import jobs

    ids = stale_ids(max_age(), limit=limit)
    for badge_id in ids:
        jobs.enqueue("reverify.badge", badge_id=badge_id)
    log.info("queued %d stale badge(s) for re-verification", len(ids))
    return len(ids)


def reverify_job(badge_id: int) -> None:
    """Re-verify one badge unless it is gone or was re-checked meanwhile (`reverify.badge` job)."""
    badge = db.session.get(
        Badge, badge_id, options=[selectinload(Badge.content)], populate_existing=True
    )
    if badge is None or not is_stale(badge):
        return
    badges.reverify(badge)


def public_state(badge: Checked, at: datetime | None = None) -> str:
    """Return the state a visitor sees, with expiry computed live from ``expires``.

    The stored result may be up to VERIFY_MAX_AGE old; expiry never waits for the next
    re-check, so an expired badge shows expired at once (it outranks "could not be checked":
    the date is part of the badge itself).
    """
    at = at or badges.now()
    result = badge.result
    if result in ("revoked", "invalid"):
        return result
    expires = _aware(badge.expires)
    if result == "expired" or (expires is not None and expires <= at):
        return "expired"
    if result in ("not_yet_valid", "unverifiable"):
        return result
    if result != "valid":
        return "unverifiable"
    return "valid" if badge.recipient_confirmed else "unconfirmed"


def _aware(value: datetime | None) -> datetime | None:
    """Return value with UTC attached when the database gave it back naive (SQLite)."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value
