"""Open Badges 3.0 (VC 1.1 / 2.0) verification: every check of a credential, as a list."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from wallet.openbadges import dataintegrity
from wallet.openbadges import jsonld
from wallet.openbadges import status
from wallet.openbadges import vcjwt
from wallet.openbadges.binding import key_ownership
from wallet.openbadges.binding import ownership_check
from wallet.openbadges.checks import date_checks
from wallet.openbadges.checks import has_timezone
from wallet.openbadges.detect import as_list
from wallet.openbadges.detect import type_set
from wallet.openbadges.errors import FetchError
from wallet.openbadges.fetch import ACCEPT_BADGE
from wallet.openbadges.fetch import Fetcher
from wallet.openbadges.fetch import Response
from wallet.openbadges.jose import PublicKey
from wallet.openbadges.limits import Limits
from wallet.openbadges.model import Check
from wallet.openbadges.v3_parse import capped_ref
from wallet.openbadges.v3_parse import credential_of
from wallet.openbadges.v3_parse import date_or_none
from wallet.openbadges.v3_parse import first_map
from wallet.openbadges.v3_parse import parse_v3
from wallet.openbadges.v3_parse import vc_version

__all__ = [
    "conformance_checks",
    "credential_of",
    "issuer_id_of",
    "parse_v3",
    "vc_version",
    "verify_v3",
]

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


def conformance_checks(credential: Mapping[str, Any]) -> list[Check]:
    """Structural OB 3.0 / VC checks (contexts, types, issuer, dates, subject)."""
    checks: list[Check] = []

    def fail(message_id: str, detail: str) -> None:
        """Record a failed conformance check."""
        checks.append(Check("conformance", "failed", message_id, detail))

    version = vc_version(credential)
    contexts = as_list(credential.get("@context"))
    types = type_set(credential.get("type"))
    if version is None:
        fail("ob3.context.invalid", "first @context is not a VC 1.1 or 2.0 context")
    elif "VerifiableCredential" not in types:
        fail("ob3.type.invalid", "type lacks VerifiableCredential")
    elif not types & BADGE_TYPES:
        # A sound credential of another kind (a status list, a plain VC) is not a broken
        # badge: it verifies, with a warning saying what it is (import refuses it).
        checks.append(
            Check("document", "warning", "ob3.not_a_badge", ", ".join(sorted(types))[:200])
        )
    elif not any(
        isinstance(c, str) and (OB_CONTEXT.match(c) or c in OB_LEGACY_CONTEXTS) for c in contexts
    ):
        # Without an OB context the OB types are undefined terms, which the JSON-LD check
        # refuses; this note only says why.
        checks.append(Check("conformance", "warning", "ob3.context.no_ob", "no OB 3.0 context"))
    issuer = credential.get("issuer")
    issuer_id = issuer_id_of(credential)
    if not issuer_id or ":" not in issuer_id:
        fail("ob3.issuer.missing", "issuer id missing or not a URI")
    elif isinstance(issuer, Mapping) and "Profile" not in type_set(issuer.get("type")):
        fail("ob3.issuer.invalid", "issuer type lacks Profile")
    start_field = "issuanceDate" if version == "1.1" else "validFrom"
    end_field = "expirationDate" if version == "1.1" else "validUntil"
    start = credential.get(start_field)
    if start is None:
        fail("ob3.dates.invalid", f"{start_field} missing")
    for name in (start_field, end_field):
        value = credential.get(name)
        if value is not None and (date_or_none(value) is None or not has_timezone(value)):
            fail("ob3.dates.invalid", f"{name} is not a date-time with time zone")
    subjects = [s for s in as_list(credential.get("credentialSubject")) if isinstance(s, Mapping)]
    if not subjects:
        fail("ob3.subject.invalid", "credentialSubject missing")
    if any(s.get("id") is None and not as_list(s.get("identifier")) for s in subjects):
        # OB 3.0 B.1.3 requires one, yet it says nothing about authenticity: a warning.
        checks.append(
            Check(
                "conformance",
                "warning",
                "ob3.subject.no_id",
                "credentialSubject has neither id nor identifier",
            )
        )
    if not any(c.status == "failed" for c in checks):
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
    credential: Mapping[str, Any], fetcher: Fetcher, limits: Limits, budget: jsonld.Budget
) -> tuple[list[Check], tuple[PublicKey, ...]]:
    """Check every embedded proof and whether its key is the issuer's; return the keys too."""
    if not dataintegrity.proofs_of(credential):
        return [Check("proof", "failed", "ob3.proof.missing", "no embedded proof")], ()
    report = dataintegrity.verify_embedded_proofs(
        credential, fetcher, budget=budget, max_proofs=limits.max_proofs
    )
    if report.error is not None:
        return [_jsonld_failure(report.error)], ()
    checks = [_safe_mode_check(report)]
    issuer_id = issuer_id_of(credential)
    keys: list[PublicKey] = []
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
        if proof.status == "passed":
            checks.extend(Check("proof", "warning", *warning) for warning in proof.warnings)
        if proof.status == "passed" and proof.method is not None:
            # Every proof's key must be the issuer's: a second proof by anyone else makes
            # the set not the issuer's word alone.
            decision = key_ownership(proof.method, issuer_id, fetcher, proof.created)
            checks.append(ownership_check(decision, issuer_id))
            keys.append(proof.method.key)
    return checks, tuple(keys)


