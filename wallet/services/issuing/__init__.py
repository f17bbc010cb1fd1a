"""Awards: signed OB 3.0 credentials baked into the badge image, their status slots, revocation.

The package's other modules: ``issuers`` (institutes and achievements), ``keys`` (sealed signing
keys), ``credentials`` (the documents verifiers read), ``csv_awards`` and ``batches`` (CSV files,
in one go or in short steps), ``claims`` (award notices and claiming) and ``errors``.
"""

from __future__ import annotations

import json
import secrets
import uuid
from dataclasses import dataclass
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from cryptography.hazmat.primitives.asymmetric import ed25519
from flask import current_app
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from wallet.extensions import db
from wallet.models import STATUS_LIST_BITS
from wallet.models import Achievement
from wallet.models import Award
from wallet.models import Issuer
from wallet.models import StatusList
from wallet.models import utcnow
from wallet.openbadges.baking import bake_png
from wallet.openbadges.keys import ed25519_multikey
from wallet.openbadges.recipient import identity_hash
from wallet.services import dates
from wallet.services.issuing import audit
from wallet.services.issuing import recipients
from wallet.services.issuing.credentials import OB3_CONTEXT
from wallet.services.issuing.credentials import VC_V2
from wallet.services.issuing.credentials import achievement_fields
from wallet.services.issuing.credentials import issuer_fields
from wallet.services.issuing.credentials import sign_document
from wallet.services.issuing.credentials import sign_status_list
from wallet.services.issuing.credentials import status_list_url
from wallet.services.issuing.credentials import to_json
from wallet.services.issuing.keys import private_key_of

REVOCATION_REASON_MAX = 500

# --- calendar days ----------------------------------------------------------------------------


def _local_zone() -> ZoneInfo:
    return ZoneInfo(str(current_app.config.get("BABEL_DEFAULT_TIMEZONE") or "Asia/Tokyo"))


def today() -> date:
    """Return today's date in the portal's time zone (issue dates are local calendar days)."""
    return dates.now().astimezone(_local_zone()).date()


def start_of(day: date) -> datetime:
    """Return the first instant of a local calendar day."""
    return datetime.combine(day, time(0, 0), tzinfo=_local_zone())


def end_of(day: date) -> datetime:
    """Return the last second of a local calendar day (an expiry date is valid all day)."""
    return datetime.combine(day, time(23, 59, 59), tzinfo=_local_zone())


def day_timestamp(moment: datetime) -> str:
    """Return a day boundary as credentials write it: in the portal's own offset, whole seconds.

    ``2026-04-20T00:00:00+09:00`` is the same instant as ``2026-04-19T15:00:00Z`` but keeps the
    calendar day, so every wallet (ours: services.dates.stated_day) can print 20 April.
    """
    text = moment.isoformat(timespec="seconds")
    return text[:-6] + "Z" if text.endswith("+00:00") else text


# --- credentials ------------------------------------------------------------------------------


