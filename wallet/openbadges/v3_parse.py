"""Open Badges 3.0 (VC 1.1 / 2.0) parsing: a credential normalised into our display model."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from wallet.openbadges import vcjwt
from wallet.openbadges.checks import parse_datetime
from wallet.openbadges.detect import VC_V1
from wallet.openbadges.detect import VC_V2
from wallet.openbadges.detect import as_list
from wallet.openbadges.errors import ParseError
from wallet.openbadges.legacy_common import ref_of
from wallet.openbadges.limits import DEFAULT_LIMITS
from wallet.openbadges.limits import Limits
from wallet.openbadges.model import Achievement
from wallet.openbadges.model import Alignment
from wallet.openbadges.model import Credential
from wallet.openbadges.model import Evidence
from wallet.openbadges.model import Format
from wallet.openbadges.model import Identifier
from wallet.openbadges.model import Profile
from wallet.openbadges.model import Recipient

RECIPIENT_TYPES = frozenset({"emailAddress", "email"})
_MAX_TEXT = 10_000


def _text(value: Any) -> str | None:
    """Return a display string from a plain string or a language map / value object."""
    if isinstance(value, str):
        return value[:_MAX_TEXT]
    if isinstance(value, Mapping):
        inner = value.get("@value", value.get("value"))
        if isinstance(inner, str):
            return inner[:_MAX_TEXT]
    if isinstance(value, list):
        for item in value:
            found = _text(item)
            if found:
                return found
    return None


def capped_ref(value: Any) -> str | None:
    """Return the IRI of a string or a node with ``id``, cut to the display cap."""
    ref = ref_of(value)
    return None if ref is None else ref[:_MAX_TEXT]


def date_or_none(value: Any) -> datetime | None:
    """Return the date-time in ``value``, or None when it is none or unreadable."""
    try:
        return parse_datetime(value)
    except ValueError:
        return None


def first_map(value: Any) -> Mapping[str, Any]:
    """Return the first object of a value or list of values ({} when there is none)."""
    for item in as_list(value):
        if isinstance(item, Mapping):
            return item
    return {}


def credential_of(payload: dict[str, Any] | str, limits: Limits = DEFAULT_LIMITS) -> dict[str, Any]:
    """Return the credential object of a JSON credential or a VC-JWT (not verified)."""
    if isinstance(payload, str):
        credential, _version = vcjwt.unwrap(payload.strip(), limits=limits)
        return credential
    if not isinstance(payload, dict):
        raise ParseError("credential is not a JSON object")
    return payload


def vc_version(credential: Mapping[str, Any]) -> str | None:
    """Return ``"2.0"``, ``"1.1"`` or None from the first ``@context``."""
    contexts = as_list(credential.get("@context"))
    first = contexts[0] if contexts else None
    return {VC_V2: "2.0", VC_V1: "1.1"}.get(first) if isinstance(first, str) else None


def _profile(value: Any) -> Profile:
    if isinstance(value, str):
        return Profile(id=value[:_MAX_TEXT])
    if not isinstance(value, Mapping):
        return Profile()
    return Profile(
        id=capped_ref(value),
        name=_text(value.get("name")),
        url=capped_ref(value.get("url")),
        email=_text(value.get("email")),
        image=capped_ref(value.get("image")),
        description=_text(value.get("description")),
    )


def _achievement(value: Mapping[str, Any]) -> Achievement:
    criteria = value.get("criteria")
    narrative = None
    criteria_url = None
    if isinstance(criteria, Mapping):
        narrative = _text(criteria.get("narrative"))
        criteria_url = capped_ref(criteria)
    elif isinstance(criteria, str):
        criteria_url = criteria[:_MAX_TEXT]
    kind = value.get("achievementType")
    return Achievement(
        id=capped_ref(value),
        name=_text(value.get("name")) or "",
        description=_text(value.get("description")),
        criteria_narrative=narrative,
        criteria_url=criteria_url,
        image=capped_ref(value.get("image")),
        type=_text(kind),
    )


def _recipient(subject: Mapping[str, Any]) -> Recipient | None:
    for item in as_list(subject.get("identifier")):
        if not isinstance(item, Mapping) or str(item.get("identityType")) not in RECIPIENT_TYPES:
            continue
        identity = item.get("identityHash")
        if isinstance(identity, str):
            salt = item.get("salt")
            return Recipient(
                identity=identity[:_MAX_TEXT],
                type="email",
                hashed=item.get("hashed") is True,
                salt=salt if isinstance(salt, str) else None,
            )
    subject_id = subject.get("id")
    if isinstance(subject_id, str):
        if subject_id.startswith("did:"):
            return Recipient(identity=subject_id[:_MAX_TEXT], type="did")
        if subject_id.startswith("mailto:"):
            return Recipient(identity=subject_id[len("mailto:") :][:_MAX_TEXT], type="email")
        return Recipient(identity=subject_id[:_MAX_TEXT], type="id")
    for item in as_list(subject.get("identifier")):
        if isinstance(item, Mapping) and isinstance(item.get("identityHash"), str):
            return Recipient(
                identity=str(item["identityHash"])[:_MAX_TEXT],
                type=str(item.get("identityType") or "identifier"),
                hashed=item.get("hashed") is True,
                salt=item.get("salt") if isinstance(item.get("salt"), str) else None,
            )
    return None


def _label(kind: str) -> str:
    return kind.removeprefix("ext:") or kind


def _identifiers(
    subject: Mapping[str, Any], achievement: Mapping[str, Any], recipient: Recipient | None
) -> tuple[Identifier, ...]:
    found: list[Identifier] = []
    for item in as_list(subject.get("identifier")):
        if not isinstance(item, Mapping) or item.get("hashed") is True:
            continue
        kind = item.get("identityType")
        value = item.get("identityHash")
        if not isinstance(kind, str) or not isinstance(value, str) or kind in RECIPIENT_TYPES:
            continue
        if recipient is not None and recipient.identity == value:
            continue
        found.append(Identifier(label=_label(kind), value=value[:_MAX_TEXT], type=kind))
    for item in as_list(achievement.get("otherIdentifier")):
        if not isinstance(item, Mapping):
            continue
        kind = item.get("identifierType")
        value = item.get("identifier")
        if isinstance(value, str):
            kind_text = kind if isinstance(kind, str) else "identifier"
            found.append(
                Identifier(label=_label(kind_text), value=value[:_MAX_TEXT], type=kind_text)
            )
    license_number = subject.get("licenseNumber")
    if isinstance(license_number, str):
        found.append(
            Identifier(
                label="licenseNumber", value=license_number[:_MAX_TEXT], type="licenseNumber"
            )
        )
    for result in as_list(subject.get("result")):
        if isinstance(result, Mapping) and isinstance(result.get("value"), str):
            found.append(
                Identifier(label="result", value=str(result["value"])[:_MAX_TEXT], type="result")
            )
    return tuple(found[:50])


def _evidence(value: Any) -> tuple[Evidence, ...]:
    items: list[Evidence] = []
    for item in as_list(value)[:50]:
        if isinstance(item, str):
            items.append(Evidence(id=item[:_MAX_TEXT]))
        elif isinstance(item, Mapping):
            items.append(
                Evidence(
                    id=capped_ref(item),
                    name=_text(item.get("name")),
                    description=_text(item.get("description")),
                    narrative=_text(item.get("narrative")),
                    genre=_text(item.get("genre")),
                )
            )
    return tuple(items)


def _alignments(value: Any) -> tuple[Alignment, ...]:
    items: list[Alignment] = []
    for item in as_list(value)[:50]:
        if isinstance(item, Mapping):
            items.append(
                Alignment(
                    name=_text(item.get("targetName")),
                    url=capped_ref(item.get("targetUrl")),
                    description=_text(item.get("targetDescription")),
                    framework=_text(item.get("targetFramework")),
                    code=_text(item.get("targetCode")),
                )
            )
    return tuple(items)


def parse_v3(payload: dict[str, Any] | str, *, format: Format, original: bytes) -> Credential:
    """Normalise an OB 3.0 credential (JSON with embedded proof, or VC-JWT) for display."""
    credential = credential_of(payload)
    subject = first_map(credential.get("credentialSubject"))
    achievement = first_map(subject.get("achievement"))
    recipient = _recipient(subject)
    valid_from = date_or_none(credential.get("validFrom", credential.get("issuanceDate")))
    issued = date_or_none(credential.get("awardedDate")) or valid_from
    expires = date_or_none(credential.get("validUntil", credential.get("expirationDate")))
    achieved = _achievement(achievement)
    if not achieved.name:
        achieved = Achievement(
            id=achieved.id,
            name=_text(credential.get("name")) or "",
            description=achieved.description,
            criteria_narrative=achieved.criteria_narrative,
            criteria_url=achieved.criteria_url,
            image=achieved.image,
            type=achieved.type,
        )
    return Credential(
        spec="3.0",
        format=format,
        achievement=achieved,
        issuer=_profile(credential.get("issuer")),
        id=capped_ref(credential),
        recipient=recipient,
        subject_id=subject["id"][:_MAX_TEXT] if isinstance(subject.get("id"), str) else None,
        issued_on=issued,
        valid_from=valid_from,
        expires=expires,
        narrative=_text(subject.get("narrative")),
        image=capped_ref(subject.get("image"))
        or capped_ref(credential.get("image"))
        or capped_ref(achievement.get("image")),
        evidence=_evidence(credential.get("evidence")),
        alignments=_alignments(achievement.get("alignment")),
        identifiers=_identifiers(subject, achievement, recipient),
        payload=payload,
        original=original,
    )