def _jsonld_failure(error: jsonld.JsonLdError) -> Check:
    """The check for a document the JSON-LD processing could not finish."""
    if isinstance(error, jsonld.UnknownContext):
        return Check(
            "jsonld",
            "unsupported",
            "ob3.jsonld.unknown_context",
            str(error),
            {"url": error.url[:200]},
        )
    if isinstance(error, jsonld.BudgetExceeded):
        return Check(
            "jsonld", "unsupported", "ob3.jsonld.too_complex", str(error), outcome="unverifiable"
        )
    return Check("jsonld", "failed", "ob3.jsonld.invalid", str(error)[:200])


MAX_ENDORSEMENTS = 3


def _endorsements(credential: Mapping[str, Any]) -> list[dict[str, Any] | str]:
    holders: list[Any] = [credential, credential.get("issuer")]
    subject = first_map(credential.get("credentialSubject"))
    holders.append(subject.get("achievement"))
    found: list[dict[str, Any] | str] = []
    for holder in holders:
        if not isinstance(holder, Mapping):
            continue
        for item in as_list(holder.get("endorsement")):
            if isinstance(item, dict):
                found.append(item)
        for item in as_list(holder.get("endorsementJwt")):
            if isinstance(item, str):
                found.append(item)
    return found


def _endorsement_checks(
    credential: Mapping[str, Any],
    fetcher: Fetcher,
    now: datetime,
    limits: Limits,
    budget: jsonld.Budget,
) -> list[Check]:
    """Verify embedded endorsements; a bad endorsement is a warning, not a bad badge."""
    checks: list[Check] = []
    found = _endorsements(credential)
    for index, endorsement in enumerate(found[:MAX_ENDORSEMENTS]):
        inner = _verify(endorsement, fetcher, now, limits, budget, depth=1)
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
    """Verify an OB 3.0 credential (embedded proof or VC-JWT); every check reported, no raise.

    All JSON-LD work of one verification (the credential, its status lists, endorsements)
    shares one CPU budget, so no input holds a worker longer than about that.
    """
    budget = jsonld.Budget(seconds=limits.jsonld_seconds).start()
    once = _OnceFetcher(fetcher, limits.max_fetches)
    return _verify(payload, once, now, limits, budget, depth=0)


def _verify(
    payload: dict[str, Any] | str,
    fetcher: Fetcher,
    now: datetime,
    limits: Limits,
    budget: jsonld.Budget,
    *,
    depth: int,
) -> list[Check]:
    checks: list[Check] = []
    keys: tuple[PublicKey, ...] = ()
    if isinstance(payload, str):
        result = vcjwt.verify_vc_jwt(payload.strip(), fetcher=fetcher, now=now, limits=limits)
        if result.credential is None:
            return list(result.checks)
        credential: Mapping[str, Any] = result.credential
        checks.extend(conformance_checks(credential))
        checks.extend(result.checks)
        keys = (result.key,) if result.signature_ok and result.key is not None else ()
    elif isinstance(payload, dict):
        credential = payload
        checks.extend(conformance_checks(credential))
        found, keys = _embedded_checks(credential, fetcher, limits, budget)
        checks.extend(found)
    else:
        return [Check("conformance", "failed", "ob3.conformance.unreadable", "not an object")]
    signer = status.Signer(issuer_id_of(credential), keys)
    checks.extend(
        status.status_checks(
            credential, fetcher=fetcher, now=now, limits=limits, signer=signer, budget=budget
        )
    )
    if depth == 0:
        checks.extend(_endorsement_checks(credential, fetcher, now, limits, budget))
    version = vc_version(credential)
    start = credential.get("issuanceDate" if version == "1.1" else "validFrom")
    end = credential.get("expirationDate" if version == "1.1" else "validUntil")
    checks.extend(date_checks(None, date_or_none(start), date_or_none(end), now))
    return checks


def issuer_id_of(credential: Mapping[str, Any]) -> str | None:
    """Return the credential's issuer id (a string issuer, or the issuer object's id)."""
    issuer = credential.get("issuer")
    return issuer if isinstance(issuer, str) else capped_ref(issuer)
