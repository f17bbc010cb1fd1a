"""Bringing a badge into a wallet: read it, verify it, check it is the holder's, store it.

The verdict says whether the badge is authentic; the gate after it says whether it may enter
this wallet: a valid Open Badge whose recipient is this holder's confirmed email address, or
whose subject is this holder's own DID.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from wallet.extensions import db
from wallet.models import Badge
from wallet.models import BadgeContent
from wallet.models import User
from wallet.openbadges import BadgeError
from wallet.openbadges import Credential
from wallet.openbadges import FetchError
from wallet.openbadges import Loaded
from wallet.openbadges import VerificationReport
from wallet.openbadges import read
from wallet.openbadges import verify_loaded
from wallet.openbadges.fetch import Fetcher
from wallet.openbadges.recipient import recipient_matches
from wallet.services import addresses
from wallet.services import badges
from wallet.services import dates
from wallet.services import holder_keys
from wallet.services import images
from wallet.services import metrics
from wallet.services import reasons

MEDIA_TYPES = {
    "png": "image/png",
    "svg": "image/svg+xml",
    "json": "application/json",
    "jws": "text/plain",
    "jwt": "text/plain",
    "url": "application/json",
}


class ImportFailed(Exception):
    """The badge was not added; ``code`` names why (translated by the caller).

    Besides the verdicts (``invalid``, ``revoked``, ``expired``, ``not_yet_valid``,
    ``unverifiable``) and unreadable input (``input.*``, ``fetch.*``), the gate's own codes:
    ``not_a_badge`` (nothing found), ``not_an_open_badge`` (a credential of another kind),
    ``issuer_unconfirmed`` (the signature holds but nothing the issuer publishes confirms the
    key), ``no_recipient`` (the badge names nobody), ``other_identity`` (it names someone by an
    identifier this account does not have), ``not_yours`` (none of the holder's confirmed
    addresses), ``email_unconfirmed`` (an address of the holder not confirmed yet: ``params``
    names it as ``address``) and ``wrong_version`` (another Open Badges version than asked for).
    ``message_id`` and ``params`` are the deciding check's, or for unreadable input the
    library's reason (what was wrong: "not valid JSON", "a PNG without badge data", "the
    address answered 404"), when it knows one.
    """

    def __init__(
        self,
        code: str,
        detail: str = "",
        message_id: str | None = None,
        params: dict[str, str] | None = None,
    ) -> None:
        super().__init__(code)
        self.code = code
        self.detail = detail
        self.message_id = message_id
        self.params = params or {}


@dataclass(frozen=True)
class ImportOutcome:
    """The badge in the wallet, and whether this import added it (False: already there)."""

    badge: Badge
    created: bool


def credential_key(credential: Credential | None, payload: Any) -> str:
    """Return the idempotency key: a digest of the credential id, else of the payload."""
    basis = credential.id if credential is not None and credential.id else None
    if basis is None:
        basis = payload if isinstance(payload, str) else json.dumps(payload, sort_keys=True)
    return hashlib.sha256(basis.encode("utf-8")).hexdigest()


def payload_text(payload: Any) -> str:
    """Return the payload as stored text: the compact JWS, or the JSON document."""
    if isinstance(payload, str):
        return payload
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"))


def _failure_for(report: VerificationReport) -> ImportFailed | None:
    """Return why a verified badge may not be imported, or None when it may."""
    check = reasons.deciding_check(report)
    if check is None:
        return None
    code = report.result
    if code == "unverifiable" and check.id == "issuer_key":
        code = "issuer_unconfirmed"
    return ImportFailed(code, check.detail, check.message_id, dict(check.params))


def _recipient_failure(credential: Credential, user: User) -> ImportFailed | None:
    """Return why the badge is not this holder's, or None when its recipient is the holder.

    A badge bound to the holder's own key (its subject ``id`` is one of the holder's DIDs, as
    OpenID4VCI issuers bind it) is the holder's whatever else it names. Otherwise any confirmed
    address of the holder matches (the sign-in address or an additional one, hashed or plain
    identities); an unconfirmed one never does, and is named in the refusal.
    """
    if credential.subject_id and credential.subject_id in holder_keys.dids_of(user):
        return None
    recipient = credential.recipient
    if recipient is None:
        return ImportFailed("no_recipient")
    matched = recipient_matches(recipient, addresses.confirmed_addresses(user))
    if matched is None:
        return ImportFailed("other_identity", recipient.type)
    if not matched:
        for email in addresses.unconfirmed_addresses(user):
            if recipient_matches(recipient, [email]):
                return ImportFailed("email_unconfirmed", params={"address": email})
        return ImportFailed("not_yours")
    return None


def _image_for(loaded: Loaded, credential: Credential, fetcher: Fetcher) -> bytes:
    """Return our own PNG of the badge image: the baked file, a data URI, or a fetched URL."""
    candidates: list[bytes] = []
    if loaded.format in ("png", "svg"):
        candidates.append(loaded.original)
    for source in (credential.achievement.image, credential.image):
        if not source:
            continue
        if source.startswith("data:"):
            data = images.decode_data_uri(source)
            if data:
                candidates.append(data)
        elif source.startswith(("https://", "http://")):
            try:
                response = fetcher.fetch(source, accept="image/png, image/*;q=0.8")
            except FetchError:
                continue
            if response.status == 200:
                candidates.append(response.body)
    for data in candidates:
        png = images.reencode(data)
        if png:
            return png
    return images.placeholder(credential.achievement.name or "?")


@dataclass(frozen=True)
class Accepted:
    """A badge that passed the verdict and the gate: what was read, its report and credential."""

    loaded: Loaded
    report: VerificationReport
    credential: Credential


def check(
    user: User, source: bytes | str, *, fetcher: Fetcher, spec: str | None = None
) -> Accepted:
    """Read and verify a badge and check it is user's; raise ImportFailed when it may not enter.

    ``spec`` (e.g. "3.0") refuses any other version before anything is verified or fetched.
    """
    try:
        loaded = read(source, fetcher=fetcher)
    except BadgeError as exc:
        # The error's reason (what exactly was unreadable) travels as the message id.
        raise ImportFailed(exc.code, str(exc), exc.reason, exc.params) from None
    if spec is not None and loaded.spec != spec:
        raise ImportFailed("wrong_version", loaded.spec)
    report = verify_loaded(loaded, fetcher=fetcher, now=badges.now())
    metrics.VERIFICATIONS.labels(result=report.result).inc()
    credential = report.credential
    if any(c.message_id == "ob3.not_a_badge" for c in report.checks):
        raise ImportFailed("not_an_open_badge")
    if credential is None:
        # A hosted badge answering 410 Gone (Moodle's revoked ones) is revoked, not "no badge".
        failure = _failure_for(report) if loaded.gone else None
        raise failure or ImportFailed("not_a_badge")
    failure = _failure_for(report) or _recipient_failure(credential, user)
    if failure is not None:
        raise failure
    return Accepted(loaded, report, credential)


def import_badge(
    user: User, source: bytes | str, *, fetcher: Fetcher | None = None
) -> ImportOutcome:
    """Read, verify and store a badge for user; raise ImportFailed (nothing stored) when refused."""
    fetcher = fetcher or badges.make_fetcher()
    try:
        outcome = store(user, check(user, source, fetcher=fetcher), fetcher=fetcher)
    except ImportFailed as failure:
        metrics.IMPORTS.labels(outcome=failure.code).inc()
        raise
    metrics.IMPORTS.labels(outcome="added" if outcome.created else "already").inc()
    return outcome


def store(user: User, accepted: Accepted, *, fetcher: Fetcher) -> ImportOutcome:
    """Add an accepted badge to user's wallet (committed), or return the one already there."""
    key = credential_key(accepted.credential, accepted.loaded.payload)
    existing = _owned_by_key(user, key)
    if existing is not None:
        return ImportOutcome(existing, created=False)
    badge = Badge(
        user_id=user.id,
        credential_key=key,
        recipient_confirmed=True,
        visibility=user.default_visibility,
    )
    _fill(badge, accepted, fetcher)
    db.session.add(badge)
    try:
        db.session.commit()
    except IntegrityError:
        # A concurrent import of the same badge won the race: return its row.
        db.session.rollback()
        existing = _owned_by_key(user, key)
        if existing is None:
            raise
        return ImportOutcome(existing, created=False)
    return ImportOutcome(badge, created=True)


