"""SQLAlchemy 2 typed models: the tables of the wallet."""

from __future__ import annotations

import secrets
from datetime import UTC
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean
from sqlalchemy import DateTime
from sqlalchemy import String
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

from wallet.extensions import db

NAME_ORDERS = ("family-first", "given-first")
VISIBILITIES = ("public", "private")
ROLES = ("holder", "operator")


def utcnow() -> datetime:
    """Return the current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


def new_session_token() -> str:
    """Return a random token that ties sessions to the current password."""
    return secrets.token_urlsafe(16)


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
    password_hash: Mapped[str] = mapped_column(String(255))
    session_token: Mapped[str] = mapped_column(String(64), default=new_session_token)
    role: Mapped[str] = mapped_column(String(16), default="holder")
    default_visibility: Mapped[str] = mapped_column(String(16), default="public")
    profile_public: Mapped[bool] = mapped_column(Boolean, default=False)
    email_verified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    password_changed_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow
    )

    def get_id(self) -> str:
        """Return the session id: changes with the password, so old sessions die with it."""
        return f"{self.id}:{self.session_token}"

    @property
    def is_verified(self) -> bool:
        """Return whether the email address has been confirmed."""
        return self.email_verified_at is not None

    @property
    def is_operator(self) -> bool:
        """Return whether the account may use the issuing portal."""
        return self.role == "operator"
