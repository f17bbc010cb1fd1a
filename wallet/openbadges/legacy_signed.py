"""Signed (JWS) Open Badges 1.0–2.0: find the issuer's key, check the signature and revocations."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from wallet.openbadges.detect import as_list
from wallet.openbadges.errors import BadgeError
from wallet.openbadges.errors import FetchError
from wallet.openbadges.errors import ParseError
from wallet.openbadges.jose import InvalidSignature
from wallet.openbadges.jose import PublicKey
from wallet.openbadges.jose import key_from_pem
from wallet.openbadges.jose import verify_compact
from wallet.openbadges.legacy_common import authority
from wallet.openbadges.legacy_common import fail
from wallet.openbadges.legacy_common import is_http
from wallet.openbadges.legacy_common import ref_of
from wallet.openbadges.legacy_common import revocation_reason
from wallet.openbadges.legacy_common import revoked
from wallet.openbadges.legacy_common import string_at
from wallet.openbadges.legacy_common import unavailable
from wallet.openbadges.legacy_common import verification_of
from wallet.openbadges.legacy_common import warn
from wallet.openbadges.legacy_fetch import Budget
from wallet.openbadges.legacy_fetch import get_json
from wallet.openbadges.limits import DEFAULT_LIMITS
from wallet.openbadges.limits import Limits
from wallet.openbadges.model import Check
from wallet.openbadges.model import Spec

JWS_ALGORITHMS = frozenset({"RS256", "RS384", "RS512", "PS256", "ES256", "ES384", "EdDSA"})
ACCEPT_PEM = "application/x-pem-file, text/plain, application/json;q=0.9, */*;q=0.1"


def signed_checks(
    budget: Budget,
    token: str,
    assertion: Mapping[str, Any],
    spec: Spec,
    issuer: Mapping[str, Any] | None,
    issuer_url: str,
    limits: Limits,
) -> list[Check]:
    """Load the issuer's key, check the JWS with it and, when valid, the revocation list."""
    checks: list[Check] = []
    verification = verification_of(assertion) or {}
    if issuer is None:
        return [
            Check(
                "key",
                "unsupported",
                "signed.no_issuer",
                "issuer profile needed to trust the key",
                outcome="unverifiable",
            )
        ]
    key: PublicKey | None
    if spec == "1.0":
        key_url = string_at(verification, "url")
        key, checks = _load_pem_url(budget, key_url, issuer, issuer_url)
    else:
        creator = string_at(verification, "creator")
        if creator is None:
            refs = [ref_of(r) for r in _issuer_key_refs(issuer)]
            creator = next((r for r in refs if r), None)
        if creator is None:
            return [fail("key", "signed.no_key", "no verification.creator or issuer publicKey")]
        key, checks = _load_key(budget, creator, issuer, string_at(issuer, "id") or issuer_url)
    if key is None:
        return checks
    signature = _signature_check(token, key, limits)
    checks.append(signature)
    if signature.status == "passed":
        checks.append(_revocation_list_check(budget, issuer, assertion))
    return checks


def _issuer_key_refs(issuer: Mapping[str, Any]) -> list[Any]:
    return as_list(issuer.get("publicKey"))[: DEFAULT_LIMITS.max_list_items]


def _load_key(
    budget: Budget, creator: str, issuer: Mapping[str, Any], issuer_id: str
) -> tuple[PublicKey | None, list[Check]]:
    """Find the issuer-listed key ``creator``; check its owner and load its PEM."""
    refs = _issuer_key_refs(issuer)
    if creator not in [ref_of(r) for r in refs]:
        return None, [fail("key", "signed.key_not_listed", creator, key=creator)]
    embedded = next((r for r in refs if isinstance(r, dict) and ref_of(r) == creator), None)
    if embedded is not None and string_at(embedded, "publicKeyPem"):
        key_doc: dict[str, Any] | None = embedded
        checks: list[Check] = []
    else:
        got = get_json(budget, creator, "key")
        key_doc, checks = got.doc, got.checks
        if key_doc is None:
            return None, checks
    owner = string_at(key_doc, "owner")
    if owner is None:
        checks.append(warn("key", "signed.key_owner_missing", creator))
    elif owner != issuer_id:
        return None, checks + [fail("key", "signed.key_owner_mismatch", owner, key=creator)]
    pem = string_at(key_doc, "publicKeyPem")
    if pem is None:
        return None, checks + [fail("key", "signed.key_unusable", "no publicKeyPem")]
    try:
        return key_from_pem(pem), checks
    except BadgeError as exc:
        return None, checks + [fail("key", "signed.key_unusable", str(exc))]


def _load_pem_url(
    budget: Budget, key_url: str | None, issuer: Mapping[str, Any], issuer_url: str
) -> tuple[PublicKey | None, list[Check]]:
    """OB 1.0 signed: ``verify.url`` is a PEM key on the issuer's origin."""
    if key_url is None or not is_http(key_url):
        return None, [fail("key", "signed.no_key", "verify.url is not a key URL")]
    origins = {authority(u) for u in (string_at(issuer, "url"), issuer_url) if u and is_http(u)}
    if authority(key_url) not in origins:
        return None, [fail("key", "signed.key_not_listed", key_url, key=key_url)]
    try:
        response = budget.fetch(key_url, accept=ACCEPT_PEM)
    except FetchError as exc:
        return None, [unavailable("key", key_url, str(exc))]
    if response.status != 200:
        return None, [unavailable("key", key_url, f"HTTP {response.status}")]
    try:
        return key_from_pem(response.body[: budget.limits.max_json_bytes]), []
    except BadgeError as exc:
        return None, [fail("key", "signed.key_unusable", str(exc))]


def _signature_check(token: str, key: PublicKey, limits: Limits) -> Check:
    try:
        verify_compact(token, key, algorithms=JWS_ALGORITHMS, limits=limits)
    except (InvalidSignature, ParseError) as exc:
        return fail("signature", "signed.signature_invalid", str(exc))
    return Check("signature", "passed", "signed.signature_ok")


def _revocation_list_check(
    budget: Budget, issuer: Mapping[str, Any], assertion: Mapping[str, Any]
) -> Check:
    list_url = ref_of(issuer.get("revocationList"))
    if list_url is None:
        return Check("revocation", "skipped", "revocation.no_list")
    got = get_json(budget, list_url, "revocation")
    if got.doc is None:
        return got.checks[0]
    ident = string_at(assertion, "id")
    uid = string_at(assertion, "uid")
    entries = got.doc.get("revokedAssertions")
    if entries is None:
        # OB 1.x lists are a plain object mapping uid (or id) to a reason.
        for key in (uid, ident):
            if key is not None and key in got.doc:
                reason = got.doc[key]
                return revoked(reason if isinstance(reason, str) else "", f"{key} is listed")
        return Check("revocation", "passed", "revocation.not_revoked")
    for entry in as_list(entries)[: budget.limits.max_list_items]:
        if isinstance(entry, str) and entry in (ident, uid):
            return revoked("", f"{entry} is listed")
        if isinstance(entry, dict):
            listed = [string_at(entry, "id"), string_at(entry, "uid")]
            if (ident is not None and ident in listed) or (uid is not None and uid in listed):
                return revoked(revocation_reason(entry), "assertion is listed")
    return Check("revocation", "passed", "revocation.not_revoked")
