"""Credential status: 1EdTechRevocationList, BitstringStatusListEntry, StatusList2021Entry."""

from __future__ import annotations

import base64
import binascii
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from wallet.openbadges import dataintegrity
from wallet.openbadges import jsonld
from wallet.openbadges import vcjwt
from wallet.openbadges.binding import issuer_origin
from wallet.openbadges.binding import key_ownership
from wallet.openbadges.binding import origin
from wallet.openbadges.binding import same_key
from wallet.openbadges.checks import parse_datetime
from wallet.openbadges.detect import as_list
from wallet.openbadges.detect import type_set
from wallet.openbadges.errors import BadgeError
from wallet.openbadges.errors import FetchError
from wallet.openbadges.fetch import Fetcher
from wallet.openbadges.jose import PublicKey
from wallet.openbadges.jsonutil import loads_object
from wallet.openbadges.jsonutil import to_text
from wallet.openbadges.limits import DEFAULT_LIMITS
from wallet.openbadges.limits import Limits
from wallet.openbadges.model import Check

ACCEPT_LIST = (
    "application/vc+ld+json, application/ld+json, application/json, application/vc+jwt, text/plain"
)
MIN_BITSTRING_ENTRIES = 131_072
MAX_INFLATED = 4 * 1024 * 1024
BITSTRING_TYPES = {
    "BitstringStatusListEntry": ("BitstringStatusListCredential", "BitstringStatusList"),
    "StatusList2021Entry": ("StatusList2021Credential", "StatusList2021"),
}


@dataclass(frozen=True)
class Signer:
    """Who signed the credential a status is about: its issuer id and the keys that verified."""

    issuer_id: str | None
    keys: tuple[PublicKey, ...] = ()

    def signed_with(self, key: PublicKey) -> bool:
        """Return True when ``key`` is one of the keys that signed the credential."""
        return any(same_key(key, own) for own in self.keys)


class StatusProblem(Exception):
    """The status could not be established; ``unverifiable`` when the list is unreachable."""

    def __init__(self, message_id: str, detail: str, *, unverifiable: bool = True) -> None:
        super().__init__(detail)
        self.message_id = message_id
        self.detail = detail
        self.unverifiable = unverifiable


def _fetch(url: Any, fetcher: Fetcher, accept: str) -> bytes:
    if not isinstance(url, str) or not url.lower().startswith(("https://", "http://")):
        raise StatusProblem("ob3.status.malformed", "status list URL is missing or not HTTP(S)")
    try:
        response = fetcher.fetch(url, accept=accept)
    except FetchError as exc:
        raise StatusProblem("ob3.status.unreachable", "status list could not be retrieved") from exc
    if response.status != 200:
        raise StatusProblem("ob3.status.unreachable", f"status list answered {response.status}")
    return response.body


def decode_bitstring(encoded: str, *, legacy: bool = False) -> bytes:
    """Decode an ``encodedList`` (multibase ``u`` base64url of GZIP; legacy: no prefix)."""
    if not isinstance(encoded, str) or len(encoded) > 8 * 1024 * 1024:
        raise StatusProblem(
            "ob3.status.malformed", "encodedList missing or too large", unverifiable=False
        )
    text = encoded
    if text.startswith("u"):
        text = text[1:]
    elif not legacy:
        raise StatusProblem(
            "ob3.status.malformed", "encodedList is not multibase base64url", unverifiable=False
        )
    try:
        compressed = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise StatusProblem(
            "ob3.status.malformed", "encodedList is not base64url", unverifiable=False
        ) from exc
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        # Bounded: a tiny compressed list could otherwise inflate to gigabytes.
        data = inflater.decompress(compressed, MAX_INFLATED)
    except zlib.error as exc:
        raise StatusProblem(
            "ob3.status.malformed", "encodedList is not GZIP data", unverifiable=False
        ) from exc
    if inflater.unconsumed_tail:
        raise StatusProblem("ob3.status.malformed", "status list too large", unverifiable=False)
    return data


def encode_bitstring(bits: bytes) -> str:
    """Encode a bitstring as multibase base64url GZIP (for issuing and tests)."""
    # Only issuing encodes; verification decodes with zlib alone.
    import gzip

    packed = gzip.compress(bits, mtime=0)
    return "u" + base64.urlsafe_b64encode(packed).decode("ascii").rstrip("=")


