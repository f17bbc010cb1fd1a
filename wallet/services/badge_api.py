"""OB 3.0 API use cases: read the badges a connection may see, upsert one, the holder's profile."""

from __future__ import annotations

import dataclasses
import json
import re
from dataclasses import dataclass
from datetime import UTC
from datetime import datetime
from typing import Any
from urllib.parse import unquote

from flask import current_app
from flask import url_for
from sqlalchemy import func
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy.sql import Select

from wallet.extensions import db
from wallet.models import Badge
from wallet.models import BadgeContent
from wallet.models import Connection
from wallet.models import ConnectionBadge
from wallet.models import User
from wallet.models import names
from wallet.models import utcnow
from wallet.openbadges import Credential
from wallet.openbadges.fetch import Fetcher
from wallet.services import badge_import
from wallet.services import mail
from wallet.services.badge_import import ImportFailed

COMPACT_JWS = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")
NAME_LIMIT = 100
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


@dataclass(frozen=True)
class Page:
    """One page of credentials: JSON credentials, compact JWS strings, and the total count."""

    credentials: list[dict[str, Any]]
    compact_jws: list[str]
    total: int


@dataclass(frozen=True)
class Upserted:
    """The outcome of an upsert: the badge, and whether it is new (201) or was there (200)."""

    badge: Badge
    created: bool
    replaced: bool


class ProfileRefused(ValueError):
    """A profile update that cannot be applied; the message says why (in English, for machines)."""


def _visible(connection: Connection) -> Select[Any]:
    """Return a query of the OB 3.0 badges this connection may read."""
    picked = select(ConnectionBadge.badge_id).where(ConnectionBadge.connection_id == connection.id)
    allowed = Badge.id.in_(picked)
    if connection.badges == "public":
        allowed = or_(Badge.visibility == "public", allowed)
    return select(Badge.id).where(Badge.user_id == connection.user_id, Badge.spec == "3.0", allowed)


def badges_for_consent(user: User) -> list[Badge]:
    """Return the holder's OB 3.0 badges, for picking which ones an application may read."""
    return list(
        db.session.scalars(
            select(Badge)
            .where(Badge.user_id == user.id, Badge.spec == "3.0")
            .order_by(Badge.created_at.desc(), Badge.id.desc())
        ).all()
    )


def list_credentials(
    connection: Connection, *, limit: int, offset: int, since: datetime | None
) -> Page:
    """Return one page of the credentials the connection may read, newest first."""
    query = _visible(connection)
    if since is not None:
        query = query.where(Badge.issued_on > since)
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    page_ids = query.order_by(Badge.created_at.desc(), Badge.id.desc()).limit(limit).offset(offset)
    rows = db.session.execute(
        select(Badge.format, BadgeContent.payload)
        .join(BadgeContent, BadgeContent.badge_id == Badge.id)
        .where(Badge.id.in_(page_ids))
        .order_by(Badge.created_at.desc(), Badge.id.desc())
    ).all()
    credentials: list[dict[str, Any]] = []
    compact: list[str] = []
    for _fmt, payload in rows:
        # By what was stored, not the container: a baked PNG may carry a VC-JWT.
        text = payload.strip()
        if COMPACT_JWS.fullmatch(text):
            compact.append(text)
            continue
        try:
            document = json.loads(text)
        except ValueError:
            continue
        if isinstance(document, dict):
            credentials.append(document)
    return Page(credentials, compact, int(total))


def parse_body(body: bytes, media_type: str) -> str:
    """Return the credential text of an upsert body, or raise ImportFailed("input.malformed")."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise ImportFailed("input.malformed", "the body is not UTF-8") from None
    if media_type == "text/plain":
        # Only a compact JWS: a URL here would make this server fetch whatever it names.
        if not COMPACT_JWS.fullmatch(text.strip()):
            raise ImportFailed("input.malformed", "the body is not a compact JWS")
        return text.strip()
    try:
        document = json.loads(text)
    except ValueError:
        raise ImportFailed("input.malformed", "the body is not JSON") from None
    if not isinstance(document, dict):
        raise ImportFailed("input.malformed", "the body is not a JSON object")
    return text


def _same_id(value: str | None) -> str:
    """Return an id as the spec's equality rule compares it: percent-decoded, then trimmed."""
    return unquote(value or "").strip()


