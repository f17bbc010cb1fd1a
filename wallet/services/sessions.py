"""Server-side sessions: one row per signed-in device, with idle and absolute lifetimes.

The session and remember cookies carry `<user id>:<secret>`; the row keeps only the secret's
SHA-256. Signing out deletes the row, so a copied or replayed cookie stops working at once.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import datetime
from datetime import timedelta

from flask import current_app
from sqlalchemy import delete
from sqlalchemy import inspect
from sqlalchemy import select

from wallet.extensions import db
from wallet.models import User
from wallet.models import utcnow
from wallet.models.auth import UserSession

# Writing last_seen_at on every request would make every page a write: this often is enough.
TOUCH_EVERY = timedelta(seconds=60)


def _hash(secret: str) -> str:
    """Return the stored form of a session secret."""
    return hashlib.sha256(secret.encode()).hexdigest()


def _aware(value: datetime) -> datetime:
    """Return value with UTC attached (SQLite gives naive date-times back)."""
    from datetime import UTC

    return value if value.tzinfo else value.replace(tzinfo=UTC)


def limits(remember: bool) -> tuple[timedelta, timedelta]:
    """Return (idle timeout, absolute lifetime) for a session."""
    config = current_app.config
    if remember:
        days = min(float(config["REMEMBER_DAYS"]), 30.0)
        return timedelta(days=float(config["REMEMBER_IDLE_DAYS"])), timedelta(days=days)
    return (
        timedelta(minutes=float(config["SESSION_IDLE_MINUTES"])),
        timedelta(hours=float(config["SESSION_MAX_HOURS"])),
    )


def _expired(row: UserSession, now: datetime) -> bool:
    """Return whether a session has been idle too long or lived too long."""
    idle, lifetime = limits(row.remember)
    return now - _aware(row.last_seen_at) > idle or now - _aware(row.created_at) > lifetime


def start(user: User, *, remember: bool, method: str, user_agent: str = "") -> str:
    """Open a session for user on this device and commit; return the cookie's secret."""
    now = utcnow()
    for row in db.session.scalars(select(UserSession).where(UserSession.user_id == user.id)):
        if _expired(row, now):
            db.session.delete(row)
    secret = secrets.token_urlsafe(32)
    row = UserSession(
        user_id=user.id,
        token_hash=_hash(secret),
        remember=remember,
        method=method,
        device=device_label(user_agent),
        created_at=now,
        last_seen_at=now,
        authenticated_at=now,
    )
    db.session.add(row)
    db.session.commit()
    user.session_secret = secret
    user.current_session = row
    return secret


def load(session_id: str) -> User | None:
    """Return the user of a live session `id:secret`; end it when it has expired."""
    user_id, _, secret = session_id.partition(":")
    if not user_id.isdigit() or not secret or len(secret) > 100:
        return None
    row = db.session.scalar(select(UserSession).where(UserSession.token_hash == _hash(secret)))
    if row is None or not hmac.compare_digest(str(row.user_id), user_id):
        return None
    now = utcnow()
    if _expired(row, now):
        db.session.delete(row)
        db.session.commit()
        return None
    user = db.session.get(User, row.user_id)
    if user is None:
        return None
    if now - _aware(row.last_seen_at) > TOUCH_EVERY:
        row.last_seen_at = now
        db.session.commit()
    user.session_secret = secret
    user.current_session = row
    return user


def current(user: User) -> UserSession | None:
    """Return the session row this request was signed in with."""
    return getattr(user, "current_session", None)


def is_fresh(user: User) -> bool:
    """Return whether the holder proved who they are on this device within REAUTH_MINUTES."""
    row = current(user)
    if row is None:
        return False
    window = timedelta(minutes=float(current_app.config["REAUTH_MINUTES"]))
    return utcnow() - _aware(row.authenticated_at) <= window


def mark_fresh(user: User) -> None:
    """Record that the holder just proved who they are (password or passkey) here."""
    row = current(user)
    if row is not None:
        row.authenticated_at = utcnow()
        db.session.commit()


def active(user: User) -> list[UserSession]:
    """Return the user's live sessions, the most recently used first."""
    now = utcnow()
    rows = db.session.scalars(
        select(UserSession)
        .where(UserSession.user_id == user.id)
        .order_by(UserSession.last_seen_at.desc(), UserSession.id.desc())
    )
    return [row for row in rows if not _expired(row, now)]


def _row_id(row: UserSession | None) -> int | None:
    """Return a session row's id without loading it (it may have been deleted meanwhile)."""
    identity = inspect(row).identity if row is not None else None
    return int(identity[0]) if identity else None


def end(user: User) -> None:
    """End the session this request was signed in with."""
    row_id = _row_id(current(user))
    if row_id is not None:
        db.session.execute(delete(UserSession).where(UserSession.id == row_id))
        db.session.commit()
    user.current_session = None


def rotate(user: User) -> bool:
    """Give this device a new session secret (after a password change); return its remember flag.

    A copy of the old cookie, wherever it went, stops working; the holder stays signed in here.
    """
    row = current(user)
    remember = bool(row.remember) if row is not None else False
    method = row.method if row is not None else "password"
    device = row.device if row is not None else ""
    end(user)
    secret = secrets.token_urlsafe(32)
    now = utcnow()
    fresh = UserSession(
        user_id=user.id,
        token_hash=_hash(secret),
        remember=remember,
        method=method,
        device=device,
        created_at=now,
        last_seen_at=now,
        authenticated_at=now,
    )
    db.session.add(fresh)
    db.session.commit()
    user.session_secret = secret
    user.current_session = fresh
    return remember


def end_one(user: User, public_id: str) -> bool:
    """End one of the user's sessions by its public id; False when it is not theirs."""
    result = db.session.execute(
        delete(UserSession).where(
            UserSession.user_id == user.id, UserSession.public_id == public_id[:32]
        )
    )
    db.session.commit()
    return bool(result.rowcount)


def end_all(user: User, *, keep_current: bool = False) -> None:
    """End every session of the user (all devices), or every other one. Commits."""
    statement = delete(UserSession).where(UserSession.user_id == user.id)
    row_id = _row_id(current(user))
    if keep_current and row_id is not None:
        statement = statement.where(UserSession.id != row_id)
    db.session.execute(statement)
    db.session.commit()


_BROWSERS = (
    ("Edg/", "Edge"),
    ("Firefox/", "Firefox"),
    ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
)
_SYSTEMS = (
    ("Android", "Android"),
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Windows", "Windows"),
    ("Mac OS X", "macOS"),
    ("CrOS", "ChromeOS"),
    ("Linux", "Linux"),
)


def device_label(user_agent: str) -> str:
    """Return a short, plain description of a device ("Chrome on Android") from its User-Agent."""
    agent = re.sub(r"[^\x20-\x7e]", "", user_agent or "")[:500]
    browser = next((name for mark, name in _BROWSERS if mark in agent), "")
    system = next((name for mark, name in _SYSTEMS if mark in agent), "")
    if browser and system:
        return f"{browser} / {system}"
    return browser or system
