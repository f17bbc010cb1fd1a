"""Issuing use cases: issuers and keys, achievements, signed OB 3.0 awards, revocation, documents.

Where the keys are published, and why an HTTPS profile rather than ``did:web``:
the issuer id is ``{BASE_URL}/issuers/<slug>``, a Profile (JSON-LD) served at that URL, and each
credential names the verification method ``{issuer id}#z6Mk…`` (an Ed25519 Multikey).

- Our verifier (``openbadges.keys``) resolves it offline from the fragment and then proves the
  key belongs to the issuer by reading the profile, which lists the same method under
  ``verificationMethod`` / ``assertionMethod`` with ``controller`` = the issuer id.
- The 1EdTech validator uses exactly this ``controller#multikey`` convention and checks
  controller == issuer.id (notes/openbadges.md §4.3); verifiers that dereference the method get
  a controller document with a ``Multikey`` (the W3C Controlled Identifiers shape).
- ``did:web`` would only work on an HTTPS host on port 443: in development
  (``http://127.0.0.1:5000``) the DID would point at an HTTPS URL that does not exist, and
  ``wallet verify --url-map BASE_URL/=DIR`` could not answer it.

Published documents (URL paths below, relative to BASE_URL; a plain directory holding them
mirrors the URLs, so no path is both a document and a folder):
``/issuers/<slug>`` profile, ``/issuers/<slug>.png`` its image, ``/status/<slug>/<n>`` the
signed BitstringStatusListCredential, ``/achievements/<id>`` and ``/achievements/<id>.png``.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import secrets
import uuid
from collections.abc import Iterator
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from email_validator import EmailNotValidError
from email_validator import validate_email
from flask import current_app
from flask import has_request_context
from flask_babel import gettext
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from wallet.extensions import db
from wallet.models import utcnow
from wallet.models_issuing import STATUS_LIST_BITS
from wallet.models_issuing import Achievement
from wallet.models_issuing import Award
from wallet.models_issuing import Issuer
from wallet.models_issuing import StatusList
from wallet.openbadges.baking import bake_png
from wallet.openbadges.dataintegrity import sign_eddsa_rdfc_2022
from wallet.openbadges.errors import FetchError
from wallet.openbadges.fetch import ACCEPT_BADGE
from wallet.openbadges.fetch import Fetcher
from wallet.openbadges.fetch import Response
from wallet.openbadges.keys import ed25519_multikey
from wallet.openbadges.recipient import identity_hash
from wallet.openbadges.status import encode_bitstring
from wallet.services import images
from wallet.services.validation import has_unusable_characters

VC_V2 = "https://www.w3.org/ns/credentials/v2"
OB3_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
DID_V1 = "https://www.w3.org/ns/did/v1"
MULTIKEY_V1 = "https://w3id.org/security/multikey/v1"

SLUG = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?\Z")
PUBLIC_ID = re.compile(r"[a-z0-9]{1,32}\Z")
# Extra CSV columns become identifiers `ext:<name>` (the OB 3.0 schema allows ASCII only there).
EXTRA_COLUMN = re.compile(r"[A-Za-z][A-Za-z0-9_.-]{0,63}\Z")

JSON_LD = "application/ld+json"
VC_LD = "application/vc+ld+json"
MAX_CSV_ROWS = 20_000
MAX_IDENTIFIER = 200
_SEAL_VERSION = b"\x01"


class IssuingError(ValueError):
    """An issuing request cannot be carried out; ``code`` says why."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(detail or code)
        self.code = code
        self.detail = detail


# --- keys -------------------------------------------------------------------------------------


def _sealing_key() -> bytes:
    """Derive the key that encrypts issuer private keys (ISSUER_KEY_SECRET, else SECRET_KEY).

    A separate ISSUER_KEY_SECRET lets the session secret rotate without losing issuer keys.
    """
    secret = current_app.config.get("ISSUER_KEY_SECRET") or current_app.config["SECRET_KEY"]
    return HKDF(
        algorithm=hashes.SHA256(),
        length=32,
        salt=b"wallet.issuer-keys",
        info=b"issuer private key v1",
    ).derive(str(secret).encode("utf-8"))