def upsert(connection: Connection, text: str, *, fetcher: Fetcher) -> Upserted:
    """Verify and add (or replace) a credential for the connection's holder; mail the holder."""
    user = db.session.get(User, connection.user_id)
    assert user is not None  # the connection's user exists: the row cascades with it
    accepted = badge_import.check(user, text, fetcher=fetcher, spec="3.0")
    credential = accepted.credential
    existing = _equal_badge(user, accepted)
    if existing is None:
        outcome = badge_import.store(user, accepted, fetcher=fetcher)
        badge, created, replaced = outcome.badge, outcome.created, outcome.created
    else:
        badge, created = existing, False
        stored_from = _aware(existing.issued_on)
        incoming = credential.valid_from or credential.issued_on
        # The spec's rule: of two equal credentials, the newer validFrom is the current one.
        replaced = stored_from is None or (incoming is not None and incoming >= stored_from)
        if replaced:
            badge_import.replace(badge, accepted, fetcher=fetcher)
    _mark_delivered(connection, badge)
    connection.last_used_at = utcnow()
    db.session.commit()
    if created or replaced:
        _tell_holder(user, badge, connection, created=created)
    return Upserted(badge, created, replaced and not created)


def _equal_badge(user: User, accepted: badge_import.Accepted) -> Badge | None:
    """Return the holder's badge equal to the credential (same issuer id and credential id)."""
    credential = accepted.credential
    keys = {
        badge_import.credential_key(credential, accepted.loaded.payload),
        badge_import.credential_key(
            _with_id(credential, _same_id(credential.id)), accepted.loaded.payload
        ),
    }
    rows = db.session.scalars(
        select(Badge).where(Badge.user_id == user.id, Badge.credential_key.in_(keys))
    ).all()
    for badge in rows:
        if _same_id(badge.issuer_id) == _same_id(credential.issuer.id):
            return badge
    if rows:
        raise ImportFailed("conflict", "a credential with this id from another issuer is stored")
    return None


def _with_id(credential: Credential, value: str) -> Credential:
    """Return the credential with another id (for the normalised idempotency key)."""
    return dataclasses.replace(credential, id=value or credential.id)


def _aware(value: datetime | None) -> datetime | None:
    """Return value in UTC (SQLite gives timestamps back naive)."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def _mark_delivered(connection: Connection, badge: Badge) -> None:
    """Let the application that delivered a badge read it back (not committed)."""
    link = db.session.get(ConnectionBadge, (connection.id, badge.id))
    if link is None:
        db.session.add(
            ConnectionBadge(connection_id=connection.id, badge_id=badge.id, delivered=True)
        )
    else:
        link.delivered = True


def _tell_holder(user: User, badge: Badge, connection: Connection, *, created: bool) -> None:
    """Mail the holder that an application put a badge in the wallet."""
    base = current_app.config["BASE_URL"]
    badge_url = base + url_for("wallet.show", badge_id=badge.id)
    account_url = base + url_for("account.settings")
    mail.send(
        user.email,
        "badge_delivered",
        user.language,
        user=user,
        badge=badge,
        app_name=connection.client.name,
        created=created,
        badge_url=badge_url,
        account_url=account_url,
    )


def profile_of(user: User) -> dict[str, Any]:
    """Return the holder's OB 3.0 Profile."""
    base = current_app.config["BASE_URL"]
    return {
        "id": f"{base}/u/{user.profile_id}",
        "type": ["Profile"],
        "name": names.full_name(user),
        "familyName": user.family_name,
        "givenName": user.given_name,
        "email": user.email,
    }


def put_profile(user: User, data: Any) -> dict[str, Any]:
    """Apply a Profile sent by an application (names only; the email address stays)."""
    if not isinstance(data, dict):
        raise ProfileRefused("the body must be a Profile JSON object")
    kinds = data.get("type")
    kinds = [kinds] if isinstance(kinds, str) else kinds
    if not isinstance(kinds, list) or "Profile" not in kinds:
        raise ProfileRefused("type must include Profile")
    if data.get("id") != profile_of(user)["id"]:
        raise ProfileRefused("id must be this holder's profile id (GET /profile first)")
    email = data.get("email")
    if email is not None and (
        not isinstance(email, str) or email.strip().lower() != user.email_key
    ):
        raise ProfileRefused("the email address cannot be changed: badges are issued to it")
    changes: dict[str, str] = {}
    for field, column in (("familyName", "family_name"), ("givenName", "given_name")):
        value = data.get(field)
        if value is None:
            continue
        if not isinstance(value, str) or not value.strip() or len(value.strip()) > NAME_LIMIT:
            raise ProfileRefused(f"{field} must be a name of 1 to {NAME_LIMIT} characters")
        if _CONTROL.search(value):
            raise ProfileRefused(f"{field} must not contain control characters")
        changes[column] = value.strip()
    for column, value in changes.items():
        setattr(user, column, value)
    db.session.commit()
    return profile_of(user)


def parse_since(value: str | None) -> datetime | None:
    """Return the `since` query value as an aware datetime, or raise ValueError."""
    if value is None:
        return None
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