def status_value(bitstring: bytes, index: int, size: int = 1) -> int:
    """Return the status value at ``index`` (most significant bit first)."""
    start = index * size
    if index < 0 or size < 1 or start + size > len(bitstring) * 8:
        raise StatusProblem("ob3.status.range", "status index outside the list", unverifiable=False)
    value = 0
    for position in range(start, start + size):
        value = (value << 1) | ((bitstring[position // 8] >> (7 - position % 8)) & 1)
    return value


def _foreign(detail: str) -> StatusProblem:
    return StatusProblem("ob3.status.list_foreign", detail)


def _list_credential(
    body: bytes,
    fetcher: Fetcher,
    now: datetime,
    limits: Limits,
    signer: Signer,
    budget: jsonld.Budget | None,
) -> dict[str, Any]:
    """Parse and verify a status list credential (Data Integrity or VC-JWT) of the same issuer.

    The list speaks for the issuer only when it names the same issuer and each of its keys is
    the issuer's (proven by the issuer's documents) or the very key that signed the credential;
    otherwise its answer, revoked or not, is not the issuer's.
    """
    try:
        text = to_text(body).strip()
    except BadgeError as exc:
        raise StatusProblem("ob3.status.malformed", "status list is not text") from exc
    if text.startswith("{"):
        try:
            credential = loads_object(text, limits=limits)
        except BadgeError as exc:
            raise StatusProblem("ob3.status.malformed", "status list is not JSON") from exc
        _require_same_issuer(credential, signer)
        report = dataintegrity.verify_embedded_proofs(
            credential, fetcher, budget=budget, max_proofs=limits.max_proofs
        )
        if report.error is not None or not report.proofs or not report.safe:
            raise StatusProblem("ob3.status.list_unverified", "status list proof cannot be checked")
        passed = [p for p in report.proofs if p.status == "passed" and p.method]
        if len(passed) != len(report.proofs):
            raise StatusProblem("ob3.status.list_unverified", "status list proof does not verify")
        for proof in passed:
            method = proof.method
            assert method is not None
            if not signer.signed_with(method.key):
                decision = key_ownership(method, signer.issuer_id, fetcher, proof.created)
                if decision.ownership != "proven":
                    raise _foreign(f"status list key not confirmed: {decision.detail}"[:200])
    else:
        result = vcjwt.verify_vc_jwt(text, fetcher=fetcher, now=now, limits=limits)
        if not result.signature_ok or result.credential is None or result.key is None:
            raise StatusProblem("ob3.status.list_unverified", "status list JWT does not verify")
        credential = result.credential
        _require_same_issuer(credential, signer)
        proven = any(c.id == "issuer_key" and c.status == "passed" for c in result.checks)
        if not proven and not signer.signed_with(result.key):
            raise _foreign("status list JWT key not confirmed as the issuer's")
    try:
        until = parse_datetime(credential.get("validUntil") or credential.get("expirationDate"))
    except ValueError:
        until = None
    if until is not None and until <= now:
        raise StatusProblem("ob3.status.list_expired", "status list credential has expired")
    return credential


def _require_same_issuer(credential: Mapping[str, Any], signer: Signer) -> None:
    issuer = credential.get("issuer")
    issuer_id = issuer.get("id") if isinstance(issuer, Mapping) else issuer
    if not signer.issuer_id or issuer_id != signer.issuer_id:
        raise _foreign(f"status list issued by {str(issuer_id)[:100]}, not by the badge's issuer")


def _bitstring_check(
    entry: Mapping[str, Any],
    fetcher: Fetcher,
    now: datetime,
    limits: Limits,
    signer: Signer,
    budget: jsonld.Budget | None,
) -> Check:
    entry_type = next(t for t in type_set(entry.get("type")) if t in BITSTRING_TYPES)
    list_type, subject_type = BITSTRING_TYPES[entry_type]
    purpose = str(entry.get("statusPurpose"))
    try:
        index = int(str(entry.get("statusListIndex")))
    except ValueError:
        return Check("status", "failed", "ob3.status.malformed", "statusListIndex is not a number")
    size_value = entry.get("statusSize", 1)
    size = size_value if isinstance(size_value, int) and 0 < size_value <= 8 else 0
    if size == 0:
        return Check("status", "failed", "ob3.status.malformed", "statusSize unsupported")
    body = _fetch(entry.get("statusListCredential"), fetcher, ACCEPT_LIST)
    credential = _list_credential(body, fetcher, now, limits, signer, budget)
    if list_type not in type_set(credential.get("type")):
        raise StatusProblem("ob3.status.list_unverified", f"list credential is not a {list_type}")
    subject = credential.get("credentialSubject")
    if isinstance(subject, list):
        subject = subject[0] if subject else None
    if not isinstance(subject, Mapping) or subject_type not in type_set(subject.get("type")):
        raise StatusProblem("ob3.status.list_unverified", f"list subject is not a {subject_type}")
    list_purposes = type_set(subject.get("statusPurpose"))
    if purpose not in list_purposes:
        raise StatusProblem("ob3.status.list_unverified", "statusPurpose differs from the list's")
    bits = decode_bitstring(
        str(subject.get("encodedList", "")), legacy=entry_type == "StatusList2021Entry"
    )
    value = status_value(bits, index, size)
    short = len(bits) * 8 // size < MIN_BITSTRING_ENTRIES
    if value:
        if purpose == "revocation":
            return Check(
                "status",
                "failed",
                "ob3.status.revoked",
                f"revoked (index {index})",
                outcome="revoked",
            )
        if purpose == "suspension":
            return Check(
                "status",
                "failed",
                "ob3.status.suspended",
                f"suspended (index {index})",
                outcome="revoked",
            )
        return Check("status", "warning", "ob3.status.flagged", f"{purpose} status {value}")
    if short:
        # Real lists (DCC) use 100,000 entries; fail them and real badges break.
        return Check(
            "status", "warning", "ob3.status.short_list", f"index {index} not set; short list"
        )
    return Check("status", "passed", "ob3.status.not_revoked", f"{purpose} bit {index} not set")


def _revocation_list_check(
    entry: Mapping[str, Any], credential_id: Any, fetcher: Fetcher, limits: Limits, signer: Signer
) -> Check:
    url = entry.get("id")
    # An unsigned list speaks for the issuer only from the issuer's own origin.
    home = issuer_origin(signer.issuer_id) if signer.issuer_id else None
    if isinstance(url, str) and (home is None or origin(url) != home):
        raise _foreign("revocation list is not on the issuer's origin")
    body = _fetch(url, fetcher, "application/json")
    try:
        document = loads_object(body, limits=limits)
    except BadgeError as exc:
        raise StatusProblem("ob3.status.malformed", "revocation list is not JSON") from exc
    listed = as_list(document.get("revokedCredential")) + as_list(
        document.get("revokedCredentials")
    )
    for item in listed[: limits.max_list_items * 100]:
        item_id = item.get("id") if isinstance(item, Mapping) else item
        if item_id == credential_id and credential_id is not None:
            if isinstance(item, Mapping) and item.get("revoked") is False:
                continue
            reason = item.get("revocationReason") if isinstance(item, Mapping) else None
            return Check(
                "status",
                "failed",
                "ob3.status.revoked",
                f"listed as revoked{': ' + str(reason)[:200] if reason else ''}",
                {"reason": str(reason)[:200]} if reason else {},
                outcome="revoked",
            )
    return Check("status", "passed", "ob3.status.not_revoked", "not in the revocation list")


def status_checks(
    credential: Mapping[str, Any],
    *,
    fetcher: Fetcher,
    now: datetime,
    signer: Signer,
    limits: Limits = DEFAULT_LIMITS,
    budget: jsonld.Budget | None = None,
) -> list[Check]:
    """Return one status check per ``credentialStatus`` entry (or one ``skipped`` check)."""
    entries = as_list(credential.get("credentialStatus"))
    if not entries:
        return [Check("status", "skipped", "ob3.status.none")]
    checks: list[Check] = []
    for entry in entries[:4]:
        if not isinstance(entry, Mapping):
            checks.append(
                Check("status", "failed", "ob3.status.malformed", "entry is not an object")
            )
            continue
        types = type_set(entry.get("type"))
        try:
            if "1EdTechRevocationList" in types:
                checks.append(
                    _revocation_list_check(entry, credential.get("id"), fetcher, limits, signer)
                )
            elif types & BITSTRING_TYPES.keys():
                checks.append(_bitstring_check(entry, fetcher, now, limits, signer, budget))
            else:
                checks.append(
                    Check(
                        "status",
                        "unsupported",
                        "ob3.status.unsupported",
                        f"status type {sorted(types)[:3]} not supported",
                    )
                )
        except StatusProblem as exc:
            checks.append(
                Check(
                    "status",
                    "unsupported" if exc.unverifiable else "failed",
                    exc.message_id,
                    exc.detail,
                    outcome="unverifiable" if exc.unverifiable else None,
                )
            )
    return checks
