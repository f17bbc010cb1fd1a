"""Public profile pages: a holder's public badges at /u/<profile_id>, when the holder opted in,
with a short bio and a photo of their own (shown only while the profile is on)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from sqlalchemy import delete
from sqlalchemy import select

from wallet.extensions import db
from wallet.models import Badge
from wallet.models import ProfilePhoto
from wallet.models import User
from wallet.models import is_public_id
from wallet.models import utcnow
from wallet.services import images
from wallet.services.validation import has_unusable_characters

MAX_BADGES = 500
BIO_MAX_CHARS = 500
BIO_MAX_LINES = 10
PHOTO_MAX_BYTES = 8 * 1024 * 1024


class ProfileProblem(Exception):
    """A bio or photo was refused; ``code`` says why (the views translate it).

    ``unverified`` (confirm the address first), ``bio_long``, ``bio_characters``,
    ``photo_large``, ``photo_unreadable``.
    """

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class PublicProfile:
    """A holder who opted in, and their public badges, newest first.

    ``bio`` and ``photo_version`` are None unless the account's address is confirmed: an
    unproved account cannot put words or pictures on this site's pages.
    """

    user: User
    badges: list[Badge]
    bio: str | None = None
    photo_version: str | None = None


def valid_id(value: str) -> bool:
    """Return whether value has the shape of a public id or profile id."""
    return is_public_id(value)


def _public_user(profile_id: str) -> User | None:
    """Return the holder whose profile is switched on, or None."""
    if not valid_id(profile_id):
        return None
    return db.session.scalar(
        select(User).where(User.profile_id == profile_id, User.profile_public.is_(True))
    )


def get_public_profile(profile_id: str) -> PublicProfile | None:
    """Return the profile when it exists and is switched on (None otherwise: callers answer 404)."""
    user = _public_user(profile_id)
    if user is None:
        return None
    rows = db.session.scalars(
        select(Badge)
        .where(Badge.user_id == user.id, Badge.visibility == "public")
        .order_by(Badge.issued_on.desc().nulls_last(), Badge.id.desc())
        .limit(MAX_BADGES)
    ).all()
    if not user.is_verified:
        return PublicProfile(user=user, badges=list(rows))
    return PublicProfile(
        user=user, badges=list(rows), bio=user.profile_bio, photo_version=photo_version(user)
    )


def clean_bio(text: str | None) -> str | None:
    """Return the bio as stored (plain text, trimmed, Unix line ends), or raise ProfileProblem."""
    value = (text or "").replace("\r\n", "\n").replace("\r", "\n").strip()
    if not value:
        return None
    if len(value) > BIO_MAX_CHARS:
        raise ProfileProblem("bio_long")
    if has_unusable_characters(value.replace("\n", "")) or value.count("\n") >= BIO_MAX_LINES:
        raise ProfileProblem("bio_characters")
    return value


def set_bio(user: User, text: str | None) -> None:
    """Save the holder's bio (empty: none); raise ProfileProblem."""
    if not user.is_verified:
        raise ProfileProblem("unverified")
    user.profile_bio = clean_bio(text)
    db.session.commit()


def set_photo(user: User, data: bytes) -> None:
    """Store the holder's photo re-encoded by us as a square PNG; raise ProfileProblem."""
    if not user.is_verified:
        raise ProfileProblem("unverified")
    if len(data) > PHOTO_MAX_BYTES:
        raise ProfileProblem("photo_large")
    png = images.reencode_photo(data)
    if png is None:
        raise ProfileProblem("photo_unreadable")
    version = hashlib.sha256(png).hexdigest()[:16]
    photo = db.session.get(ProfilePhoto, user.id)
    if photo is None:
        db.session.add(ProfilePhoto(user_id=user.id, png=png, version=version))
    else:
        photo.png, photo.version, photo.updated_at = png, version, utcnow()
    db.session.commit()


def remove_photo(user: User) -> None:
    """Delete the holder's photo (nothing happens when there is none)."""
    db.session.execute(delete(ProfilePhoto).where(ProfilePhoto.user_id == user.id))
    db.session.commit()


def photo_version(user: User) -> str | None:
    """Return the version of the holder's photo (part of its URL), None without a photo."""
    return db.session.scalar(select(ProfilePhoto.version).where(ProfilePhoto.user_id == user.id))


def own_photo(user: User) -> bytes | None:
    """Return the holder's own photo (their settings page shows it even while private)."""
    return db.session.scalar(select(ProfilePhoto.png).where(ProfilePhoto.user_id == user.id))


def public_photo(profile_id: str) -> bytes | None:
    """Return the photo of a switched-on profile of a confirmed account, else None (404)."""
    user = _public_user(profile_id)
    if user is None or not user.is_verified:
        return None
    return own_photo(user)
