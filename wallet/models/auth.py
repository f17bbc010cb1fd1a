"""Sign-in state kept on the server: sessions (one per signed-in device) and passkeys."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean
from sqlalchemy import DateTime
from sqlalchemy import ForeignKey
from sqlalchemy import Integer
from sqlalchemy import LargeBinary
from sqlalchemy import String
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

from wallet.extensions import db
from wallet.models.holders import new_public_id
from wallet.models.holders import utcnow


class UserSession(db.Model):  # type: ignore[name-defined,misc]
    """One signed-in device: signing out deletes it, and its cookies stop working at once."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # SHA-256 of the secret in the session and remember cookies (a database copy signs no one in).
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # Names the session in the account page's "sign out" forms; never the secret.
    public_id: Mapped[str] = mapped_column(String(32), unique=True, default=new_public_id)
    remember: Mapped[bool] = mapped_column(Boolean, default=False)
    method: Mapped[str] = mapped_column(String(16))  # password, passkey, reset, register, claim
    device: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # When the holder last proved who they are on this device (password or passkey).
    authenticated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Passkey(db.Model):  # type: ignore[name-defined,misc]
    """A WebAuthn credential of a holder (several per holder, each named and removable)."""

    __tablename__ = "passkeys"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True, default=new_public_id)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # Base64url of the raw credential id (at most 1023 bytes by the spec).
    credential_id: Mapped[str] = mapped_column(String(1400), unique=True)
    public_key: Mapped[bytes] = mapped_column(LargeBinary)
    sign_count: Mapped[int] = mapped_column(Integer, default=0)
    transports: Mapped[str] = mapped_column(String(200), default="")
    device_type: Mapped[str] = mapped_column(String(32), default="")
    backed_up: Mapped[bool] = mapped_column(Boolean, default=False)
    aaguid: Mapped[str] = mapped_column(String(36), default="")
    name: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class PasskeyChallenge(db.Model):  # type: ignore[name-defined,misc]
    """A WebAuthn challenge handed out once; using it deletes it (no replay)."""

    __tablename__ = "passkey_challenges"

    id: Mapped[int] = mapped_column(primary_key=True)
    challenge: Mapped[str] = mapped_column(String(128), unique=True)
    purpose: Mapped[str] = mapped_column(String(16))  # register, authenticate
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
