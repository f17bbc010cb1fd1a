"""The holders' tables: accounts, their badges and each badge's original content."""

from __future__ import annotations

import re
import secrets
from datetime import UTC
from datetime import date
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean
from sqlalchemy import Date
from sqlalchemy import DateTime
from sqlalchemy import ForeignKey
from sqlalchemy import LargeBinary
from sqlalchemy import String
from sqlalchemy import Text
from sqlalchemy import UniqueConstraint
from sqlalchemy import true
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column
from sqlalchemy.orm import relationship

from wallet.extensions import db

NAME_ORDERS = ("family-first", "given-first")
VISIBILITIES = ("public", "private")
ROLES = ("holder", "operator")


def utcnow() -> datetime:
    """Return the current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


def new_profile_id() -> str:
    """Return a random id for a holder's public profile URL (same shape as a badge's public id)."""
    return new_public_id()


class User(UserMixin, db.Model):  # type: ignore[name-defined,misc]
    """A wallet account: a holder (or an institute's operator)."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    # Lower-cased copy: one account per address, compared case-insensitively.
    email_key: Mapped[str] = mapped_column(String(254), unique=True)
    family_name: Mapped[str] = mapped_column(String(100))
    given_name: Mapped[str] = mapped_column(String(100))
    family_name_kana: Mapped[str | None] = mapped_column(String(100))
    given_name_kana: Mapped[str | None] = mapped_column(String(100))
    romanized_name: Mapped[str | None] = mapped_column(String(200))
    name_order: Mapped[str] = mapped_column(String(16), default="family-first")
    language: Mapped[str] = mapped_column(String(8), default="ja")
    # IANA zone the holder reads dates in; None: the default of their language (services.dates).
    timezone: Mapped[str | None] = mapped_column(String(64))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16), default="holder")
    default_visibility: Mapped[str] = mapped_column(String(16), default="public")
    profile_public: Mapped[bool] = mapped_column(Boolean, default=False)
    # Stable and random: /u/<profile_id> must not reveal or enumerate accounts.
    profile_id: Mapped[str] = mapped_column(String(32), unique=True, default=new_profile_id)
    # A few lines about the holder, plain text, shown on the public profile when it is on.
    profile_bio: Mapped[str | None] = mapped_column(Text)
    # Mail a reminder before a badge expires (account settings; on unless turned off).
    expiry_reminders: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    # The holder's Mastodon server (a validated host name), asked once when sharing.
    mastodon_instance: Mapped[str | None] = mapped_column(String(253))
    email_verified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    password_changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # The WebAuthn user handle: random, set with the first passkey (never the email or the id).
    passkey_handle: Mapped[str | None] = mapped_column(String(64), unique=True)

    # Set when a session is opened or loaded (services/sessions.py); not stored on the row.
    session_secret = None
    current_session = None

    def get_id(self) -> str:
        """Return the session id `id:secret`; the secret names one server-side session."""
        if not self.session_secret:
            raise RuntimeError("no session was opened for this user (services.sessions.start)")
        return f"{self.id}:{self.session_secret}"

    @property
    def is_verified(self) -> bool:
        """Return whether the email address has been confirmed."""
        return self.email_verified_at is not None

    @property
    def is_operator(self) -> bool:
        """Return whether the account administers the issuing portal (creates issuers)."""
        return self.role == "operator"

    @property
    def may_issue(self) -> bool:
        """Return whether the account uses the issuing portal (administrator or any role)."""
        return self.is_operator or bool(getattr(self, "has_issuer_role", False))


# Public ids and profile ids: lower-case letters and digits only (DESIGN.md). Checked before any
# query so odd input never reaches the database and every miss looks the same.
PUBLIC_ID_PATTERN = re.compile(r"[a-z0-9]{1,32}")


def is_public_id(value: str) -> bool:
    """Return whether value has the shape of a public id or profile id."""
    return bool(PUBLIC_ID_PATTERN.fullmatch(value))


def new_public_id() -> str:
    """Return a random public id: 20 lower-case letters and digits (~103 bits), a letter first."""
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
    first = secrets.choice(alphabet[:26])
    return first + "".join(secrets.choice(alphabet) for _ in range(19))


class Badge(db.Model):  # type: ignore[name-defined,misc]
    """A badge in a holder's wallet: what was received, what it says, and its last verification."""

    __tablename__ = "badges"
    __table_args__ = (UniqueConstraint("user_id", "credential_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True, default=new_public_id)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # Same badge imported twice maps to the same key: its credential id, or a digest of the payload.
    credential_key: Mapped[str] = mapped_column(String(128))
    spec: Mapped[str] = mapped_column(String(8))
    format: Mapped[str] = mapped_column(String(8))
    source_url: Mapped[str | None] = mapped_column(String(2000))
    name: Mapped[str] = mapped_column(String(500))
    issuer_name: Mapped[str] = mapped_column(String(500))
    issuer_id: Mapped[str | None] = mapped_column(String(2000))
    issued_on: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    expires: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The calendar days the badge states (midnight in the issuer's own offset), printed as such
    # in every zone; None when issued_on/expires are moments, shown in the reader's zone.
    issued_day: Mapped[date | None] = mapped_column(Date)
    expires_day: Mapped[date | None] = mapped_column(Date)
    recipient_confirmed: Mapped[bool] = mapped_column(Boolean, default=False)
    # The expiry the holder was last reminded of (services/expiry_reminders.py): one mail per
    # badge and expiry date, again only when a newer copy of the badge moves the date.
    expiry_reminded_for: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    visibility: Mapped[str] = mapped_column(String(16), default="public")
    result: Mapped[str] = mapped_column(String(16))
    report_json: Mapped[str] = mapped_column(Text, default="[]")
    # Why the last result is not `valid`: the deciding check as {"id", "params"} (JSON).
    reason_json: Mapped[str | None] = mapped_column(Text)
    verified_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, index=True
    )

    user: Mapped[User] = relationship(lazy="raise")
    content: Mapped[BadgeContent] = relationship(
        back_populates="badge", cascade="all, delete-orphan", lazy="raise", uselist=False
    )


class BadgeContent(db.Model):  # type: ignore[name-defined,misc]
    """The heavy part of a badge, kept apart so lists never load it: original bytes and image."""

    __tablename__ = "badge_contents"

    badge_id: Mapped[int] = mapped_column(
        ForeignKey("badges.id", ondelete="CASCADE"), primary_key=True
    )
    # Exactly what was received (baked PNG/SVG bytes, or the JSON/JWS text as UTF-8).
    original: Mapped[bytes] = mapped_column(LargeBinary)
    original_media_type: Mapped[str] = mapped_column(String(100))
    # The extracted assertion/credential (JSON text or compact JWS): what verification reads.
    payload: Mapped[str] = mapped_column(Text)
    # Display fields derived from the payload (description, criteria, evidence, identifiers...).
    details_json: Mapped[str] = mapped_column(Text, default="{}")
    # The badge image re-encoded by us as PNG (never the issuer's bytes).
    image_png: Mapped[bytes | None] = mapped_column(LargeBinary)

    badge: Mapped[Badge] = relationship(back_populates="content", lazy="raise")


class ProfilePhoto(db.Model):  # type: ignore[name-defined,misc]
    """A holder's public profile photo, re-encoded by us as a bounded PNG (never the upload)."""

    __tablename__ = "profile_photos"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    png: Mapped[bytes] = mapped_column(LargeBinary)
    # Part of the photo's URL, so that a new photo is fetched at once and an old copy never is.
    version: Mapped[str] = mapped_column(String(16))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
