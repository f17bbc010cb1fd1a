"""Collections: badges a holder groups under a name and shares at /c/<id>, for people as a page
and for machines as a Verifiable Presentation signed with the holder's key.

A public collection shows only its public badges: a private badge stays private wherever it is
grouped. A private or unknown collection is the same neutral 404 as a private badge.
"""

from __future__ import annotations

import base64
import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from wallet.extensions import db
from wallet.models import Badge
from wallet.models import BadgeContent
from wallet.models import Collection
from wallet.models import CollectionItem
from wallet.models import User
from wallet.models import is_public_id
from wallet.models import utcnow
from wallet.services import dates
from wallet.services import holder_keys

VC_V2 = "https://www.w3.org/ns/credentials/v2"
MAX_BADGES = 30  # each embedded credential is canonicalised when the presentation is signed
MAX_COLLECTIONS = 100
NAME_MAX = 200
VISIBILITIES = ("public", "private")


class CollectionProblem(ValueError):
    """The collection cannot be saved; ``code`` says why (translated by the caller)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class Shared:
    """A public collection as anyone sees it: its holder and its public badges, in order."""

    collection: Collection
    holder: User
    badges: list[Badge]


def _clean(name: str) -> str:
    return " ".join("".join(c for c in name if c.isprintable()).split())[:NAME_MAX]


def _owned_badges(user: User, badge_ids: list[int]) -> list[Badge]:
    """Return the user's badges among badge_ids, in the order given (others are ignored)."""
    wanted = list(dict.fromkeys(badge_ids))[:MAX_BADGES]
    if not wanted:
        return []
    rows = db.session.scalars(
        select(Badge).where(Badge.user_id == user.id, Badge.id.in_(wanted))
    ).all()
    by_id = {badge.id: badge for badge in rows}
    return [by_id[i] for i in wanted if i in by_id]


def list_for(user: User) -> list[Collection]:
    """Return the holder's collections, newest first, with their items."""
    return list(
        db.session.scalars(
            select(Collection)
            .options(selectinload(Collection.items).selectinload(CollectionItem.badge))
            .where(Collection.user_id == user.id)
            .order_by(Collection.id.desc())
        )
    )


def get_owned(user: User, public_id: str) -> Collection | None:
    """Return one of the holder's collections (None for another holder's or an unknown id)."""
    if not is_public_id(public_id):
        return None
    return db.session.scalar(
        select(Collection)
        .options(selectinload(Collection.items).selectinload(CollectionItem.badge))
        .where(Collection.user_id == user.id, Collection.public_id == public_id)
    )


def save(
    user: User,
    collection: Collection | None,
    *,
    name_ja: str,
    name_en: str,
    badge_ids: list[int],
    visibility: str,
) -> Collection:
    """Create or update a collection (committed); raise CollectionProblem."""
    name_ja, name_en = _clean(name_ja), _clean(name_en)
    if not name_ja and not name_en:
        raise CollectionProblem("name")
    if visibility not in VISIBILITIES:
        raise CollectionProblem("visibility")
    badges = _owned_badges(user, badge_ids)
    if not badges:
        raise CollectionProblem("empty")
    if collection is None:
        count = len(list_for(user))
        if count >= MAX_COLLECTIONS:
            raise CollectionProblem("too_many")
        collection = Collection(user_id=user.id)
        db.session.add(collection)
        collection.items = []
    collection.name_ja, collection.name_en = name_ja, name_en
    collection.visibility = visibility
    collection.updated_at = utcnow()
    collection.items.clear()
    db.session.flush()
    for position, badge in enumerate(badges):
        collection.items.append(CollectionItem(badge_id=badge.id, position=position))
    db.session.commit()
    return collection


def delete(collection: Collection) -> None:
    """Delete a collection (its badges stay in the wallet), committed."""
    db.session.delete(collection)
    db.session.commit()


def shared(public_id: str) -> Shared | None:
    """Return a public collection with its public badges (None: the neutral 404)."""
    if not is_public_id(public_id):
        return None
    collection = db.session.scalar(
        select(Collection)
        .options(
            selectinload(Collection.items).selectinload(CollectionItem.badge),
        )
        .where(Collection.public_id == public_id, Collection.visibility == "public")
    )
    if collection is None:
        return None
    holder = db.session.get(User, collection.user_id)
    if holder is None:
        return None
    badges = [item.badge for item in collection.items if item.badge.visibility == "public"]
    return Shared(collection, holder, badges)


def name_of(collection: Collection, lang: str) -> str:
    """Return the collection's name in lang, else in the other language."""
    first, second = (
        (collection.name_ja, collection.name_en)
        if lang == "ja"
        else (collection.name_en, collection.name_ja)
    )
    return first or second


def _enveloped(media_type: str, data: str, *, base64_encoded: bool = False) -> dict[str, Any]:
    """Return a VC 2.0 EnvelopedVerifiableCredential carrying a badge's own bytes unchanged."""
    if base64_encoded:
        value = f"data:{media_type};base64," + base64.b64encode(data.encode()).decode("ascii")
    else:
        value = f"data:{media_type},{data}"
    return {"@context": VC_V2, "id": value, "type": "EnvelopedVerifiableCredential"}


def _entry(badge: Badge, payload: str) -> dict[str, Any]:
    """Return how one badge travels in the presentation, as it was received.

    An OB 3.0 credential with an embedded proof goes in as it is; a VC-JWT, and an OB 2.0 (or
    older) assertion with its own JWS or hosted verification, go in enveloped, byte for byte.
    """
    if badge.spec == "3.0" and not payload.lstrip().startswith("{"):
        return _enveloped("application/vc+jwt", payload.strip())
    if badge.spec == "3.0":
        return dict(json.loads(payload))
    if not payload.lstrip().startswith("{"):
        return _enveloped("application/jose", payload.strip())
    return _enveloped("application/ld+json", payload, base64_encoded=True)


def presentation(
    found: Shared,
    *,
    challenge: str | None = None,
    domain: str | None = None,
    created: datetime | None = None,
) -> dict[str, Any]:
    """Return the collection as a Verifiable Presentation signed by its holder's key.

    Authentication proofs are checked against a challenge; when the verifier supplied none,
    the presentation carries a fresh random one (the verifier reads it from the proof).
    """
    ids = [badge.id for badge in found.badges]
    # Only the payload column: the originals and images are not needed to present.
    rows = (
        db.session.execute(
            select(BadgeContent.badge_id, BadgeContent.payload).where(
                BadgeContent.badge_id.in_(ids)
            )
        ).all()
        if ids
        else []
    )
    payloads = {badge_id: payload for badge_id, payload in rows}
    row = holder_keys.ensure(found.holder)
    document: dict[str, Any] = {
        "@context": [VC_V2],
        "id": f"{current_app.config['BASE_URL']}/c/{found.collection.public_id}",
        "type": ["VerifiablePresentation"],
        "holder": row.did_key,
        "verifiableCredential": [
            _entry(badge, payloads[badge.id]) for badge in found.badges if badge.id in payloads
        ],
    }
    return holder_keys.sign_vp(
        row,
        document,
        created or dates.now(),
        challenge=challenge or f"urn:uuid:{uuid.uuid4()}",
        domain=domain,
    )


def choosable(user: User, limit: int = 300) -> list[Badge]:
    """Return the holder's badges to choose from, newest first."""
    return list(
        db.session.scalars(
            select(Badge)
            .where(Badge.user_id == user.id)
            .order_by(Badge.created_at.desc(), Badge.id.desc())
            .limit(limit)
        )
    )
