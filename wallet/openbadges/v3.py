"""Open Badges 3.0 (VC 1.1 / 2.0): normalise for display, and verify into a list of checks."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from wallet.openbadges import dataintegrity
from wallet.openbadges import jsonld
from wallet.openbadges import status
from wallet.openbadges import vcjwt
from wallet.openbadges.checks import date_checks
from wallet.openbadges.checks import has_timezone
from wallet.openbadges.checks import parse_datetime
from wallet.openbadges.errors import FetchError
from wallet.openbadges.errors import ParseError
from wallet.openbadges.fetch import ACCEPT_BADGE
from wallet.openbadges.fetch import Fetcher
from wallet.openbadges.fetch import Response
from wallet.openbadges.keys import key_ownership
from wallet.openbadges.limits import DEFAULT_LIMITS
from wallet.openbadges.limits import Limits
from wallet.openbadges.model import Achievement
from wallet.openbadges.model import Alignment
from wallet.openbadges.model import Check
from wallet.openbadges.model import Credential
from wallet.openbadges.model import Evidence
from wallet.openbadges.model import Format
from wallet.openbadges.model import Identifier
from wallet.openbadges.model import Profile
from wallet.openbadges.model import Recipient

VC_V1 = "https://www.w3.org/2018/credentials/v1"
VC_V2 = "https://www.w3.org/ns/credentials/v2"
OB_CONTEXT = re.compile(r"^https://purl\.imsglobal\.org/spec/ob/v3p0/context(-3\.\d\.\d)*\.json$")
# Pre-final OB 3.0 context URLs still found in issued credentials (beta / JFF plugfest).
OB_LEGACY_CONTEXTS = frozenset(
    {
        "https://imsglobal.github.io/openbadges-specification/ob_v3p0.html",
        "https://w3c-ccg.github.io/vc-ed/plugfest-1-2022/jff-vc-edu-plugfest-1-context.json",
    }
)
BADGE_TYPES = frozenset({"OpenBadgeCredential", "AchievementCredential", "EndorsementCredential"})
# Types defined only by extensions.json: their absence is a known, harmless omission.
EXTENSION_TYPES = frozenset(
    {"1EdTechRevocationList", "1EdTechJsonSchemaValidator2019", "1EdTechCredentialRefresh"}
)
RECIPIENT_TYPES = frozenset({"emailAddress", "email"})
_MAX_TEXT = 10_000


class _OnceFetcher:
    """Fetch each URL at most once per verification, and at most ``limit`` URLs in all."""

    def __init__(self, inner: Fetcher, limit: int) -> None:
        self._inner = inner
        self._limit = limit
        self._seen: dict[str, Response | FetchError] = {}

    def fetch(self, url: str, *, accept: str = ACCEPT_BADGE) -> Response:
        """Return the (possibly remembered) response for ``url``, or raise FetchError."""
        found = self._seen.get(url)
        if found is None:
            if len(self._seen) >= self._limit:
                # Hostile credentials can name many keys and lists: cap the fan-out.
                raise FetchError("too many remote documents for one verification")
            try:
                found = self._inner.fetch(url, accept=accept)
            except FetchError as exc:
                found = exc
            self._seen[url] = found
        if isinstance(found, FetchError):
            raise found
        return found


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _types(value: Any) -> set[str]:
    return {item for item in _as_list(value) if isinstance(item, str)}


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


def _ref(value: Any) -> str | None:
    """Return a URL-ish reference from a string or an object with ``id``."""
    if isinstance(value, str):
        return value[:_MAX_TEXT]
    if isinstance(value, Mapping) and isinstance(value.get("id"), str):
        return str(value["id"])[:_MAX_TEXT]
    return None


def _date(value: Any) -> datetime | None:
    try:
        return parse_datetime(value)
    except ValueError:
        return None


def _first_map(value: Any) -> Mapping[str, Any]:
    for item in _as_list(value):
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
    contexts = _as_list(credential.get("@context"))
    first = contexts[0] if contexts else None
    return {VC_V2: "2.0", VC_V1: "1.1"}.get(first) if isinstance(first, str) else None


def _profile(value: Any) -> Profile:
    if isinstance(value, str):
        return Profile(id=value[:_MAX_TEXT])
    if not isinstance(value, Mapping):
        return Profile()
    return Profile(
        id=_ref(value),
        name=_text(value.get("name")),
        url=_ref(value.get("url")),
        email=_text(value.get("email")),
        image=_ref(value.get("image")),
        description=_text(value.get("description")),
    )


def _achievement(value: Mapping[str, Any]) -> Achievement:
    criteria = value.get("criteria")
    narrative = None
    criteria_url = None
    if isinstance(criteria, Mapping):
        narrative = _text(criteria.get("narrative"))
        criteria_url = _ref(criteria)
    elif isinstance(criteria, str):
        criteria_url = criteria[:_MAX_TEXT]
    kind = value.get("achievementType")
    return Achievement(
        id=_ref(value),
        name=_text(value.get("name")) or "",
        description=_text(value.get("description")),
        criteria_narrative=narrative,
        criteria_url=criteria_url,
        image=_ref(value.get("image")),
        type=_text(kind),
    )


def _recipient(subject: Mapping[str, Any]) -> Recipient | None:
    for item in _as_list(subject.get("identifier")):
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
    for item in _as_list(subject.get("identifier")):
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
    for item in _as_list(subject.get("identifier")):
        if not isinstance(item, Mapping) or item.get("hashed") is True:
            continue
        kind = item.get("identityType")
        value = item.get("identityHash")
        if not isinstance(kind, str) or not isinstance(value, str) or kind in RECIPIENT_TYPES:
            continue
        if recipient is not None and recipient.identity == value:
            continue
        found.append(Identifier(label=_label(kind), value=value[:_MAX_TEXT], type=kind))
    for item in _as_list(achievement.get("otherIdentifier")):
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
    for result in _as_list(subject.get("result")):
        if isinstance(result, Mapping) and isinstance(result.get("value"), str):
            found.append(
                Identifier(label="result", value=str(result["value"])[:_MAX_TEXT], type="result")
            )
    return tuple(found[:50])


def _evidence(value: Any) -> tuple[Evidence, ...]:
    items: list[Evidence] = []
    for item in _as_list(value)[:50]:
        if isinstance(item, str):
            items.append(Evidence(id=item[:_MAX_TEXT]))
        elif isinstance(item, Mapping):
            items.append(
                Evidence(
                    id=_ref(item),
                    name=_text(item.get("name")),
                    description=_text(item.get("description")),
                    narrative=_text(item.get("narrative")),
                    genre=_text(item.get("genre")),
                )
            )
    return tuple(items)


def _alignments(value: Any) -> tuple[Alignment, ...]:
    items: list[Alignment] = []
    for item in _as_list(value)[:50]:
        if isinstance(item, Mapping):
            items.append(
                Alignment(
                    name=_text(item.get("targetName")),
                    url=_ref(item.get("targetUrl")),
                    description=_text(item.get("targetDescription")),
                    framework=_text(item.get("targetFramework")),
                    code=_text(item.get("targetCode")),
                )
            )
    return tuple(items)


def parse_v3(payload: dict[str, Any] | str, *, format: Format, original: bytes) -> Credential:
    """Normalise an OB 3.0 credential (JSON with embedded proof, or VC-JWT) for display."""
    credential = credential_of(payload)
    subject = _first_map(credential.get("credentialSubject"))
    achievement = _first_map(subject.get("achievement"))
    recipient = _recipient(subject)
    valid_from = _date(credential.get("validFrom", credential.get("issuanceDate")))
    issued = _date(credential.get("awardedDate")) or valid_from
    expires = _date(credential.get("validUntil", credential.get("expirationDate")))
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
        id=_ref(credential),
        recipient=recipient,
        issued_on=issued,
        valid_from=valid_from,
        expires=expires,
        narrative=_text(subject.get("narrative")),
        image=_ref(subject.get("image"))
        or _ref(credential.get("image"))
        or _ref(achievement.get("image")),
        evidence=_evidence(credential.get("evidence")),
        alignments=_alignments(achievement.get("alignment")),
        identifiers=_identifiers(subject, achievement, recipient),
        payload=payload,
        original=original,
    )


def conformance_checks(credential: Mapping[str, Any]) -> list[Check]:
    """Structural OB 3.0 / VC checks (contexts, types, issuer, dates, subject)."""
    checks: list[Check] = []

    def fail(message_id: str, detail: str) -> None:
        """Record a failed conformance check."""
        checks.append(Check("conformance", "failed", message_id, detail))

    version = vc_version(credential)
    contexts = _as_list(credential.get("@context"))
    types = _types(credential.get("type"))
    other_kind = bool(types - {"VerifiableCredential"}) and not types & BADGE_TYPES
    if version is not None and "VerifiableCredential" in types and other_kind:
        # A sound credential of another kind (e.g. a status list) is not a broken badge;
        # like an OB 2.0 BadgeClass document it verifies, with a warning saying what it is.
        checks.append(
            Check("document", "warning", "ob3.not_a_badge", ", ".join(sorted(types))[:200])
        )
    elif version is None:
        fail("ob3.context.invalid", "first @context is not a VC 1.1 or 2.0 context")
    elif not any(
        isinstance(c, str) and (OB_CONTEXT.match(c) or c in OB_LEGACY_CONTEXTS) for c in contexts
    ):
        fail("ob3.context.invalid", "no Open Badges 3.0 context")
    if (
        version is None
        or "VerifiableCredential" not in types
        or not (types & BADGE_TYPES or other_kind)
    ):
        fail("ob3.type.invalid", "type lacks VerifiableCredential or OpenBadgeCredential")
    issuer = credential.get("issuer")
    issuer_id = issuer if isinstance(issuer, str) else _ref(issuer)
    if not issuer_id or ":" not in issuer_id:
        fail("ob3.issuer.missing", "issuer id missing or not a URI")
    elif isinstance(issuer, Mapping) and "Profile" not in _types(issuer.get("type")):
        fail("ob3.issuer.invalid", "issuer type lacks Profile")
    start_field = "issuanceDate" if version == "1.1" else "validFrom"
    end_field = "expirationDate" if version == "1.1" else "validUntil"
    start = credential.get(start_field)
    if start is None:
        fail("ob3.dates.invalid", f"{start_field} missing")
    for name in (start_field, end_field):
        value = credential.get(name)
        if value is not None and (_date(value) is None or not has_timezone(value)):
            fail("ob3.dates.invalid", f"{name} is not a date-time with time zone")
    subjects = [s for s in _as_list(credential.get("credentialSubject")) if isinstance(s, Mapping)]
    if not subjects:
        fail("ob3.subject.invalid", "credentialSubject missing")
    for subject in subjects:
        if subject.get("id") is None and not _as_list(subject.get("identifier")):
            fail("ob3.subject.invalid", "credentialSubject has neither id nor identifier")
    if not checks:
        checks.append(Check("conformance", "passed", "ob3.conformance.ok"))
    if types & {"OpenBadgeCredential", "AchievementCredential"} and not all(
        isinstance(subject.get("achievement"), Mapping) for subject in subjects
    ):
        # Required by the spec, yet the 1EdTech validator does not fail it: warn only.
        checks.append(
            Check("conformance", "warning", "ob3.subject.no_achievement", "no achievement")
        )
    if version == "1.1":
        checks.append(
            Check("vc_version", "warning", "ob3.vc11", "Verifiable Credentials 1.1 data model")
        )
    return checks


def _safe_mode_check(report: dataintegrity.IntegrityReport) -> Check:
    detail = jsonld.describe_findings(jsonld.Analysis({}, report.dropped, report.relative_types))
    if report.safe:
        return Check("jsonld", "passed", "ob3.jsonld.ok")
    if not report.dropped and set(report.relative_types) <= EXTENSION_TYPES:
        return Check("jsonld", "warning", "ob3.jsonld.extension_types", detail)
    return Check("jsonld", "failed", "ob3.jsonld.undefined_terms", detail)


def _embedded_checks(
    credential: Mapping[str, Any], fetcher: Fetcher, limits: Limits
) -> list[Check]:
    if not dataintegrity.proofs_of(credential):
        return [Check("proof", "failed", "ob3.proof.missing", "no embedded proof")]
    report = dataintegrity.verify_embedded_proofs(credential, fetcher, max_proofs=limits.max_proofs)
    if report.error is not None:
        error = report.error
        if isinstance(error, jsonld.UnknownContext):
            return [
                Check(
                    "jsonld",
                    "unsupported",
                    "ob3.jsonld.unknown_context",
                    str(error),
                    {"url": error.url[:200]},
                )
            ]
        if isinstance(error, jsonld.BudgetExceeded):
            return [Check("jsonld", "failed", "ob3.jsonld.too_complex", str(error))]
        return [Check("jsonld", "failed", "ob3.jsonld.invalid", str(error)[:200])]
    checks = [_safe_mode_check(report)]
    issuer = credential.get("issuer")
    issuer_id = issuer if isinstance(issuer, str) else _ref(issuer)
    for proof in report.proofs:
        checks.append(
            Check(
                "proof",
                proof.status,
                proof.message_id,
                proof.detail,
                {"type": proof.cryptosuite or proof.proof_type},
                outcome=proof.outcome,
            )
        )
        if proof.status == "passed" and proof.deprecated:
            checks.append(
                Check(
                    "proof",
                    "warning",
                    "ob3.proof.deprecated",
                    f"{proof.cryptosuite or proof.proof_type} is a deprecated proof type",
                )
            )
        if proof.status == "passed" and proof.method is not None:
            ownership, detail = key_ownership(proof.method, issuer_id, fetcher)
            checks.append(vcjwt.ownership_check(ownership, detail))
    return checks


MAX_ENDORSEMENTS = 3


def _endorsements(credential: Mapping[str, Any]) -> list[dict[str, Any] | str]:
    holders: list[Any] = [credential, credential.get("issuer")]
    subject = _first_map(credential.get("credentialSubject"))
    holders.append(subject.get("achievement"))
    found: list[dict[str, Any] | str] = []
    for holder in holders:
        if not isinstance(holder, Mapping):
            continue
        for item in _as_list(holder.get("endorsement")):
            if isinstance(item, dict):
                found.append(item)
        for item in _as_list(holder.get("endorsementJwt")):
            if isinstance(item, str):
                found.append(item)
    return found


def _endorsement_checks(
    credential: Mapping[str, Any], fetcher: Fetcher, now: datetime, limits: Limits
) -> list[Check]:
    """Verify embedded endorsements; a bad endorsement is a warning, not a bad badge."""
    checks: list[Check] = []
    found = _endorsements(credential)
    for index, endorsement in enumerate(found[:MAX_ENDORSEMENTS]):
        inner = _verify(endorsement, fetcher, now, limits, depth=1)
        worst = next(
            (c for c in inner if c.status in ("failed", "unsupported")),
            None,
        )
        if worst is None:
            checks.append(Check("endorsement", "passed", "ob3.endorsement.valid", f"#{index + 1}"))
        else:
            checks.append(
                Check(
                    "endorsement",
                    "warning",
                    "ob3.endorsement.invalid",
                    f"#{index + 1}: {worst.message_id} {worst.detail}"[:200],
                )
            )
    if len(found) > MAX_ENDORSEMENTS:
        checks.append(
            Check("endorsement", "skipped", "ob3.endorsement.skipped", f"{len(found)} endorsements")
        )
    return checks


def verify_v3(
    payload: dict[str, Any] | str, *, fetcher: Fetcher, now: datetime, limits: Limits
) -> list[Check]:
    """Verify an OB 3.0 credential (embedded proof or VC-JWT); every check reported, no raise."""
    return _verify(payload, _OnceFetcher(fetcher, limits.max_fetches), now, limits, depth=0)


def _verify(
    payload: dict[str, Any] | str, fetcher: Fetcher, now: datetime, limits: Limits, *, depth: int
) -> list[Check]:
    checks: list[Check] = []
    if isinstance(payload, str):
        result = vcjwt.verify_vc_jwt(payload.strip(), fetcher=fetcher, now=now, limits=limits)
        if result.credential is None:
            return list(result.checks)
        credential: Mapping[str, Any] = result.credential
        checks.extend(conformance_checks(credential))
        checks.extend(result.checks)
    elif isinstance(payload, dict):
        credential = payload
        checks.extend(conformance_checks(credential))
        checks.extend(_embedded_checks(credential, fetcher, limits))
    else:
        return [Check("conformance", "failed", "ob3.conformance.unreadable", "not an object")]
    checks.extend(status.status_checks(credential, fetcher=fetcher, now=now, limits=limits))
    if depth == 0:
        checks.extend(_endorsement_checks(credential, fetcher, now, limits))
    version = vc_version(credential)
    start = credential.get("issuanceDate" if version == "1.1" else "validFrom")
    end = credential.get("expirationDate" if version == "1.1" else "validUntil")
    checks.extend(date_checks(None, _date(start), _date(end), now))
    return checks