def seal_private_key(key: ed25519.Ed25519PrivateKey, slug: str) -> bytes:
    """Encrypt a private key for storage (AES-256-GCM, bound to the issuer's slug)."""
    raw = key.private_bytes(
        serialization.Encoding.Raw,
        serialization.PrivateFormat.Raw,
        serialization.NoEncryption(),
    )
    nonce = os.urandom(12)
    return _SEAL_VERSION + nonce + AESGCM(_sealing_key()).encrypt(nonce, raw, slug.encode())


def private_key_of(issuer: Issuer) -> ed25519.Ed25519PrivateKey:
    """Decrypt the issuer's private key; raise IssuingError when the secret changed."""
    sealed = issuer.private_key_sealed
    if not sealed.startswith(_SEAL_VERSION) or len(sealed) < 13:
        raise IssuingError("key_unreadable", "stored issuer key has an unknown format")
    nonce, body = sealed[1:13], sealed[13:]
    try:
        raw = AESGCM(_sealing_key()).decrypt(nonce, body, issuer.slug.encode())
    except InvalidTag:
        raise IssuingError(
            "key_unreadable", "issuer key cannot be decrypted (ISSUER_KEY_SECRET changed?)"
        ) from None
    return ed25519.Ed25519PrivateKey.from_private_bytes(raw)


# --- URLs -------------------------------------------------------------------------------------


def _base() -> str:
    return str(current_app.config["BASE_URL"]).rstrip("/")


def issuer_url(issuer: Issuer) -> str:
    """Return the issuer id: the URL of its published profile."""
    return f"{_base()}/issuers/{issuer.slug}"


def verification_method(issuer: Issuer) -> str:
    """Return the verification method id: ``{issuer id}#{multikey}``."""
    return f"{issuer_url(issuer)}#{issuer.public_key_multibase}"


def status_list_url(issuer: Issuer, number: int) -> str:
    """Return the URL of one of the issuer's status list credentials."""
    return f"{_base()}/status/{issuer.slug}/{number}"


def achievement_url(achievement: Achievement) -> str:
    """Return the id (and URL) of an achievement."""
    return f"{_base()}/achievements/{achievement.public_id}"


# --- issuers and achievements -----------------------------------------------------------------


def _clean(value: str | None, limit: int, code: str, *, required: bool = True) -> str:
    text = (value or "").strip()
    if (required and not text) or len(text) > limit or has_unusable_characters(text):
        raise IssuingError(code)
    return text


def _image(data: bytes | None, label: str) -> bytes:
    if not data:
        return images.placeholder(label)
    png = images.reencode(data)
    if png is None:
        raise IssuingError("bad_image", "the image is not a PNG, JPEG, GIF or WebP picture")
    return png


def create_issuer(
    slug: str,
    name: str,
    url: str,
    email: str,
    *,
    description: str | None = None,
    image: bytes | None = None,
) -> Issuer:
    """Create an issuer with a fresh Ed25519 key pair (private key sealed) and commit."""
    slug = slug.strip().lower()
    if not SLUG.match(slug):
        raise IssuingError("bad_slug", "use lower-case letters, digits and hyphens")
    name = _clean(name, 200, "bad_name")
    url = _clean(url, 2000, "bad_url")
    if not url.startswith(("https://", "http://")):
        raise IssuingError("bad_url", "the URL must start with https://")
    email = _valid_email(email)
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
    db.session.add(issuer)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise IssuingError("slug_taken", f"an issuer {slug!r} exists already") from None
    return issuer


