"""OAuth 2.0 tables: registered applications, holders' connections, codes and tokens (hashed)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean
from sqlalchemy import DateTime
from sqlalchemy import ForeignKey
from sqlalchemy import String
from sqlalchemy import Text
from sqlalchemy import UniqueConstraint
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column
from sqlalchemy.orm import relationship

from wallet.extensions import db
from wallet.models.holders import User
from wallet.models.holders import new_public_id
from wallet.models.holders import utcnow

# Which badges a connection may read: the holder's public ones, or only those the holder picked.
CONNECTION_BADGES = ("public", "selected")


class OAuthClient(db.Model):  # type: ignore[name-defined,misc]
    """An application registered by RFC 7591 dynamic registration (its secret kept as a hash)."""

    __tablename__ = "oauth_clients"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[str] = mapped_column(String(64), unique=True)
    # SHA-256 of the secret: a leaked table does not let anyone act as the application.
    secret_hash: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    client_uri: Mapped[str] = mapped_column(String(2000))
    logo_uri: Mapped[str | None] = mapped_column(String(2000))
    tos_uri: Mapped[str | None] = mapped_column(String(2000))
    policy_uri: Mapped[str | None] = mapped_column(String(2000))
    software_id: Mapped[str | None] = mapped_column(String(200))
    software_version: Mapped[str | None] = mapped_column(String(100))
    # JSON array of exact redirect URIs (compared character for character).
    redirect_uris: Mapped[str] = mapped_column(Text)
    scope: Mapped[str] = mapped_column(Text)
    grant_types: Mapped[str] = mapped_column(String(200))
    # The registration response (the accepted metadata), answered again as registered.
    metadata_json: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Connection(db.Model):  # type: ignore[name-defined,misc]
    """A holder's consent to one application: its scopes and which badges it may read."""

    __tablename__ = "oauth_connections"
    __table_args__ = (UniqueConstraint("user_id", "client_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True, default=new_public_id)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    client_id: Mapped[int] = mapped_column(
        ForeignKey("oauth_clients.id", ondelete="CASCADE"), index=True
    )
    scope: Mapped[str] = mapped_column(Text)
    badges: Mapped[str] = mapped_column(String(16), default="public")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    user: Mapped[User] = relationship(lazy="raise")
    client: Mapped[OAuthClient] = relationship(lazy="joined")


class ConnectionBadge(db.Model):  # type: ignore[name-defined,misc]
    """A badge one connection may read: picked by the holder, or delivered by that application."""

    __tablename__ = "oauth_connection_badges"

    connection_id: Mapped[int] = mapped_column(
        ForeignKey("oauth_connections.id", ondelete="CASCADE"), primary_key=True
    )
    badge_id: Mapped[int] = mapped_column(
        ForeignKey("badges.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    delivered: Mapped[bool] = mapped_column(Boolean, default=False)


class AuthorizationCode(db.Model):  # type: ignore[name-defined,misc]
    """A one-time authorization code (hashed), bound to client, redirect URI and PKCE challenge."""

    __tablename__ = "oauth_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    connection_id: Mapped[int] = mapped_column(
        ForeignKey("oauth_connections.id", ondelete="CASCADE"), index=True
    )
    redirect_uri: Mapped[str] = mapped_column(String(2000))
    scope: Mapped[str] = mapped_column(Text)
    code_challenge: Mapped[str] = mapped_column(String(128))
    code_challenge_method: Mapped[str] = mapped_column(String(8))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # Set when exchanged: a second exchange is a replay and revokes what the first one got.
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    connection: Mapped[Connection] = relationship(lazy="joined")


class Token(db.Model):  # type: ignore[name-defined,misc]
    """An access token and its refresh token, both stored as SHA-256 hashes only."""

    __tablename__ = "oauth_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    access_hash: Mapped[str] = mapped_column(String(64), unique=True)
    refresh_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    connection_id: Mapped[int] = mapped_column(
        ForeignKey("oauth_connections.id", ondelete="CASCADE"), index=True
    )
    # The code this token came from (revoked together when the code is replayed).
    code_id: Mapped[int | None] = mapped_column(
        ForeignKey("oauth_codes.id", ondelete="SET NULL"), index=True
    )
    scope: Mapped[str] = mapped_column(Text)
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    access_expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    refresh_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    access_revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    refresh_revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    connection: Mapped[Connection] = relationship(lazy="joined")


class RemoteHost(db.Model):  # type: ignore[name-defined,misc]
    """Another OB 3.0 host this wallet registered with as a client (to bring badges from it)."""

    __tablename__ = "remote_hosts"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The API base, e.g. https://other.example/ims/ob/v3p0 (the discovery document's server).
    api_base: Mapped[str] = mapped_column(String(2000), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    authorization_url: Mapped[str] = mapped_column(String(2000))
    token_url: Mapped[str] = mapped_column(String(2000))
    client_id: Mapped[str] = mapped_column(String(200))
    # AES-GCM sealed: this wallet must present the secret, so it cannot be hashed.
    client_secret_sealed: Mapped[bytes] = mapped_column(db.LargeBinary)
    redirect_uri: Mapped[str] = mapped_column(String(2000))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class RemoteImport(db.Model):  # type: ignore[name-defined,misc]
    """One "bring badges from another wallet" run of a holder, and its report."""

    __tablename__ = "remote_imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True, default=new_public_id)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    host_id: Mapped[int] = mapped_column(ForeignKey("remote_hosts.id", ondelete="CASCADE"))
    # SHA-256 of the OAuth state sent to the other host.
    state_hash: Mapped[str] = mapped_column(String(64), unique=True)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    # [{"name", "issuer", "outcome": "added"|"already"|"refused", "reason"}]
    report_json: Mapped[str] = mapped_column(Text, default="[]")
    error: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    host: Mapped[RemoteHost] = relationship(lazy="joined")
