"""OB 2.1 API use cases: take a pushed assertion (verified like any import), list, profile."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import func
from sqlalchemy import select

from wallet.extensions import db
from wallet.models import Badge
from wallet.models import BadgeContent
from wallet.models import Connection
from wallet.models import User
from wallet.models import names
from wallet.models import utcnow
from wallet.openbadges.fetch import Fetcher
from wallet.services import badge_api
from wallet.services import badge_import
from wallet.services.badge_import import ImportFailed

SPEC = "2.0"  # the OB 2.1 API exchanges Open Badges 2.0 assertions
PAYLOAD_KEYS = {"assertion", "signedAssertion"}
URL_LIMIT = 2000
SIGNED_TYPES = {"signed", "SignedBadge"}
OB2_CONTEXT = "https://w3id.org/openbadges/v2"


@dataclass(frozen=True)
class Pushed:
    """A pushed assertion in the wallet: the badge, and whether this push added it."""

    badge: Badge
    created: bool


@dataclass(frozen=True)
class Page:
    """One page of assertions: JSON ones, compact JWS ones, and how many there are in all."""

    assertions: list[dict[str, Any]]
    signed: list[str]
    total: int


def source_of(body: bytes) -> str:
    """Return what to import from an Assertion Payload: a compact JWS or a hosted URL.

    The posted JSON of a hosted assertion is never trusted: only its id is kept, and the
    issuer's copy is fetched from there. Raises ImportFailed("input.malformed") with the reason.
    """
    try:
        payload = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise ImportFailed("input.malformed", "the body is not JSON") from None
    if not isinstance(payload, dict):
        raise ImportFailed("input.malformed", "the body must be a JSON object")
    extra = sorted(set(payload) - PAYLOAD_KEYS)
    if extra:
        raise ImportFailed("input.malformed", "unknown property: " + ", ".join(extra)[:100])
    signed = payload.get("signedAssertion")
    if signed is not None:
        # The specification: when both are given, the unsigned assertion is ignored.
        if not isinstance(signed, str) or not badge_api.COMPACT_JWS.fullmatch(signed.strip()):
            raise ImportFailed("input.malformed", "signedAssertion must be a compact JWS")
        return signed.strip()
    assertion = payload.get("assertion")
    if assertion is None:
        raise ImportFailed("input.malformed", "send assertion or signedAssertion")
    if not isinstance(assertion, dict):
        raise ImportFailed("input.malformed", "assertion must be a JSON object")
    return _hosted_url(assertion)


def _hosted_url(assertion: dict[str, Any]) -> str:
    """Return the http(s) id a hosted assertion is fetched from, or raise ImportFailed."""
    verification = assertion.get("verification", assertion.get("verify"))
    kind = verification.get("type") if isinstance(verification, dict) else None
    kinds = kind if isinstance(kind, list) else [kind]
    if any(isinstance(k, str) and k in SIGNED_TYPES for k in kinds):
        raise ImportFailed(
            "input.malformed", "a signed assertion must be sent as signedAssertion (its JWS)"
        )
    url = assertion.get("id")
    if not isinstance(url, str) or not url.startswith(("https://", "http://")):
        raise ImportFailed("input.malformed", "a hosted assertion needs its http(s) id")
    if len(url) > URL_LIMIT or any(c.isspace() for c in url):
        raise ImportFailed("input.malformed", "the assertion id is not a usable URL")
    return url


def push(connection: Connection, body: bytes, *, fetcher: Fetcher) -> Pushed:
    """Verify a pushed assertion and add it, or refresh the copy already in the wallet.

    Raises ImportFailed (nothing stored) when the payload is unusable, the badge does not
    verify, or it is not this holder's. The holder gets a mail for each badge added.
    """
    user = db.session.get(User, connection.user_id)
    assert user is not None  # the connection's user exists: the row cascades with it
    accepted = badge_import.check(user, source_of(body), fetcher=fetcher, spec=SPEC)
    key = badge_import.credential_key(accepted.credential, accepted.loaded.payload)
    existing = db.session.scalar(
        select(Badge).where(Badge.user_id == user.id, Badge.credential_key == key)
    )
    if existing is None:
        outcome = badge_import.store(user, accepted, fetcher=fetcher)
        badge, created = outcome.badge, outcome.created
    else:
        if existing.issuer_id != (accepted.credential.issuer.id or None):
            raise ImportFailed("conflict", "an assertion with this id from another issuer")
        # "Create or update": the issuer's current copy replaces the stored one.
        badge, created = badge_import.replace(existing, accepted, fetcher=fetcher), False
    badge_api.mark_delivered(connection, badge)
    connection.last_used_at = utcnow()
    db.session.commit()
    if created:
        badge_api.tell_holder(user, badge, connection, created=True)
    return Pushed(badge, created)


def list_assertions(
    connection: Connection, *, limit: int, offset: int, since: datetime | None
) -> Page:
    """Return one page of the OB 2.0 assertions the connection may read, newest first.

    ``since`` keeps those that entered the wallet after that instant.
    """
    query = badge_api.visible(connection, SPEC)
    if since is not None:
        query = query.where(Badge.created_at > since)
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    order = (Badge.created_at.desc(), Badge.id.desc())
    page_ids = query.order_by(*order).limit(limit).offset(offset)
    rows = db.session.scalars(
        select(BadgeContent.payload)
        .join(Badge, BadgeContent.badge_id == Badge.id)
        .where(Badge.id.in_(page_ids))
        .order_by(*order)
    ).all()
    assertions: list[dict[str, Any]] = []
    signed: list[str] = []
    for payload in rows:
        text = payload.strip()
        if badge_api.COMPACT_JWS.fullmatch(text):
            signed.append(text)
            continue
        try:
            document = json.loads(text)
        except ValueError:
            continue
        if isinstance(document, dict):
            assertions.append(document)
    return Page(assertions, signed, int(total))


def profile_of(user: User) -> dict[str, Any]:
    """Return the holder's Open Badges 2.0 Profile."""
    base = current_app.config["BASE_URL"]
    return {
        "@context": OB2_CONTEXT,
        "id": f"{base}/u/{user.profile_id}",
        "type": "Profile",
        "name": names.full_name(user),
        "email": user.email,
    }