def _subject_identifiers(award: Award, salt: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = [
        {
            "type": "IdentityObject",
            "identityType": "emailAddress",
            "hashed": True,
            "identityHash": identity_hash(award.email_key, salt),
            "salt": salt,
        }
    ]
    for entry in json.loads(award.identifiers_json or "[]"):
        items.append(
            {
                "type": "IdentityObject",
                "identityType": f"ext:{entry['type']}",
                "hashed": False,
                "identityHash": entry["value"],
            }
        )
    return items


def build_credential(award: Award, status_list: StatusList, salt: str) -> dict[str, Any]:
    """Return the unsigned OpenBadgeCredential of an award."""
    achievement = award.achievement
    issuer = achievement.issuer
    list_url = status_list_url(issuer, status_list.number)
    valid_from = day_timestamp(start_of(award.issued_on))
    credential: dict[str, Any] = {
        "@context": [VC_V2, OB3_CONTEXT],
        "id": award.credential_id,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": issuer_fields(issuer),
        "name": achievement.name,
        "validFrom": valid_from,
        "awardedDate": valid_from,
    }
    if award.expires_on is not None:
        credential["validUntil"] = day_timestamp(end_of(award.expires_on))
    credential["credentialSubject"] = {
        "type": ["AchievementSubject"],
        "identifier": _subject_identifiers(award, salt),
        "achievement": achievement_fields(achievement),
    }
    credential["credentialStatus"] = {
        "id": f"{list_url}#{award.status_index}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": str(award.status_index),
        "statusListCredential": list_url,
    }
    return credential


def _status_slot(issuer: Issuer, key: ed25519.Ed25519PrivateKey) -> tuple[StatusList, int]:
    """Take a free index of the issuer's current status list, drawn at random (a new list when
    half its bits are taken).

    Random indexes give holders herd privacy (BitstringStatusList): an index says nothing about
    when, or in which batch, a badge was issued. Stopping at half keeps a free index about two
    draws away; `next_index` counts the indexes taken.
    """
    current = db.session.scalar(
        select(StatusList)
        .where(StatusList.issuer_id == issuer.id)
        .order_by(StatusList.number.desc())
        .limit(1)
        .with_for_update(of=StatusList)
    )
    if current is None or current.next_index >= STATUS_LIST_BITS // 2:
        current = StatusList(
            issuer_id=issuer.id,
            issuer=issuer,
            number=(current.number + 1) if current else 1,
            purpose="revocation",
            bitstring=bytes(STATUS_LIST_BITS // 8),
            next_index=0,
        )
        sign_status_list(current, key)
        db.session.add(current)
        db.session.flush()
    index = _free_index(current)
    current.next_index += 1
    return current, index


def _free_index(status_list: StatusList) -> int:
    """Draw random indexes until one no award of this list holds (the list row is locked)."""
    while True:
        index = secrets.randbelow(STATUS_LIST_BITS)
        taken = db.session.scalar(
            select(Award.id).where(
                Award.status_list_id == status_list.id, Award.status_index == index
            )
        )
        if taken is None:
            return index


# --- awarding ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class AwardRow:
    """One recipient: the address, the name as the institute has it, dates and identifiers."""

    email: str
    family_name: str
    given_name: str
    issued_on: date
    expires_on: date | None = None
    identifiers: tuple[tuple[str, str], ...] = ()
    language: str = "ja"


@dataclass(frozen=True)
class AwardOutcome:
    """The award, and whether this call created it (False: it existed already)."""

    award: Award
    created: bool


def find_award(achievement: Achievement, email: str, issued_on: date) -> Award | None:
    """Return the award of this achievement to this address on this day, if any."""
    return db.session.scalar(
        select(Award).where(
            Award.achievement_id == achievement.id,
            Award.email_key == email.strip().lower(),
            Award.issued_on == issued_on,
        )
    )


def awards_of(
    achievement: Achievement, *, page: int = 1, size: int = 50
) -> tuple[list[Award], int]:
    """Return one page of an achievement's awards (newest first) and their total count."""
    total = db.session.scalar(
        select(func.count(Award.id)).where(Award.achievement_id == achievement.id)
    )
    rows = db.session.scalars(
        select(Award)
        .where(Award.achievement_id == achievement.id)
        .order_by(Award.id.desc())
        .offset((max(page, 1) - 1) * size)
        .limit(size)
    )
    return list(rows), int(total or 0)


def get_award(award_id: int) -> Award | None:
    """Return an award by id."""
    return db.session.get(Award, award_id)


def person_of(row: AwardRow) -> recipients.Person:
    """Return the recipient a row names."""
    return recipients.Person(
        row.family_name, row.given_name, recipients.registration_of(row.identifiers)
    )


def current_key(
    issuer: Issuer, key: ed25519.Ed25519PrivateKey | None = None
) -> ed25519.Ed25519PrivateKey:
    """Return ``key`` while it is still the issuer's signing key, else the current one.

    A CSV run unseals the key once; an owner may rotate it meanwhile, and a retired key must
    not sign again (services/issuing/rotation.py).
    """
    if key is not None and ed25519_multikey(key.public_key()) == issuer.public_key_multibase:
        return key
    return private_key_of(issuer)


def award(
    achievement: Achievement,
    row: AwardRow,
    *,
    key: ed25519.Ed25519PrivateKey | None = None,
    actor: audit.Actor = audit.SYSTEM,
    same_person: bool = False,
    batch_id: int | None = None,
) -> AwardOutcome:
    """Sign, bake and store one award (idempotent per achievement, address and issue date).

    Raises recipients.AddressTaken when the address belongs to another person, unless the
    operator confirmed (``same_person``) that it is the same person under a new name.
    """
    existing = find_award(achievement, row.email, row.issued_on)
    if existing is not None:
        return AwardOutcome(existing, created=False)
    issuer = achievement.issuer
    if not same_person:
        conflict = recipients.conflict_for(issuer, row.email, person_of(row), achievement.id)
        if conflict is not None:
            raise recipients.AddressTaken(conflict)
    key = current_key(issuer, key)
    expires_on = row.expires_on
    if expires_on is None and achievement.validity_days:
        expires_on = row.issued_on + timedelta(days=achievement.validity_days)
    status_list, index = _status_slot(issuer, key)
    record = Award(
        achievement_id=achievement.id,
        achievement=achievement,
        email=row.email.strip(),
        email_key=row.email.strip().lower(),
        family_name=row.family_name,
        given_name=row.given_name,
        language=row.language if row.language in ("ja", "en") else "ja",
        issued_on=row.issued_on,
        expires_on=expires_on,
        identifiers_json=json.dumps(
            [{"type": kind, "value": value} for kind, value in row.identifiers],
            ensure_ascii=False,
        ),
        numbers=" ".join(value for _kind, value in row.identifiers).lower(),
        credential_id=f"urn:uuid:{uuid.uuid4()}",
        status_list_id=status_list.id,
        status_index=index,
        claim_state="pending",
        batch_id=batch_id,
    )
    salt = secrets.token_hex(16)
    signed = sign_document(build_credential(record, status_list, salt), issuer, key)
    record.credential_json = to_json(signed)
    record.baked_png = bake_png(
        achievement.image_png, "openbadgecredential", record.credential_json
    )
    db.session.add(record)
    try:
        db.session.flush()
        audit.record(
            issuer, actor, "award", award=record, detail="same person" if same_person else ""
        )
        db.session.commit()
    except IntegrityError:
        # The same row awarded concurrently: the other transaction's award stands.
        db.session.rollback()
        existing = find_award(achievement, row.email, row.issued_on)
        if existing is None:
            raise
        return AwardOutcome(existing, created=False)
    return AwardOutcome(record, created=True)


def revoke(record: Award, reason: str = "", *, actor: audit.Actor = audit.SYSTEM) -> bool:
    """Revoke an award: set its status bit and re-sign the list. False when already revoked.

    The reason stays in the portal's records (the status list has no room for one).
    """
    if record.revoked_at is not None:
        return False
    status_list = db.session.scalar(
        select(StatusList)
        .where(StatusList.id == record.status_list_id)
        .with_for_update(of=StatusList)
    )
    if status_list is None:  # the foreign key makes this impossible short of a broken database
        raise RuntimeError(f"status list {record.status_list_id} of award {record.id} is gone")
    bits = bytearray(status_list.bitstring)
    bits[record.status_index // 8] |= 0x80 >> (record.status_index % 8)
    status_list.bitstring = bytes(bits)
    sign_status_list(status_list)
    record.revoked_at = utcnow()
    record.revocation_reason = " ".join(reason.split())[:REVOCATION_REASON_MAX] or None
    audit.record(
        record.achievement.issuer,
        actor,
        "revoke",
        award=record,
        detail=record.revocation_reason or "",
    )
    db.session.commit()
    return True
