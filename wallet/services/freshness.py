"""Fresh verification results: re-verify stale badges (cron) and say when the next check is."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from typing import Protocol

from flask import current_app
from sqlalchemy import and_
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from wallet.extensions import db
from wallet.models import Badge
from wallet.openbadges.fetch import Fetcher
from wallet.services import badges

log = logging.getLogger(__name__)

BATCH = 50


class Checked(Protocol):
    """A stored verification: a Badge row, or the verification page's facts."""

    result: str
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


def retry_age() -> timedelta:
    """Return how soon a check that could not be completed is tried again (at most max_age)."""
    retry = timedelta(seconds=int(current_app.config.get("VERIFY_RETRY_AGE", 60 * 60)))
    return min(retry, max_age())


def _age_for(badge: Checked) -> timedelta:
    """Return the age at which this badge's stored verification is due again."""
    return retry_age() if badge.result == "unverifiable" else max_age()


def is_stale(
    badge: Checked, at: datetime | None = None, older_than: timedelta | None = None
) -> bool:
    """Return whether the badge's last verification is older than the allowed age."""
    at = at or badges.now()
    verified_at = _aware(badge.verified_at)
    return verified_at is None or at - verified_at > (older_than or _age_for(badge))


def next_check(badge: Checked) -> datetime | None:
    """Return when `wallet reverify` checks this badge again at the earliest (None: unknown)."""
    verified_at = _aware(badge.verified_at)
    return None if verified_at is None else verified_at + _age_for(badge)


def stale_ids(
    older_than: timedelta,
    at: datetime | None = None,
    limit: int | None = None,
    retry_after: timedelta | None = None,
) -> list[int]:
    """Return the ids of badges last verified before ``at - older_than``, oldest check first.

    With ``retry_after``, badges whose last check could not be completed are due that much
    sooner (an issuer's server that was down should not leave them unchecked for a day).
    """
    at = at or badges.now()
    due = Badge.verified_at < at - older_than
    if retry_after is not None and retry_after < older_than:
        due = or_(due, and_(Badge.result == "unverifiable", Badge.verified_at < at - retry_after))
    statement = select(Badge.id).where(due).order_by(Badge.verified_at, Badge.id)
    if limit is not None:
        statement = statement.limit(limit)
    return list(db.session.scalars(statement).all())


def reverify_stale(
    older_than: timedelta | None = None,
    *,
    fetcher: Fetcher | None = None,
    limit: int | None = None,
) -> ReverifySummary:
    """Re-verify every badge whose last check is older than ``older_than`` (default: the config,
    and VERIFY_RETRY_AGE for badges whose last check could not be completed).

    Meant for cron, never for a visitor's request: it fetches remote documents. One badge
    that cannot be re-checked is logged and skipped; the others still run.
    """
    summary = ReverifySummary()
    if older_than is None:
        ids = stale_ids(max_age(), limit=limit, retry_after=retry_age())
    else:
        ids = stale_ids(older_than, limit=limit)
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

    ids = stale_ids(max_age(), limit=limit, retry_after=retry_age())
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


def _aware(value: datetime | None) -> datetime | None:
    """Return value with UTC attached when the database gave it back naive (SQLite)."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value
