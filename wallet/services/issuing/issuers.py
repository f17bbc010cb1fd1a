"""Issuers and their achievements (badge classes): creating them and finding them."""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric import ed25519
from email_validator import EmailNotValidError
from email_validator import validate_email
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from wallet.extensions import db
from wallet.models import Achievement
from wallet.models import Issuer
from wallet.models import IssuerRole
from wallet.models import User
from wallet.models import is_public_id
from wallet.openbadges.keys import ed25519_multikey
from wallet.services import images
from wallet.services.issuing import audit
from wallet.services.issuing.errors import IssuingError
from wallet.services.issuing.keys import seal_private_key
from wallet.services.validation import has_unusable_characters

SLUG = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?\Z")


def valid_email(value: str | None) -> str | None:
    """Return the address without surrounding blanks when it is usable, else None."""
    text = (value or "").strip()
    if not text or len(text) > 254:
        return None
    try:
        validate_email(text, check_deliverability=False)
    except EmailNotValidError:
        return None
    return text


def _clean(value: str | None, limit: int, code: str, *, required: bool = True) -> str:
    text = (value or "").strip()
    if (required and not text) or len(text) > limit or has_unusable_characters(text):
        raise IssuingError(code)
    return text


def _slug(value: str) -> str:
    slug = value.strip().lower()
    if not SLUG.match(slug):
        raise IssuingError("bad_slug", "use lower-case letters, digits and hyphens")
    return slug


def slug_from(text: str, fallback: str) -> str:
    """Return a short name for URLs made of the ASCII letters and digits of ``text``.

    Operators never type one (issue 22): "Concrete Engineer 2026" becomes
    ``concrete-engineer-2026``; a name with no Latin letters gets ``fallback``.
    """
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    words = re.findall(r"[a-z0-9]+", folded)
    slug = "-".join(words)[:40].strip("-")
    return slug if SLUG.match(slug) else fallback


def _free_slug(base: str, taken: object) -> str:
    """Return ``base``, or ``base-2``, ``base-3``… whichever ``taken(slug)`` says is free."""
    for number in range(1, 1000):
        slug = base if number == 1 else f"{base[:58]}-{number}"
        if not taken(slug):  # type: ignore[operator]
            return slug
    raise IssuingError("slug_taken")


def issuer_slug(url: str, name: str) -> str:
    """Return a free short name for a new issuer: its web site's host (``jci-net``), or name."""
    host = (urlsplit(url).hostname or "").lower()
    labels = [part for part in host.split(".") if part and part != "www"]
    base = slug_from(labels[0] if labels else name, "") or slug_from(name, "issuer")
    return _free_slug(base, lambda slug: get_issuer(slug) is not None)


def achievement_slug(issuer: Issuer, name: str) -> str:
    """Return a free short name for a new badge class of the issuer, made from its name."""
    return _free_slug(
        slug_from(name, "badge"), lambda slug: get_achievement(issuer, slug) is not None
    )


def _commit_new(record: Issuer | Achievement, taken: str) -> None:
    """Add and commit a new record; its slug being taken already is an IssuingError."""
    db.session.add(record)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise IssuingError("slug_taken", taken) from None


def _image(data: bytes | None, label: str) -> bytes:
    if not data:
        return images.placeholder(label)
    png = images.reencode(data)
    if png is None:
        raise IssuingError("bad_image", "the image is not a PNG, JPEG, GIF or WebP picture")
    return png


def create_issuer(
    slug: str | None,
    name: str,
    url: str,
    email: str,
    *,
    description: str | None = None,
    image: bytes | None = None,
    owner: User | None = None,
) -> Issuer:
    """Create an issuer with a fresh Ed25519 key pair (private key sealed) and commit.

    Without a slug one is made from the web site (issuer_slug). ``owner`` gets the owner role.
    """
    name = _clean(name, 200, "bad_name")
    url = _clean(url, 2000, "bad_url")
    if not url.startswith(("https://", "http://")):
        raise IssuingError("bad_url", "the URL must start with https://")
    slug = _slug(slug) if slug else issuer_slug(url, name)
    email = valid_email(email)
    if email is None:
        raise IssuingError("bad_email")
    key = ed25519.Ed25519PrivateKey.generate()
    issuer = Issuer(
        slug=slug,
        name=name,
        url=url,
        email=email,
        description=_clean(description, 2000, "bad_description", required=False) or None,
        image_png=_image(image, name),
        public_key_multibase=ed25519_multikey(key.public_key()),
        private_key_sealed=seal_private_key(key, slug),
    )
    _commit_new(issuer, f"an issuer {slug!r} exists already")
    if owner is not None:
        db.session.add(IssuerRole(issuer_id=issuer.id, user_id=owner.id, role="owner"))
        db.session.commit()
    return issuer


def create_achievement(
    issuer: Issuer,
    slug: str | None,
    name: str,
    description: str,
    criteria: str,
    *,
    image: bytes | None = None,
    validity_days: int | None = None,
    reminder_days: int | None = None,
    actor: audit.Actor | None = None,
) -> Achievement:
    """Create a badge class of ``issuer`` and commit (a slug is made from the name if none)."""
    slug = _slug(slug) if slug else achievement_slug(issuer, name)
    if validity_days is not None and not 0 < validity_days <= 100 * 366:
        raise IssuingError("bad_validity")
    if reminder_days is not None and not 0 < reminder_days <= 365:
        raise IssuingError("bad_reminder")
    achievement = Achievement(
        issuer_id=issuer.id,
        slug=slug,
        name=_clean(name, 200, "bad_name"),
        description=_clean(description, 5000, "bad_description"),
        criteria=_clean(criteria, 10000, "bad_criteria"),
        validity_days=validity_days,
        reminder_days=reminder_days,
    )
    achievement.image_png = _image(image, achievement.name)
    _commit_new(achievement, f"an achievement {slug!r} exists already")
    if actor is not None:
        audit.record(issuer, actor, "achievement_created", detail=achievement.name)
        db.session.commit()
    return achievement


def set_reminder(achievement: Achievement, days: int | None, actor: audit.Actor) -> None:
    """Turn the reminder of unclaimed awards on (after ``days`` days) or off (None)."""
    if days is not None and not 0 < days <= 365:
        raise IssuingError("bad_reminder")
    achievement.reminder_days = days
    audit.record(
        achievement.issuer, actor, "reminder_set", detail=f"{achievement.name}: {days or 'off'}"
    )
    db.session.commit()


def get_issuer(slug: str) -> Issuer | None:
    """Return the issuer with this slug."""
    if not SLUG.match(slug or ""):
        return None
    return db.session.scalar(select(Issuer).where(Issuer.slug == slug))


def list_issuers() -> list[Issuer]:
    """Return every issuer, by name."""
    return list(db.session.scalars(select(Issuer).order_by(Issuer.name)))


def get_achievement(issuer: Issuer, ref: str) -> Achievement | None:
    """Return the issuer's achievement by slug or public id."""
    return db.session.scalar(
        select(Achievement).where(
            Achievement.issuer_id == issuer.id,
            (Achievement.slug == ref) | (Achievement.public_id == ref),
        )
    )


def achievement_by_public_id(public_id: str) -> Achievement | None:
    """Return an achievement by its public id."""
    if not is_public_id(public_id or ""):
        return None
    return db.session.scalar(select(Achievement).where(Achievement.public_id == public_id))


def achievements_of(issuer: Issuer) -> list[Achievement]:
    """Return the issuer's achievements, by name."""
    return list(
        db.session.scalars(
            select(Achievement).where(Achievement.issuer_id == issuer.id).order_by(Achievement.name)
        )
    )
