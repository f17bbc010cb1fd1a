"""Consent, one-time authorization codes and tokens: what a holder allowed, stored hashed."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from typing import Any

from flask import current_app
from sqlalchemy import delete
from sqlalchemy import select
from sqlalchemy import update

from wallet.extensions import db
from wallet.models import AuthorizationCode
from wallet.models import Badge
from wallet.models import Connection
from wallet.models import ConnectionBadge
from wallet.models import OAuthClient
from wallet.models import Token
from wallet.models import User
from wallet.models import utcnow
from wallet.services.oauth import digest


def _aware(value: datetime | None) -> datetime | None:
    """Return value in UTC (SQLite gives timestamps back naive)."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def user_of(connection: Connection) -> User | None:
    """Return the holder a connection belongs to."""
    return db.session.get(User, connection.user_id)


def approve(
    user: User,
    client: OAuthClient,
    *,
    code: str,
    scope: str,
    badges: str,
    badge_ids: Iterable[int],
    redirect_uri: str,
    code_challenge: str,
    code_challenge_method: str,
) -> Connection:
    """Record the holder's consent and store the one-time authorization code (committed)."""
    connection = db.session.scalar(
        select(Connection).where(Connection.user_id == user.id, Connection.client_id == client.id)
    )
    if connection is None:
        connection = Connection(user_id=user.id, client_id=client.id, scope=scope)
        db.session.add(connection)
    connection.scope = scope
    connection.badges = badges
    connection.updated_at = utcnow()
    db.session.flush()
    _pick_badges(connection, user, badge_ids)
    lifetime = int(current_app.config["OAUTH_CODE_LIFETIME"])
    db.session.add(
        AuthorizationCode(
            code_hash=digest(code),
            connection_id=connection.id,
            redirect_uri=redirect_uri,
            scope=scope,
            code_challenge=code_challenge,
            code_challenge_method=code_challenge_method,
            expires_at=utcnow() + timedelta(seconds=lifetime),
        )
    )
    db.session.commit()
    return connection


def _pick_badges(connection: Connection, user: User, badge_ids: Iterable[int]) -> None:
    """Replace the badges the holder picked for a connection (delivered ones stay)."""
    db.session.execute(
        delete(ConnectionBadge).where(
            ConnectionBadge.connection_id == connection.id,
            ConnectionBadge.delivered.is_(False),
        )
    )
    if connection.badges != "selected":
        return
    wanted = set(badge_ids)
    owned = db.session.scalars(
        select(Badge.id).where(Badge.user_id == user.id, Badge.id.in_(wanted))
    ).all()
    delivered = set(
        db.session.scalars(
            select(ConnectionBadge.badge_id).where(ConnectionBadge.connection_id == connection.id)
        ).all()
    )
    for badge_id in owned:
        if badge_id not in delivered:
            db.session.add(ConnectionBadge(connection_id=connection.id, badge_id=badge_id))


def redeem_code(code: Any, client: OAuthClient) -> AuthorizationCode | None:
    """Return the code's record, marking it used at once; None when unknown, expired or replayed.

    A code presented a second time is a replay: every token the first exchange got is revoked.
    """
    if not isinstance(code, str) or not 0 < len(code) <= 200:
        return None
    record = db.session.scalar(
        select(AuthorizationCode).where(AuthorizationCode.code_hash == digest(code))
    )
    if record is None or record.connection.client_id != client.id:
        return None
    now = utcnow()
    # One conditional UPDATE decides between two concurrent exchanges of the same code.
    claimed = db.session.execute(
        update(AuthorizationCode)
        .where(AuthorizationCode.id == record.id, AuthorizationCode.used_at.is_(None))
        .values(used_at=now)
    )
    if claimed.rowcount != 1:
        db.session.execute(
            update(Token)
            .where(Token.code_id == record.id)
            .values(access_revoked_at=now, refresh_revoked_at=now)
        )
        db.session.commit()
        return None
    db.session.commit()
    expires = _aware(record.expires_at)
    if expires is None or expires <= now:
        return None
    return record


def save_token(
    connection: Connection, token: dict[str, Any], *, code_id: int | None = None
) -> Token:
    """Store a newly issued token (its hashes only) and commit."""
    now = utcnow()
    refresh = token.get("refresh_token")
    refresh_days = int(current_app.config["OAUTH_REFRESH_TOKEN_DAYS"])
    record = Token(
        access_hash=digest(token["access_token"]),
        refresh_hash=digest(refresh) if refresh else None,
        connection_id=connection.id,
        code_id=code_id,
        scope=token.get("scope") or connection.scope,
        issued_at=now,
        access_expires_at=now + timedelta(seconds=int(token["expires_in"])),
        refresh_expires_at=now + timedelta(days=refresh_days) if refresh else None,
    )
    db.session.add(record)
    connection.last_used_at = now
    db.session.commit()
    return record


def find_access_token(value: Any) -> Token | None:
    """Return the token record of an access token string, if any (expiry not checked here)."""
    if not isinstance(value, str) or not 0 < len(value) <= 200:
        return None
    return db.session.scalar(select(Token).where(Token.access_hash == digest(value)))


def find_refresh_token(value: Any) -> Token | None:
    """Return the live token record of a refresh token string (None when revoked or expired)."""
    if not isinstance(value, str) or not 0 < len(value) <= 200:
        return None
    record = db.session.scalar(select(Token).where(Token.refresh_hash == digest(value)))
    if record is None or record.refresh_revoked_at is not None:
        return None
    expires = _aware(record.refresh_expires_at)
    if expires is None or expires <= utcnow():
        return None
    return record


def access_expired(token: Token) -> bool:
    """Return whether an access token is past its lifetime."""
    expires = _aware(token.access_expires_at)
    return expires is None or expires <= utcnow()


def revoke(token: Token, *, refresh_too: bool = True) -> None:
    """Revoke an access token (and its refresh token) and commit."""
    now = utcnow()
    token.access_revoked_at = token.access_revoked_at or now
    if refresh_too:
        token.refresh_revoked_at = token.refresh_revoked_at or now
    db.session.commit()


def touch(connection: Connection) -> None:
    """Note when an application last used its access (at most once a minute, committed)."""
    now = utcnow()
    last = _aware(connection.last_used_at)
    if last is None or now - last > timedelta(minutes=1):
        connection.last_used_at = now
        db.session.commit()


def connections_of(user: User) -> list[Connection]:
    """Return the applications the holder connected, most recently used first."""
    rows = db.session.scalars(
        select(Connection).where(Connection.user_id == user.id).order_by(Connection.id.desc())
    ).all()
    return sorted(rows, key=lambda c: _aware(c.last_used_at or c.created_at), reverse=True)


def disconnect(user: User, public_id: str) -> bool:
    """Remove a holder's connection with every code and token it had (committed)."""
    connection = db.session.scalar(
        select(Connection).where(Connection.user_id == user.id, Connection.public_id == public_id)
    )
    if connection is None:
        return False
    db.session.execute(delete(Token).where(Token.connection_id == connection.id))
    db.session.execute(
        delete(AuthorizationCode).where(AuthorizationCode.connection_id == connection.id)
    )
    db.session.execute(
        delete(ConnectionBadge).where(ConnectionBadge.connection_id == connection.id)
    )
    db.session.delete(connection)
    db.session.commit()
    return True
