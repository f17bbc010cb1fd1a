"""Tables of the issuing portal: issuers and their keys, achievements, awards, status lists."""

from __future__ import annotations

from datetime import date
from datetime import datetime

from sqlalchemy import Date
from sqlalchemy import DateTime
from sqlalchemy import ForeignKey
from sqlalchemy import Integer
from sqlalchemy import LargeBinary
from sqlalchemy import String
from sqlalchemy import Text
from sqlalchemy import UniqueConstraint
from sqlalchemy import select
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import column_property
from sqlalchemy.orm import mapped_column
from sqlalchemy.orm import relationship

from wallet.extensions import db
from wallet.models.holders import User
from wallet.models.holders import new_public_id
from wallet.models.holders import utcnow

CLAIM_STATES = ("pending", "claimed")
# Per issuer: owners manage operators and keys; issuers award, re-send and revoke; viewers read.
ISSUER_ROLES = ("owner", "issuer", "viewer")
# 131,072 entries: the minimum the Bitstring Status List spec allows (herd privacy).
STATUS_LIST_BITS = 131_072


class Issuer(db.Model):  # type: ignore[name-defined,misc]
    """An institute whose badges the portal signs, with its own Ed25519 key pair."""

    __tablename__ = "issuers"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Part of every published URL and of the issuer id inside signed credentials: never changes.
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    url: Mapped[str] = mapped_column(String(2000))
    email: Mapped[str] = mapped_column(String(254))
    description: Mapped[str | None] = mapped_column(Text)
    image_png: Mapped[bytes | None] = mapped_column(LargeBinary)
    # Multikey (z6Mk...) of the public key; published in the issuer profile.
    public_key_multibase: Mapped[str] = mapped_column(String(100))
    # AES-GCM ciphertext of the raw private key (see services.issuer_keys.seal_private_key).
    private_key_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Achievement(db.Model):  # type: ignore[name-defined,misc]
    """A badge class of an issuer: what the badge says and how long it stays valid."""

    __tablename__ = "achievements"
    __table_args__ = (UniqueConstraint("issuer_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True, default=new_public_id)
    issuer_id: Mapped[int] = mapped_column(ForeignKey("issuers.id", ondelete="CASCADE"), index=True)
    slug: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    criteria: Mapped[str] = mapped_column(Text)
    image_png: Mapped[bytes] = mapped_column(LargeBinary)
    # Default validity of an award when its row names no expiry (None: no expiry).
    validity_days: Mapped[int | None] = mapped_column(Integer)
    # Days after the notice when an unclaimed award gets one reminder (None: no reminder).
    reminder_days: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    issuer: Mapped[Issuer] = relationship(lazy="joined")


class StatusList(db.Model):  # type: ignore[name-defined,misc]
    """One revocation bitstring of an issuer, published as a signed status list credential."""

    __tablename__ = "status_lists"
    __table_args__ = (UniqueConstraint("issuer_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    issuer_id: Mapped[int] = mapped_column(ForeignKey("issuers.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    purpose: Mapped[str] = mapped_column(String(16), default="revocation")
    bitstring: Mapped[bytes] = mapped_column(LargeBinary)
    # The number of indexes taken; they are drawn at random (services/issuing._status_slot).
    next_index: Mapped[int] = mapped_column(Integer, default=0)
    # The signed BitstringStatusListCredential as published (re-signed on every change).
    credential_json: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    # Loaded apart: the row is read FOR UPDATE, which PostgreSQL refuses across an outer join.
    issuer: Mapped[Issuer] = relationship(lazy="select")


class Award(db.Model):  # type: ignore[name-defined,misc]
    """One badge awarded to an email address: the signed credential and its claim."""

    __tablename__ = "awards"
    __table_args__ = (
        # Re-running the same CSV creates nothing new.
        UniqueConstraint("achievement_id", "email_key", "issued_on"),
        UniqueConstraint("status_list_id", "status_index"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    achievement_id: Mapped[int] = mapped_column(
        ForeignKey("achievements.id", ondelete="CASCADE"), index=True
    )
    email: Mapped[str] = mapped_column(String(254))
    email_key: Mapped[str] = mapped_column(String(254), index=True)
    # The name as the institute has it; the holder's account name may differ (shown side by side).
    family_name: Mapped[str] = mapped_column(String(100))
    given_name: Mapped[str] = mapped_column(String(100))
    language: Mapped[str] = mapped_column(String(8), default="ja")
    issued_on: Mapped[date] = mapped_column(Date)
    expires_on: Mapped[date | None] = mapped_column(Date)
    identifiers_json: Mapped[str] = mapped_column(Text, default="[]")
    # The identifiers' values, lower-cased and space-separated: what the follow-up search reads
    # (searching the JSON would match its keys, e.g. "registrationNumber").
    numbers: Mapped[str] = mapped_column(Text, default="")
    credential_id: Mapped[str] = mapped_column(String(100), unique=True)
    status_list_id: Mapped[int] = mapped_column(ForeignKey("status_lists.id"), index=True)
    status_index: Mapped[int] = mapped_column(Integer)
    credential_json: Mapped[str] = mapped_column(Text)
    baked_png: Mapped[bytes] = mapped_column(LargeBinary)
    claim_state: Mapped[str] = mapped_column(String(16), default="pending")
    claimed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    notified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The one reminder of an unclaimed award (services/issuing/reminders.py); set before sending.
    reminded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The uploaded CSV that created it, if any (its page lists the people it awarded).
    batch_id: Mapped[int | None] = mapped_column(
        ForeignKey("award_batches.id", ondelete="SET NULL"), index=True
    )
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The operator's reason: kept here and shown on the portal's pages (a BitstringStatusList
    # entry has no room for one).
    revocation_reason: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    achievement: Mapped[Achievement] = relationship(lazy="joined")
    status_list: Mapped[StatusList] = relationship(lazy="select")
    claimed_by: Mapped[User | None] = relationship(lazy="select")

    @property
    def name_order(self) -> str:
        """Return the display order of the awarded name (for names.full_name)."""
        return "family-first" if self.language == "ja" else "given-first"


class AwardBatch(db.Model):  # type: ignore[name-defined,misc]
    """An uploaded CSV being awarded a few rows per request, so no request runs for minutes."""

    __tablename__ = "award_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True, default=new_public_id)
    achievement_id: Mapped[int] = mapped_column(
        ForeignKey("achievements.id", ondelete="CASCADE"), index=True
    )
    # The good rows as parsed at upload ([line, row] pairs), and the lines refused so far;
    # deferred: a step re-reads the counters after each row, not megabytes of rows.
    rows_json: Mapped[str] = mapped_column(Text, deferred=True)
    problems_json: Mapped[str] = mapped_column(Text, default="[]", deferred=True)
    total: Mapped[int] = mapped_column(Integer)
    # Data lines in the whole file (good and refused): what the operator counts in the sheet.
    lines_total: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Who uploaded it: the audit log names them for every award of the batch.
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    done: Mapped[int] = mapped_column(Integer, default=0)
    created_count: Mapped[int] = mapped_column(Integer, default=0)
    existing_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    achievement: Mapped[Achievement] = relationship(lazy="joined")
    created_by: Mapped[User | None] = relationship(lazy="select")


class IssuerRole(db.Model):  # type: ignore[name-defined,misc]
    """What one account may do for one issuer: owner, issuer or viewer (ISSUER_ROLES)."""

    __tablename__ = "issuer_roles"
    __table_args__ = (UniqueConstraint("issuer_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    issuer_id: Mapped[int] = mapped_column(ForeignKey("issuers.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    user: Mapped[User] = relationship(lazy="joined")


# Loaded with the account in the same query (the header shows the portal link, sign-in lands
# on the portal): whether it has a role for any issuer.
User.has_issuer_role = column_property(
    select(IssuerRole.id)
    .where(IssuerRole.user_id == User.id)
    .correlate_except(IssuerRole)
    .exists(),
    deferred=False,
)


class RetiredIssuerKey(db.Model):  # type: ignore[name-defined,misc]
    """A signing key an issuer rotated out: still published, so what it signed still verifies.

    Its private half is not kept: it never signs again.
    """

    __tablename__ = "retired_issuer_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    issuer_id: Mapped[int] = mapped_column(ForeignKey("issuers.id", ondelete="CASCADE"), index=True)
    public_key_multibase: Mapped[str] = mapped_column(String(100))
    # Badges signed with it before this moment stay valid; anything it signs later is not.
    retired_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class IssuingEvent(db.Model):  # type: ignore[name-defined,misc]
    """One line of an issuer's audit log: who awarded, re-sent, revoked, changed roles or keys."""

    __tablename__ = "issuing_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    issuer_id: Mapped[int] = mapped_column(ForeignKey("issuers.id", ondelete="CASCADE"), index=True)
    # The account that acted (None: the system, e.g. a scheduled reminder); its address is
    # copied so the log still says who it was after the account is deleted.
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    actor_email: Mapped[str] = mapped_column(String(254), default="")
    via: Mapped[str] = mapped_column(String(8), default="web")  # web, cli, job
    action: Mapped[str] = mapped_column(String(32))
    award_id: Mapped[int | None] = mapped_column(ForeignKey("awards.id", ondelete="SET NULL"))
    achievement_name: Mapped[str] = mapped_column(String(200), default="")
    # Whom the action concerned: a recipient's or an operator's address (or a key).
    subject: Mapped[str] = mapped_column(String(254), default="")
    detail: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, index=True
    )
