"""A holder's own key pair and collections: what the wallet signs presentations with."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime
from sqlalchemy import ForeignKey
from sqlalchemy import Integer
from sqlalchemy import LargeBinary
from sqlalchemy import String
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column
from sqlalchemy.orm import relationship

from wallet.extensions import db
from wallet.models.holders import Badge
from wallet.models.holders import new_public_id
from wallet.models.holders import utcnow


class HolderKey(db.Model):  # type: ignore[name-defined,misc]
    """A holder's Ed25519 key pair (private half sealed), named as did:key and did:jwk."""

    __tablename__ = "holder_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    private_key_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    did_key: Mapped[str] = mapped_column(String(100), index=True)
    did_jwk: Mapped[str] = mapped_column(String(200), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Collection(db.Model):  # type: ignore[name-defined,misc]
    """Badges a holder grouped under a name, shared as /c/<public_id> when public."""

    __tablename__ = "collections"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True, default=new_public_id)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name_ja: Mapped[str] = mapped_column(String(200), default="")
    name_en: Mapped[str] = mapped_column(String(200), default="")
    visibility: Mapped[str] = mapped_column(String(16), default="private")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    items: Mapped[list[CollectionItem]] = relationship(
        back_populates="collection",
        cascade="all, delete-orphan",
        order_by="CollectionItem.position",
        lazy="raise",
    )


class CollectionItem(db.Model):  # type: ignore[name-defined,misc]
    """One badge in a collection, at a position."""

    __tablename__ = "collection_items"

    collection_id: Mapped[int] = mapped_column(
        ForeignKey("collections.id", ondelete="CASCADE"), primary_key=True
    )
    badge_id: Mapped[int] = mapped_column(
        ForeignKey("badges.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)

    collection: Mapped[Collection] = relationship(back_populates="items", lazy="raise")
    badge: Mapped[Badge] = relationship(lazy="raise")


class AwardOffer(db.Model):  # type: ignore[name-defined,misc]
    """An OpenID4VCI offer of an award: its pre-authorized code and access token, as digests."""

    __tablename__ = "award_offers"

    id: Mapped[int] = mapped_column(primary_key=True)
    award_id: Mapped[int] = mapped_column(ForeignKey("awards.id", ondelete="CASCADE"), index=True)
    # Random id in the credential_offer_uri; the offer document it serves holds the code.
    public_id: Mapped[str] = mapped_column(String(32), unique=True, default=new_public_id)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # Set when the code was exchanged: a second exchange is refused (single use).
    redeemed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    token_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    issued_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The key the credential was bound to (the other wallet's proof of possession).
    holder_id: Mapped[str | None] = mapped_column(String(2000))
