"""A holder's additional email addresses: badges issued to any confirmed one are theirs."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime
from sqlalchemy import ForeignKey
from sqlalchemy import String
from sqlalchemy import UniqueConstraint
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

from wallet.extensions import db
from wallet.models.holders import new_public_id
from wallet.models.holders import utcnow


class UserEmail(db.Model):  # type: ignore[name-defined,misc]
    """An address added to an account besides its sign-in address (User.email).

    Pending until its owner opens the mailed link while signed in to this account; pending
    addresses never match a badge and block nobody. A confirmed address is on one account only:
    ``confirmed_key`` is unique (NULL while pending), so the database itself refuses a second.
    """

    __tablename__ = "user_emails"
    __table_args__ = (UniqueConstraint("user_id", "email_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # Names the address in the account page's forms and in the confirmation token.
    public_id: Mapped[str] = mapped_column(String(32), unique=True, default=new_public_id)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(254))
    email_key: Mapped[str] = mapped_column(String(254), index=True)
    confirmed_key: Mapped[str | None] = mapped_column(String(254), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    @property
    def is_confirmed(self) -> bool:
        """Return whether the address has been confirmed."""
        return self.confirmed_at is not None