def create_achievement(
    issuer: Issuer,
    slug: str,
    name: str,
    description: str,
    criteria: str,
    *,
    image: bytes | None = None,
    validity_days: int | None = None,
) -> Achievement:
    """Create a badge class of ``issuer`` and commit."""
    slug = slug.strip().lower()
    if not SLUG.match(slug):
        raise IssuingError("bad_slug", "use lower-case letters, digits and hyphens")
    if validity_days is not None and not 0 < validity_days <= 100 * 366:
        raise IssuingError("bad_validity")
    achievement = Achievement(
        issuer_id=issuer.id,
        slug=slug,
        name=_clean(name, 200, "bad_name"),
        description=_clean(description, 5000, "bad_description"),
        criteria=_clean(criteria, 10000, "bad_criteria"),
        image_png=_image(image, name),
        validity_days=validity_days,
    )
    db.session.add(achievement)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise IssuingError("slug_taken", f"an achievement {slug!r} exists already") from None
    return achievement


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
    if not PUBLIC_ID.match(public_id or ""):
        return None
    return db.session.scalar(select(Achievement).where(Achievement.public_id == public_id))


def achievements_of(issuer: Issuer) -> list[Achievement]:
    """Return the issuer's achievements, by name."""
    return list(
        db.session.scalars(
            select(Achievement).where(Achievement.issuer_id == issuer.id).order_by(Achievement.name)
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


# --- documents --------------------------------------------------------------------------------


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _image_ref(url: str, caption: str | None = None) -> dict[str, Any]:
    image: dict[str, Any] = {"id": url, "type": "Image"}
    if caption:
        image["caption"] = caption
    return image


def _issuer_fields(issuer: Issuer) -> dict[str, Any]:
    profile: dict[str, Any] = {
        "id": issuer_url(issuer),
        "type": ["Profile"],
        "name": issuer.name,
        "url": issuer.url,
        "email": issuer.email,
    }
    if issuer.description:
        profile["description"] = issuer.description
    profile["image"] = _image_ref(issuer_url(issuer) + ".png", issuer.name)
    return profile


def profile_document(issuer: Issuer) -> dict[str, Any]:
    """Return the published issuer Profile, listing its key as a Multikey it controls."""
    method = verification_method(issuer)
    document: dict[str, Any] = {"@context": [VC_V2, OB3_CONTEXT, DID_V1, MULTIKEY_V1]}
    document.update(_issuer_fields(issuer))
    document["verificationMethod"] = [
        {
            "id": method,
            "type": "Multikey",
            "controller": issuer_url(issuer),
            "publicKeyMultibase": issuer.public_key_multibase,
        }
    ]
    document["assertionMethod"] = [method]
    return document


def _achievement_fields(achievement: Achievement) -> dict[str, Any]:
    return {
        "id": achievement_url(achievement),
        "type": ["Achievement"],
        "name": achievement.name,
        "description": achievement.description,
        "criteria": {"narrative": achievement.criteria},
        "image": _image_ref(achievement_url(achievement) + ".png", achievement.name),
    }


def achievement_document(achievement: Achievement) -> dict[str, Any]:
    """Return the published Achievement (badge class) document."""
    return {"@context": [VC_V2, OB3_CONTEXT], **_achievement_fields(achievement)}


def _local_zone() -> ZoneInfo:
    return ZoneInfo(str(current_app.config.get("BABEL_DEFAULT_TIMEZONE") or "Asia/Tokyo"))


def today() -> date:
    """Return today's date in the portal's time zone (issue dates are local calendar days)."""
    return datetime.now(_local_zone()).date()


def start_of(day: date) -> datetime:
    """Return the first instant of a local calendar day."""
    return datetime.combine(day, time(0, 0), tzinfo=_local_zone())


def end_of(day: date) -> datetime:
    """Return the last second of a local calendar day (an expiry date is valid all day)."""
    return datetime.combine(day, time(23, 59, 59), tzinfo=_local_zone())


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
    valid_from = _iso(start_of(award.issued_on))
    credential: dict[str, Any] = {
        "@context": [VC_V2, OB3_CONTEXT],
        "id": award.credential_id,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": _issuer_fields(issuer),
        "name": achievement.name,
        "validFrom": valid_from,
        "awardedDate": valid_from,
    }
    if award.expires_on is not None:
        credential["validUntil"] = _iso(end_of(award.expires_on))
    credential["credentialSubject"] = {
        "type": ["AchievementSubject"],
        "identifier": _subject_identifiers(award, salt),
        "achievement": _achievement_fields(achievement),
    }
    credential["credentialStatus"] = {
        "id": f"{list_url}#{award.status_index}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": str(award.status_index),
        "statusListCredential": list_url,
    }
    return credential


def _sign(document: Mapping[str, Any], issuer: Issuer, key: ed25519.Ed25519PrivateKey) -> dict:
    return sign_eddsa_rdfc_2022(document, key, verification_method(issuer), utcnow())


def _dump(document: Mapping[str, Any]) -> str:
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"))


def _sign_status_list(
    status_list: StatusList, key: ed25519.Ed25519PrivateKey | None = None
) -> None:
    issuer = status_list.issuer
    url = status_list_url(issuer, status_list.number)
    document = {
        "@context": [VC_V2],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer_url(issuer),
        "validFrom": _iso(utcnow()),
        "credentialSubject": {
            "id": f"{url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": status_list.purpose,
            "encodedList": encode_bitstring(status_list.bitstring),
        },
    }
    status_list.credential_json = _dump(_sign(document, issuer, key or private_key_of(issuer)))
    status_list.updated_at = utcnow()


def _status_slot(issuer: Issuer, key: ed25519.Ed25519PrivateKey) -> tuple[StatusList, int]:
    """Take the next free index of the issuer's current status list (a new list when full)."""
    current = db.session.scalar(
        select(StatusList)
        .where(StatusList.issuer_id == issuer.id)
        .order_by(StatusList.number.desc())
        .limit(1)
        .with_for_update(of=StatusList)
    )
    if current is None or current.next_index >= STATUS_LIST_BITS:
        current = StatusList(
            issuer_id=issuer.id,
            issuer=issuer,
            number=(current.number + 1) if current else 1,
            purpose="revocation",
            bitstring=bytes(STATUS_LIST_BITS // 8),
            next_index=0,
        )
        _sign_status_list(current, key)
        db.session.add(current)
        db.session.flush()
    index = current.next_index
    current.next_index = index + 1
    return current, index


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


def _valid_email(value: str | None) -> str | None:
    text = (value or "").strip()
    if not text or len(text) > 254:
        return None
    try:
        validate_email(text, check_deliverability=False)
    except EmailNotValidError:
        return None
    return text


def find_award(achievement: Achievement, email: str, issued_on: date) -> Award | None:
    """Return the award of this achievement to this address on this day, if any."""
    return db.session.scalar(
        select(Award).where(
            Award.achievement_id == achievement.id,
            Award.email_key == email.strip().lower(),
            Award.issued_on == issued_on,
        )
    )


def award(
    achievement: Achievement, row: AwardRow, *, key: ed25519.Ed25519PrivateKey | None = None
) -> AwardOutcome:
    """Sign, bake and store one award (idempotent per achievement, address and issue date)."""
    existing = find_award(achievement, row.email, row.issued_on)
    if existing is not None:
        return AwardOutcome(existing, created=False)
    issuer = achievement.issuer
    key = key or private_key_of(issuer)
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
        credential_id=f"urn:uuid:{uuid.uuid4()}",
        status_list_id=status_list.id,
        status_index=index,
        claim_state="pending",
    )
    salt = secrets.token_hex(16)
    signed = _sign(build_credential(record, status_list, salt), issuer, key)
    record.credential_json = _dump(signed)
    record.baked_png = bake_png(
        achievement.image_png, "openbadgecredential", record.credential_json
    )
    db.session.add(record)
    try:
        db.session.commit()
    except IntegrityError:
        # The same row awarded concurrently: the other transaction's award stands.
        db.session.rollback()
        existing = find_award(achievement, row.email, row.issued_on)
        if existing is None:
            raise
        return AwardOutcome(existing, created=False)
    return AwardOutcome(record, created=True)


def revoke(record: Award) -> bool:
    """Revoke an award: set its status bit and re-sign the list. False when already revoked."""
    if record.revoked_at is not None:
        return False
    status_list = db.session.scalar(
        select(StatusList)
        .where(StatusList.id == record.status_list_id)
        .with_for_update(of=StatusList)
    )
    assert status_list is not None
    bits = bytearray(status_list.bitstring)
    bits[record.status_index // 8] |= 0x80 >> (record.status_index % 8)
    status_list.bitstring = bytes(bits)
    _sign_status_list(status_list)
    record.revoked_at = utcnow()
    db.session.commit()
    return True


# --- CSV --------------------------------------------------------------------------------------

# Header aliases: the institute's spreadsheet may use the Japanese column names.
COLUMNS = {
    "email": "email",
    "email_address": "email",
    "メールアドレス": "email",
    "family_name": "family_name",
    "姓": "family_name",
    "氏": "family_name",
    "given_name": "given_name",
    "名": "given_name",
    "issue_date": "issue_date",
    "issued_on": "issue_date",
    "発行日": "issue_date",
    "expiry": "expiry",
    "expires": "expiry",
    "有効期限": "expiry",
    "language": "language",
    "lang": "language",
    "言語": "language",
    "合格番号": "pass_number",
    "登録番号": "registration_number",
}
REQUIRED_COLUMNS = ("email", "family_name", "given_name")


def N_(text: str) -> str:
    """Mark text for translation; it is translated when shown (CLI output stays English)."""
    return text


ROW_MESSAGES = {
    "encoding": N_("The file is not UTF-8 or Shift_JIS text."),
    "empty": N_("The file has no header line."),
    "missing_column": N_("Column %(value)s is missing."),
    "bad_column": N_(
        "Column name %(value)s cannot be used: extra columns need letters, digits, . - _ only."
    ),
    "duplicate_column": N_("Column %(value)s appears twice."),
    "too_many_rows": N_("The file has more than %(value)s rows."),
    "columns": N_("The line has %(value)s fields; the header has a different number."),
    "email": N_("The email address %(value)s is not valid."),
    "family_name": N_("The family name is missing, too long or contains unusable characters."),
    "given_name": N_("The given name is missing, too long or contains unusable characters."),
    "issue_date": N_("The issue date %(value)s is not a date (YYYY-MM-DD)."),
    "issue_date_future": N_("The issue date %(value)s is in the future."),
    "expiry": N_("The expiry %(value)s is not a date (YYYY-MM-DD)."),
    "expiry_order": N_("The expiry %(value)s is not after the issue date."),
    "expiry_past": N_("The expiry %(value)s has passed already."),
    "identifier": N_("The value of %(value)s is too long or contains unusable characters."),
    "repeated": N_("The same address and issue date already appear on line %(value)s."),
    "failed": N_("The badge could not be issued (%(value)s)."),
}


@dataclass(frozen=True)
class RowProblem:
    """A line of the CSV that was not awarded, and why (``code`` keys ROW_MESSAGES)."""

    line: int
    code: str
    value: str = ""

    @property
    def message(self) -> str:
        """Return the explanation in the current language."""
        text = ROW_MESSAGES[self.code]
        if has_request_context():
            text = gettext(text)
        return text % {"value": self.value}


@dataclass
class CsvReport:
    """What an award run did, line by line."""

    created: list[tuple[int, Award]] = field(default_factory=list)
    existing: list[tuple[int, Award]] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Return True when every line was awarded (now or before)."""
        return not self.problems


def _decode(data: bytes) -> str | None:
    for encoding in ("utf-8-sig", "cp932"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


def _column_key(header: str) -> str | None:
    """Return the canonical column name, or None when the header cannot be used."""
    name = header.strip().strip("\ufeff")
    known = COLUMNS.get(name) or COLUMNS.get(name.lower())
    if known:
        return known
    if EXTRA_COLUMN.match(name):
        return name
    return None


def identifier_type(column: str) -> str:
    """Return the identifier type of an extra column: snake_case becomes camelCase."""
    head, *rest = re.split(r"[_]+", column)
    return head + "".join(part[:1].upper() + part[1:] for part in rest if part)


def _parse_date(text: str) -> date | None:
    text = text.strip().replace("/", "-")
    try:
        return date.fromisoformat(text)
    except ValueError:
        match = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", text)
        if not match:
            return None
        try:
            return date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError:
            return None


def parse_csv(data: bytes) -> tuple[list[tuple[int, AwardRow]], list[RowProblem]]:
    """Parse and check an award CSV: good rows with their line numbers, and the bad ones."""
    text = _decode(data)
    if text is None:
        return [], [RowProblem(1, "encoding")]
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except (StopIteration, csv.Error):
        return [], [RowProblem(1, "empty")]
    columns: list[str] = []
    problems: list[RowProblem] = []
    for raw in header:
        key = _column_key(raw)
        if key is None:
            problems.append(RowProblem(1, "bad_column", raw.strip()[:60]))
        elif key in columns:
            problems.append(RowProblem(1, "duplicate_column", raw.strip()[:60]))
        columns.append(key or "")
    problems += [RowProblem(1, "missing_column", c) for c in REQUIRED_COLUMNS if c not in columns]
    if problems:
        return [], problems
    good: list[tuple[int, AwardRow]] = []
    seen: dict[tuple[str, date], int] = {}
    now = today()
    try:
        for fields in reader:
            line = reader.line_num
            if not any(f.strip() for f in fields):
                continue
            if len(good) + len(problems) >= MAX_CSV_ROWS:
                problems.append(RowProblem(line, "too_many_rows", str(MAX_CSV_ROWS)))
                break
            row, problem = _row(columns, fields, line, now)
            if problem is None and row is not None:
                key = (row.email.lower(), row.issued_on)
                if key in seen:
                    problem = RowProblem(line, "repeated", str(seen[key]))
                else:
                    seen[key] = line
            if problem is not None:
                problems.append(problem)
            elif row is not None:
                good.append((line, row))
    except csv.Error:
        problems.append(RowProblem(reader.line_num, "columns", "?"))
    return good, problems


def _row(
    columns: list[str], fields: list[str], line: int, now: date
) -> tuple[AwardRow | None, RowProblem | None]:
    if len(fields) != len(columns):
        return None, RowProblem(line, "columns", str(len(fields)))
    values = {c: f.strip().strip("\u3000").strip() for c, f in zip(columns, fields, strict=True)}
    email = _valid_email(values["email"])
    if email is None:
        return None, RowProblem(line, "email", values["email"][:100])
    for name in ("family_name", "given_name"):
        value = values[name]
        if not value or len(value) > 100 or has_unusable_characters(value):
            return None, RowProblem(line, name)
    issued_text = values.get("issue_date", "")
    issued_on = _parse_date(issued_text) if issued_text else now
    if issued_on is None:
        return None, RowProblem(line, "issue_date", issued_text[:40])
    if issued_on > now:
        return None, RowProblem(line, "issue_date_future", issued_text[:40])
    expiry_text = values.get("expiry", "")
    expires_on = None
    if expiry_text:
        expires_on = _parse_date(expiry_text)
        if expires_on is None:
            return None, RowProblem(line, "expiry", expiry_text[:40])
        if expires_on < issued_on:
            return None, RowProblem(line, "expiry_order", expiry_text[:40])
        if expires_on < now:
            # The holder's wallet refuses an expired badge: it could never be claimed.
            return None, RowProblem(line, "expiry_past", expiry_text[:40])
    identifiers: list[tuple[str, str]] = []
    for column in columns:
        if column in ("email", "family_name", "given_name", "issue_date", "expiry", "language"):
            continue
        value = values[column]
        if not value:
            continue
        if len(value) > MAX_IDENTIFIER or has_unusable_characters(value):
            return None, RowProblem(line, "identifier", column)
        identifiers.append((identifier_type(column), value))
    language = values.get("language", "").lower() or "ja"
    return (
        AwardRow(
            email=email,
            family_name=values["family_name"],
            given_name=values["given_name"],
            issued_on=issued_on,
            expires_on=expires_on,
            identifiers=tuple(identifiers),
            language=language if language in ("ja", "en") else "ja",
        ),
        None,
    )


def award_csv(
    achievement: Achievement,
    data: bytes,
    *,
    notify: Any = None,
) -> CsvReport:
    """Award every good line of a CSV (bad lines reported); re-running creates no duplicates.

    ``notify(award)`` is called for each newly created award (the claims service mails it).
    """
    rows, problems = parse_csv(data)
    report = CsvReport(problems=list(problems))
    if not rows:
        return report
    key = private_key_of(achievement.issuer)  # decrypted once per run
    for line, row in rows:
        try:
            outcome = award(achievement, row, key=key)
        except (IssuingError, ValueError) as exc:
            db.session.rollback()
            report.problems.append(RowProblem(line, "failed", str(exc)[:200]))
            continue
        if outcome.created:
            report.created.append((line, outcome.award))
            if notify is not None:
                notify(outcome.award)
        else:
            report.existing.append((line, outcome.award))
    report.problems.sort(key=lambda p: p.line)
    return report


# --- published documents and the in-process fetcher -------------------------------------------


def status_list_by_number(issuer: Issuer, number: int) -> StatusList | None:
    """Return one of the issuer's status lists."""
    return db.session.scalar(
        select(StatusList).where(StatusList.issuer_id == issuer.id, StatusList.number == number)
    )


def document_at(path: str) -> tuple[str, bytes] | None:
    """Return (content type, body) of the published document at a BASE_URL path, or None."""
    match = re.fullmatch(r"/issuers/([a-z0-9-]{1,64})(\.png)?", path)
    if match:
        issuer = get_issuer(match[1])
        if issuer is None:
            return None
        if match[2]:
            return "image/png", issuer.image_png or images.placeholder(issuer.name)
        return JSON_LD, _dump(profile_document(issuer)).encode("utf-8")
    match = re.fullmatch(r"/status/([a-z0-9-]{1,64})/([1-9][0-9]{0,8})", path)
    if match:
        issuer = get_issuer(match[1])
        status_list = status_list_by_number(issuer, int(match[2])) if issuer else None
        if status_list is None:
            return None
        return VC_LD, status_list.credential_json.encode("utf-8")
    match = re.fullmatch(r"/achievements/([a-z0-9]{1,32})(\.png)?", path)
    if match:
        achievement = achievement_by_public_id(match[1])
        if achievement is None:
            return None
        if match[2]:
            return "image/png", achievement.image_png
        return JSON_LD, _dump(achievement_document(achievement)).encode("utf-8")
    return None


class PortalFetcher:
    """Answers the portal's own BASE_URL documents from the database, others via ``fallback``.

    The portal verifying the badges it issued (at claim time) runs the same verification
    engine, but needs no network round trip to itself.
    """

    def __init__(self, fallback: Fetcher | None = None) -> None:
        """Bind to the current app's BASE_URL."""
        self.base = _base()
        self.fallback = fallback

    def fetch(self, url: str, *, accept: str = ACCEPT_BADGE) -> Response:
        """Return the document for ``url`` (404 for an unknown portal path)."""
        if url.startswith(self.base + "/"):
            path = url[len(self.base) :].split("#", 1)[0].split("?", 1)[0]
            found = document_at(path)
            if found is None:
                return Response(url=url, status=404, content_type="text/plain", body=b"")
            return Response(url=url, status=200, content_type=found[0], body=found[1])
        if self.fallback is None:
            raise FetchError("not a document of this portal")
        return self.fallback.fetch(url, accept=accept)


def published_paths() -> Iterator[str]:
    """Yield the BASE_URL paths of every published JSON document."""
    for issuer in list_issuers():
        yield f"/issuers/{issuer.slug}"
        for status_list in db.session.scalars(
            select(StatusList).where(StatusList.issuer_id == issuer.id)
        ):
            yield f"/status/{issuer.slug}/{status_list.number}"
        for achievement in achievements_of(issuer):
            yield f"/achievements/{achievement.public_id}"


def publish_documents(directory: Path) -> list[Path]:
    """Write every published document under ``directory``, mirroring the URL paths."""
    written: list[Path] = []
    for path in published_paths():
        found = document_at(path)
        if found is None:
            continue
        target = directory.joinpath(*path.strip("/").split("/"))
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(found[1])
        written.append(target)
    return written
