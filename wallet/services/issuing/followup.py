"""Award follow-up: who received, who has not, re-sending notices, and one reminder on schedule.

States of an award: ``claimed`` (in the holder's wallet), ``unclaimed`` (notice sent, not
received), ``revoked``. The reminder is one mail per unclaimed award, sent once its notice is
``Achievement.reminder_days`` old; `wallet reminders` (cron) and the `awards.reminders` job send
them, and running either twice, or both at once, sends nothing twice: an award is marked
before its mail leaves, and unmarked when the mail could not be handed over.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import Select
from sqlalchemy import func
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy import update

from wallet.extensions import db
from wallet.models import Achievement
from wallet.models import Award
from wallet.models import utcnow
from wallet.services import jobs
from wallet.services.issuing import audit
from wallet.services.issuing import claims

STATES = ("claimed", "unclaimed", "revoked")
MAX_QUERY = 200


@dataclass(frozen=True)
class Counts:
    """How many awards an achievement has, by state."""

    awarded: int
    claimed: int
    unclaimed: int
    revoked: int


def state_of(award: Award) -> str:
    """Return the award's state: revoked, claimed or unclaimed."""
    if award.revoked_at is not None:
        return "revoked"
    return "claimed" if award.claim_state == "claimed" else "unclaimed"


def counts(achievement: Achievement) -> Counts:
    """Return the achievement's awards counted by state (one query)."""
    revoked = Award.revoked_at.is_not(None)
    live = Award.revoked_at.is_(None)
    row = db.session.execute(
        select(
            func.count(Award.id),
            func.count(Award.id).filter(live, Award.claim_state == "claimed"),
            func.count(Award.id).filter(live, Award.claim_state != "claimed"),
            func.count(Award.id).filter(revoked),
        ).where(Award.achievement_id == achievement.id)
    ).one()
    return Counts(*(int(value or 0) for value in row))


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _filtered(achievement: Achievement, query: str, state: str) -> Select[Any]:
    statement = select(Award).where(Award.achievement_id == achievement.id)
    if state == "revoked":
        statement = statement.where(Award.revoked_at.is_not(None))
    elif state == "claimed":
        statement = statement.where(Award.revoked_at.is_(None), Award.claim_state == "claimed")
    elif state == "unclaimed":
        statement = statement.where(Award.revoked_at.is_(None), Award.claim_state != "claimed")
    for word in " ".join(query.replace("\u3000", " ").split())[:MAX_QUERY].split(" "):
        if not word:
            continue
        pattern = _like(word.lower())
        # Case-insensitive everywhere (Latin names, addresses, numbers such as R-12).
        statement = statement.where(
            or_(
                Award.email_key.like(pattern, escape="\\"),
                Award.family_name.ilike(_like(word), escape="\\"),
                Award.given_name.ilike(_like(word), escape="\\"),
                Award.numbers.like(pattern, escape="\\"),
            )
        )
    return statement


def search(
    achievement: Achievement, *, query: str = "", state: str = "", page: int = 1, size: int = 50
) -> tuple[list[Award], int]:
    """Return one page of the achievement's awards matching a search and a state, and the total.

    The query matches name, address or an identifier (registration or pass number); each word
    must match. ``state`` is one of STATES or empty for all.
    """
    state = state if state in STATES else ""
    statement = _filtered(achievement, query, state)
    total = db.session.scalar(select(func.count()).select_from(statement.subquery()))
    rows = db.session.scalars(
        statement.order_by(Award.id.desc()).offset((max(page, 1) - 1) * size).limit(size)
    )
    return list(rows), int(total or 0)


def resend(award: Award, actor: audit.Actor) -> bool:
    """Mail the notice again with a fresh link (unclaimed awards only), and log it."""
    if not claims.send_notice(award):
        return False
    audit.record(award.achievement.issuer, actor, "resend", award=award)
    db.session.commit()
    return True


def unclaimed_ids(achievement: Achievement) -> list[int]:
    """Return the ids of the achievement's unclaimed, unrevoked awards."""
    return list(
        db.session.scalars(
            select(Award.id).where(
                Award.achievement_id == achievement.id,
                Award.revoked_at.is_(None),
                Award.claim_state != "claimed",
            )
        )
    )


def resend_all(achievement: Achievement, actor: audit.Actor) -> int:
    """Queue the notice again for every unclaimed award; return how many were queued."""
    ids = unclaimed_ids(achievement)
    user_id = actor.user.id if actor.user is not None else None
    for award_id in ids:
        jobs.enqueue("awards.resend", award_id=award_id, actor_id=user_id, via=actor.via)
    return len(ids)


def resend_job(award_id: int, actor_id: int | None = None, via: str = "web") -> None:
    """Mail one notice again (the `awards.resend` job; an award received meanwhile is skipped)."""
    from wallet.models import User

    award = db.session.get(Award, award_id)
    if award is None:
        return
    user = db.session.get(User, actor_id) if actor_id is not None else None
    resend(award, audit.Actor(user, via) if user is not None else audit.SYSTEM)


# --- reminders --------------------------------------------------------------------------------


def due_reminders(*, limit: int = 1000) -> list[int]:
    """Return the ids of unclaimed awards whose one reminder is due now."""
    now = utcnow()
    rows = db.session.execute(
        select(Award.id, Award.notified_at, Achievement.reminder_days)
        .join(Achievement, Achievement.id == Award.achievement_id)
        .where(
            Achievement.reminder_days.is_not(None),
            Award.reminded_at.is_(None),
            Award.notified_at.is_not(None),
            Award.revoked_at.is_(None),
            Award.claim_state != "claimed",
        )
        .order_by(Award.id)
    )
    due = []
    for award_id, notified_at, days in rows:
        sent = notified_at if notified_at.tzinfo else notified_at.replace(tzinfo=now.tzinfo)
        if sent + timedelta(days=int(days)) <= now:
            due.append(award_id)
            if len(due) >= limit:
                break
    return due


def remind(award_id: int) -> bool:
    """Send the one reminder of an award, unless it was sent or taken meanwhile."""
    taken = db.session.execute(
        update(Award)
        .where(Award.id == award_id, Award.reminded_at.is_(None))
        .values(reminded_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    if not taken:
        return False
    award = db.session.get(Award, award_id)
    assert award is not None
    db.session.refresh(award)
    if claims.send_notice(award, template="award_reminder"):
        audit.record(award.achievement.issuer, audit.SYSTEM, "reminder", award=award)
        db.session.commit()
        return True
    # Not handed over (or received, revoked meanwhile): a later run may try again.
    award.reminded_at = None
    db.session.commit()
    return False


def send_reminders(*, limit: int = 1000) -> dict[str, int]:
    """Send every due reminder (the `awards.reminders` job and `wallet reminders`)."""
    due = due_reminders(limit=limit)
    sent = sum(1 for award_id in due if remind(award_id))
    return {"due": len(due), "sent": sent}


def reminders_job() -> None:
    """Send the due reminders (the periodic `awards.reminders` job)."""
    send_reminders()


def identifiers_of(award: Award) -> list[tuple[str, str]]:
    """Return the award's (type, value) identifiers: pass and registration numbers and others."""
    return [
        (str(e.get("type", "")), str(e.get("value", "")))
        for e in json.loads(award.identifiers_json)
    ]
