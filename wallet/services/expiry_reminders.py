"""Reminder mails before a badge expires: once per badge and expiry date, in the holder's words.

A badge is due when its state is "expiring" (valid, its recipient confirmed, and expiring
within states.EXPIRING_SOON) and its holder has not turned reminders off. Each mail is claimed
first (the badge records the expiry it was reminded of, in one conditional UPDATE), so two
workers, a worker and cron, or a job run twice never send it twice; a newer copy of the badge
with another expiry date gets its own reminder. A mail that could not be handed over is
un-claimed and tried on the next run.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from dataclasses import field
from datetime import datetime

from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.sql.elements import ColumnElement

from wallet.extensions import db
from wallet.models import Badge
from wallet.models import User
from wallet.services import dates
from wallet.services import mail
from wallet.services import states
from wallet.services.links import external_url

log = logging.getLogger(__name__)

TEMPLATE = "expiry_reminder"


@dataclass
class ReminderSummary:
    """What one run did: the public ids reminded of, and those whose mail failed."""

    sent: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        """Return the summary as a JSON-ready object."""
        return {"sent": len(self.sent), "failed": list(self.failed)}


def _not_reminded() -> ColumnElement[bool]:
    """SQL condition: no reminder was sent for the badge's current expiry."""
    return or_(Badge.expiry_reminded_for.is_(None), Badge.expiry_reminded_for != Badge.expires)


def due_ids(at: datetime | None = None, limit: int | None = None) -> list[int]:
    """Return the ids of badges whose reminder is due, the soonest expiry first."""
    at = at or dates.now()
    statement = (
        select(Badge.id)
        .join(User, User.id == Badge.user_id)
        .where(
            User.expiry_reminders.is_(True),
            Badge.result == "valid",
            Badge.recipient_confirmed.is_(True),
            Badge.expires > at,
            Badge.expires <= at + states.EXPIRING_SOON,
            _not_reminded(),
        )
        .order_by(Badge.expires, Badge.id)
    )
    if limit is not None:
        statement = statement.limit(limit)
    return list(db.session.scalars(statement))


def send_due(limit: int | None = None) -> ReminderSummary:
    """Mail every due reminder (cron: `wallet expiry-reminders`; the worker's periodic job)."""
    summary = ReminderSummary()
    at = dates.now()
    for badge_id in due_ids(at, limit):
        outcome = remind(badge_id, at)
        if outcome is None:
            continue
        public_id, sent = outcome
        (summary.sent if sent else summary.failed).append(public_id)
    log.info("expiry reminders: %d sent, %d failed", len(summary.sent), len(summary.failed))
    return summary


def send_due_job() -> None:
    """The periodic `badges.expiry_reminders` job."""
    send_due()


def remind(badge_id: int, at: datetime | None = None) -> tuple[str, bool] | None:
    """Mail one badge's reminder when still due; return (public id, sent), None when not due."""
    at = at or dates.now()
    badge = db.session.get(Badge, badge_id, populate_existing=True)
    if badge is None or states.state_of(badge, at) != "expiring":
        return None
    user = db.session.get(User, badge.user_id)
    if user is None or not user.expiry_reminders:
        return None
    previous = badge.expiry_reminded_for
    claimed = db.session.execute(
        update(Badge)
        .where(Badge.id == badge.id, Badge.expires.is_not(None), _not_reminded())
        .values(expiry_reminded_for=Badge.expires),
        execution_options={"synchronize_session": False},
    ).rowcount
    db.session.commit()
    if not claimed:
        return None  # another run sent it meanwhile
    sent = mail.send(user.email, TEMPLATE, user.language, **_mail_context(user, badge))
    if not sent:
        db.session.execute(
            update(Badge)
            .where(Badge.id == badge.id, Badge.expiry_reminded_for == Badge.expires)
            .values(expiry_reminded_for=previous),
            execution_options={"synchronize_session": False},
        )
        db.session.commit()
        log.warning("expiry reminder of badge %d not sent; the next run tries again", badge.id)
    return badge.public_id, sent


def expiry_text(user: User, badge: Badge) -> str:
    """Return when the badge expires as its holder reads it: the day the badge states, else the
    moment in the holder's zone (with the zone named)."""
    zone = dates.reader_zone(user.timezone, user.language)
    if badge.expires_day is not None:
        return dates.format_day(badge.expires_day, user.language)
    return dates.format_moment(badge.expires, user.language, zone)


def _mail_context(user: User, badge: Badge) -> dict[str, object]:
    """Return what the reminder mail shows."""
    return {
        "user": user,
        "badge_name": badge.name,
        "issuer_name": badge.issuer_name,
        "expires_text": expiry_text(user, badge),
        "badge_url": external_url("wallet.show", badge_id=badge.id),
        "settings_url": external_url("account.settings", _anchor="expiry-reminders"),
    }
