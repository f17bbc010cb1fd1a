"""Public profile pages: a holder's public badges at /u/<profile_id>, when the holder opted in."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from wallet.extensions import db
from wallet.models import Badge
from wallet.models import User
from wallet.models import is_public_id

MAX_BADGES = 500


@dataclass(frozen=True)
class PublicProfile:
    """A holder who opted in, and their public badges, newest first."""

    user: User
    badges: list[Badge]


def valid_id(value: str) -> bool:
    """Return whether value has the shape of a public id or profile id."""
    return is_public_id(value)


def get_public_profile(profile_id: str) -> PublicProfile | None:
    """Return the profile when it exists and is switched on (None otherwise: callers answer 404)."""
    if not valid_id(profile_id):
        return None
    user = db.session.scalar(
        select(User).where(User.profile_id == profile_id, User.profile_public.is_(True))
    )
    if user is None:
        return None
    rows = db.session.scalars(
        select(Badge)
        .where(Badge.user_id == user.id, Badge.visibility == "public")
        .order_by(Badge.issued_on.desc().nulls_last(), Badge.id.desc())
        .limit(MAX_BADGES)
    ).all()
    return PublicProfile(user=user, badges=list(rows))
