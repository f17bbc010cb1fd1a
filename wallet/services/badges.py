"""Badge use cases: list, show, re-verify, disclose, delete (bringing one in: badge_import)."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import and_
from sqlalchemy import case
from sqlalchemy import func
from sqlalchemy import literal
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from wallet.extensions import db
from wallet.models import Badge
from wallet.models import BadgeContent
from wallet.models import User
from wallet.models import is_public_id
from wallet.models import utcnow
from wallet.openbadges import Credential
from wallet.openbadges import Loaded
from wallet.openbadges import VerificationReport
from wallet.openbadges import verify_loaded
from wallet.openbadges.fetch import Fetcher
from wallet.openbadges.fetch import HttpFetcher
from wallet.services import dates
from wallet.services import images
from wallet.services import metrics
from wallet.services import reasons
from wallet.services.states import EXPIRING_SOON
from wallet.services.states import FILTERS
from wallet.services.states import LIST_ORDER


def make_fetcher() -> Fetcher:
    """Return the app's fetcher: vetted addresses, one total deadline for the whole import."""
    config = current_app.config
    inner = HttpFetcher(
        config["FETCH_ALLOWED_NETWORKS"],
        timeout=float(config.get("FETCH_TIMEOUT", 5.0)),
        max_bytes=int(config.get("FETCH_MAX_BYTES", 5 * 1024 * 1024)),
    )
    return inner.budgeted(float(config.get("IMPORT_DEADLINE", 15.0)))


def now() -> datetime:
    """Return the verification clock (a fixed instant when the app is configured with one)."""
    return dates.now()


def report_json(report: VerificationReport) -> str:
    """Serialise the checks of a report for storage."""
    return json.dumps(
        [
            {
                "id": c.id,
                "status": c.status,
                "message_id": c.message_id,
                "detail": c.detail,
                "params": dict(c.params),
            }
            for c in report.checks
        ],
        ensure_ascii=False,
    )


def record(badge: Badge, report: VerificationReport) -> None:
    """Store a verification's result, checks, reason and stated days on the badge (no commit)."""
    at = utcnow()
    badge.reason_json = reasons.reason_json(
        report, previous=badge.reason_json, previous_result=badge.result, at=at
    )
    badge.result = report.result
    badge.report_json = report_json(report)
    badge.verified_at = at
    credential = report.credential
    if credential is not None:
        # Re-derived at every check, so badges stored before the days existed get them too.
        badge.issued_day = dates.stated_day(credential.issued_on or credential.valid_from)
        badge.expires_day = dates.stated_day(credential.expires, end=True)


def details_of(credential: Credential) -> dict[str, Any]:
    """Return the display details derived from a credential (re-derivable from the payload)."""
    achievement = credential.achievement
    issuer = credential.issuer
    return {
        "description": achievement.description,
        "criteria_narrative": achievement.criteria_narrative,
        "criteria_url": achievement.criteria_url,
        "achievement_id": achievement.id,
        "achievement_type": achievement.type,
        "narrative": credential.narrative,
        "issuer": asdict(issuer),
        "recipient": asdict(credential.recipient) if credential.recipient else None,
        "evidence": [asdict(e) for e in credential.evidence],
        "alignments": [asdict(a) for a in credential.alignments],
        "identifiers": [asdict(i) for i in credential.identifiers],
        "valid_from": credential.valid_from.isoformat() if credential.valid_from else None,
        "credential_id": credential.id,
    }


PAGE_SIZE = 24
VISIBILITIES = ("public", "private")


