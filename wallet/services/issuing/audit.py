"""An issuer's audit log: who awarded, re-sent, revoked, changed roles or keys, and when."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC
from datetime import datetime

from sqlalchemy import func
from sqlalchemy import select

from wallet.extensions import db
from wallet.models import Award
from wallet.models import Issuer
from wallet.models import IssuingEvent
from wallet.models import User

ACTIONS = (
    "award",
    "resend",
    "reminder",
    "revoke",
    "csv_upload",
    "achievement_created",
    "reminder_set",
    "role_added",
    "role_changed",
    "role_removed",
    "key_rotated",
)
# A spreadsheet runs a cell that starts with one of these as a formula (OWASP "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Actor:
    """Who acts: an account (None for the system) and through what (web, cli, job)."""

    user: User | None
    via: str = "web"


SYSTEM = Actor(None, "job")


def record(
    issuer: Issuer,
    actor: Actor,
    action: str,
    *,
    award: Award | None = None,
    subject: str = "",
    detail: str = "",
) -> IssuingEvent:
    """Add one line to the issuer's log in the caller's transaction (the caller commits)."""
    event = IssuingEvent(
        issuer_id=issuer.id,
        actor_id=actor.user.id if actor.user is not None else None,
        actor_email=actor.user.email if actor.user is not None else "",
        via=actor.via,
        action=action,
        award_id=award.id if award is not None else None,
        achievement_name=(award.achievement.name if award is not None else "")[:200],
        subject=(subject or (award.email if award is not None else ""))[:254],
        detail=" ".join(detail.split())[:500],
    )
    db.session.add(event)
    return event


def events_of(issuer: Issuer, *, page: int = 1, size: int = 50) -> tuple[list[IssuingEvent], int]:
    """Return one page of the issuer's log, newest first, and the number of lines."""
    total = db.session.scalar(
        select(func.count(IssuingEvent.id)).where(IssuingEvent.issuer_id == issuer.id)
    )
    rows = db.session.scalars(
        select(IssuingEvent)
        .where(IssuingEvent.issuer_id == issuer.id)
        .order_by(IssuingEvent.id.desc())
        .offset((max(page, 1) - 1) * size)
        .limit(size)
    )
    return list(rows), int(total or 0)


def neutralise(value: object) -> str:
    """Return a CSV cell a spreadsheet shows as text: formula starts get a leading quote."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_text(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """Return CSV text (UTF-8 with a BOM, so spreadsheets read Japanese) with every cell safe."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([neutralise(cell) for cell in header])
    for row in rows:
        writer.writerow([neutralise(cell) for cell in row])
    return out.getvalue()


def _utc(moment: datetime) -> str:
    """Return a logged moment as ISO 8601 UTC (SQLite hands it back without its zone)."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def export_csv(issuer: Issuer) -> str:
    """Return the issuer's whole log as CSV, oldest first."""
    rows = db.session.scalars(
        select(IssuingEvent)
        .where(IssuingEvent.issuer_id == issuer.id)
        .order_by(IssuingEvent.id)
        .execution_options(yield_per=500)
    )
    return csv_text(
        ("time", "actor", "via", "action", "badge", "subject", "detail"),
        (
            (
                _utc(event.created_at),
                event.actor_email or "system",
                event.via,
                event.action,
                event.achievement_name,
                event.subject,
                event.detail,
            )
            for event in rows
        ),
    )