def replace(badge: Badge, accepted: Accepted, *, fetcher: Fetcher) -> Badge:
    """Put a newer copy of the same credential in place of a stored badge (not committed).

    The badge keeps its public id, disclosure and place in the wallet: printed QR codes and
    shared links go on working with the issuer's newer copy.
    """
    _fill(badge, accepted, fetcher)
    return badge


def _fill(badge: Badge, accepted: Accepted, fetcher: Fetcher) -> None:
    """Set a badge's fields, verification and content from an accepted badge."""
    loaded, credential = accepted.loaded, accepted.credential
    badge.spec = loaded.spec
    badge.format = loaded.format
    badge.source_url = loaded.source_url
    badge.name = (credential.achievement.name or "")[:500]
    badge.issuer_name = (credential.issuer.name or credential.issuer.id or "")[:500]
    badge.issuer_id = credential.issuer.id or None
    badge.issued_on = dates.to_utc(credential.issued_on or credential.valid_from)
    badge.expires = dates.to_utc(credential.expires)
    badges.record(badge, accepted.report)
    content = BadgeContent(
        original=loaded.original,
        original_media_type=MEDIA_TYPES.get(loaded.format, "application/octet-stream"),
        payload=payload_text(loaded.payload),
        details_json=json.dumps(badges.details_of(credential), ensure_ascii=False, default=str),
        image_png=_image_for(loaded, credential, fetcher),
    )
    if badge.id is None:
        badge.content = content
        return
    stored = db.session.get(BadgeContent, badge.id)
    if stored is None:
        badge.content = content
        return
    for field in ("original", "original_media_type", "payload", "details_json", "image_png"):
        setattr(stored, field, getattr(content, field))


def _owned_by_key(user: User, key: str) -> Badge | None:
    """Return the user's badge with this idempotency key, if any."""
    return db.session.scalar(
        select(Badge).where(Badge.user_id == user.id, Badge.credential_key == key)
    )