def list_for(
    user: User,
    *,
    query: str = "",
    status: str = "",
    visibility: str = "",
    page: int = 1,
    by_state: bool = True,
) -> tuple[list[Badge], bool]:
    """Return one page of the user's badges and whether more follow.

    Usable badges come first and ended ones last (states.LIST_ORDER), newest first within a
    state (``by_state=False``: newest first only); ``status`` narrows to a states.FILTERS
    choice, ``visibility`` to public or private.
    """
    statement = select(Badge).where(Badge.user_id == user.id)
    # Control characters (NUL above all: PostgreSQL refuses it in text) never match a badge.
    query = "".join(c for c in query if c.isprintable()).strip()[:200]
    if query:
        pattern = (
            "%" + query.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        )
        statement = statement.where(
            or_(
                func.lower(Badge.name).like(pattern, escape="\\"),
                func.lower(Badge.issuer_name).like(pattern, escape="\\"),
            )
        )
    rank = state_rank(now())
    if status in FILTERS:
        statement = statement.where(rank.in_([LIST_ORDER.index(s) for s in FILTERS[status]]))
    if visibility in VISIBILITIES:
        statement = statement.where(Badge.visibility == visibility)
    first = rank if by_state else literal(0)
    page = max(1, page)
    # Pick the page's ids first, then load those rows: sorting a holder's whole list of full
    # rows to keep 25 costs ~15 ms at 1,000 badges on SQLite; sorting (rank, created_at, id)
    # does not. The rank is worked out once, in the inner query, and the outer one reuses it.
    page_rows = (
        statement.with_only_columns(Badge.id, first.label("first"), Badge.created_at)
        .order_by(first, Badge.created_at.desc(), Badge.id.desc())
        .offset((page - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE + 1)
        .subquery()
    )
    rows = db.session.scalars(
        select(Badge)
        .join(page_rows, page_rows.c.id == Badge.id)
        .order_by(page_rows.c.first, page_rows.c.created_at.desc(), Badge.id.desc())
    ).all()
    return list(rows[:PAGE_SIZE]), len(rows) > PAGE_SIZE


def state_rank(at: datetime) -> Any:
    """Return states.state_of as SQL, as the badge's place in states.LIST_ORDER."""
    place = LIST_ORDER.index
    ended = or_(Badge.result == "expired", and_(Badge.expires.is_not(None), Badge.expires <= at))
    # The same precedence as states.state_of; a NULL expiry never matches a comparison.
    return case(
        (Badge.result == "revoked", place("revoked")),
        (Badge.result == "invalid", place("invalid")),
        (Badge.result == "unverifiable", place("unverifiable")),
        (ended, place("expired")),
        (Badge.result == "not_yet_valid", place("not_yet_valid")),
        (Badge.result != "valid", place("unverifiable")),
        (Badge.recipient_confirmed.is_(False), place("unconfirmed")),
        (Badge.expires <= at + EXPIRING_SOON, place("expiring")),
        else_=place("valid"),
    )


def get_owned(user: User, badge_id: int) -> Badge | None:
    """Return the user's badge with this id (None for anyone else's: callers answer 404)."""
    return db.session.scalar(
        select(Badge)
        .options(selectinload(Badge.content))
        .where(Badge.id == badge_id, Badge.user_id == user.id)
    )


def get_any(public_id: str) -> Badge | None:
    """Return the badge with this public id whatever its visibility (operator commands only)."""
    if not is_public_id(public_id):
        return None
    return db.session.scalar(
        select(Badge)
        .options(selectinload(Badge.content), selectinload(Badge.user))
        .where(Badge.public_id == public_id)
    )


def image_of(user: User, badge_id: int) -> bytes | None:
    """Return the PNG of the user's badge (a placeholder if none), None when not theirs."""
    return _image_where(Badge.id == badge_id, Badge.user_id == user.id)


def public_image(public_id: str) -> bytes | None:
    """Return the PNG of a public badge (a placeholder if none), None when private or unknown."""
    if not is_public_id(public_id):
        return None
    return _image_where(Badge.public_id == public_id, Badge.visibility == "public")


def _image_where(*conditions: Any) -> bytes | None:
    """Return our stored PNG of the one badge matching conditions; the original is never loaded."""
    row = db.session.execute(
        select(BadgeContent.image_png, Badge.name)
        .join(Badge, Badge.id == BadgeContent.badge_id)
        .where(*conditions)
    ).first()
    if row is None:
        return None
    return row[0] or images.placeholder(row[1] or "?")


def is_public(public_id: str) -> bool:
    """Return whether a public badge has this public id (one indexed lookup, no row loaded)."""
    if not is_public_id(public_id):
        return False
    found = db.session.scalar(
        select(Badge.id).where(Badge.public_id == public_id, Badge.visibility == "public")
    )
    return found is not None


def set_visibility(badge: Badge, visibility: str) -> None:
    """Make a badge public or private, effective immediately."""
    if visibility not in ("public", "private"):
        raise ValueError(visibility)
    badge.visibility = visibility
    db.session.commit()


def loaded_from_store(badge: Badge) -> Loaded:
    """Rebuild what the engine read at import from the stored original payload."""
    content = badge.content
    payload: Any = content.payload
    if not payload.lstrip().startswith("{"):
        payload = payload.strip()
    else:
        payload = json.loads(payload)
    return Loaded(
        payload=payload,
        spec=badge.spec,  # type: ignore[arg-type]
        format=badge.format,  # type: ignore[arg-type]
        original=content.original,
        source_url=badge.source_url,
    )


def reverify(badge: Badge, *, fetcher: Fetcher | None = None) -> VerificationReport:
    """Verify a stored badge again from its original and record the result."""
    report = verify_loaded(loaded_from_store(badge), fetcher=fetcher or make_fetcher(), now=now())
    metrics.VERIFICATIONS.labels(result=report.result).inc()
    record(badge, report)
    db.session.commit()
    return report


def delete(badge: Badge) -> None:
    """Remove a badge and everything stored with it."""
    db.session.delete(badge)
    db.session.commit()


def checks_of(badge: Badge) -> list[dict[str, Any]]:
    """Return the stored checks of the last verification."""
    try:
        data = json.loads(badge.report_json or "[]")
    except ValueError:
        return []
    return data if isinstance(data, list) else []


def details(badge: Badge) -> dict[str, Any]:
    """Return the stored display details of a badge."""
    try:
        data = json.loads(badge.content.details_json or "{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}
