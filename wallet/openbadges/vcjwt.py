"""VC-JWT proofs for VC 1.1 (``vc`` claim) and VC 2.0 (the payload is the credential)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from wallet.openbadges.binding import Decision
from wallet.openbadges.binding import header_key_ownership
from wallet.openbadges.binding import key_ownership
from wallet.openbadges.binding import ownership_check
from wallet.openbadges.binding import same_key
from wallet.openbadges.checks import parse_datetime
from wallet.openbadges.detect import VC_V1
from wallet.openbadges.detect import VC_V2
from wallet.openbadges.errors import BadgeError
from wallet.openbadges.fetch import Fetcher
from wallet.openbadges.jose import InvalidSignature
from wallet.openbadges.jose import PublicKey
from wallet.openbadges.jose import decode_unverified
from wallet.openbadges.jose import key_from_jwk
from wallet.openbadges.jose import verify_compact
from wallet.openbadges.keys import ACCEPT_JWKS
from wallet.openbadges.keys import KeyProblem
from wallet.openbadges.keys import Method
from wallet.openbadges.keys import fetch_json
from wallet.openbadges.keys import resolve_method
from wallet.openbadges.limits import DEFAULT_LIMITS
from wallet.openbadges.limits import Limits
from wallet.openbadges.model import Check

ALGORITHMS = frozenset({"RS256", "ES256", "EdDSA"})
ACCEPTED_TYP = frozenset({"JWT", "vc+jwt", "vc+ld+jwt", "vc+ld+json+jwt"})


@dataclass(frozen=True)
class JwtResult:
    """The credential inside a VC-JWT, its VC version, and the checks about the JWT itself."""

    credential: dict[str, Any] | None
    vc_version: str | None
    checks: tuple[Check, ...]
    signature_ok: bool = False
    key: PublicKey | None = None


def unwrap(token: str, *, limits: Limits = DEFAULT_LIMITS) -> tuple[dict[str, Any], str]:
    """Return ``(credential, vc_version)`` of a VC-JWT without verifying it (ParseError)."""
    _header, payload = decode_unverified(token, limits=limits)
    vc = payload.get("vc")
    if isinstance(vc, dict):
        return vc, "1.1"
    return payload, "2.0"


def _key_from_kid(kid: str, fetcher: Fetcher) -> tuple[PublicKey, Method | None]:
    if kid.startswith("did:"):
        method = resolve_method(kid, fetcher)
        return method.key, method
    if urlsplit(kid).scheme.lower() != "https":
        raise KeyProblem("kid is neither a DID nor an HTTPS URL", code="ob3.jwt.no_key")
    document = fetch_json(fetcher, kid.partition("#")[0], ACCEPT_JWKS)
    if "keys" in document and isinstance(document["keys"], list):
        for entry in document["keys"]:
            if isinstance(entry, Mapping) and entry.get("kid") in (kid, kid.partition("#")[2]):
                return key_from_jwk(entry), None
        raise KeyProblem("kid not found in the JWK set", code="ob3.jwt.no_key")
    return key_from_jwk(document), None


def _numeric(value: Any) -> datetime | None:
    """Read a NumericDate; None when absent, ValueError when unreadable or out of range."""
    if value is None:
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return datetime.fromtimestamp(float(value), UTC)
        except (OverflowError, OSError, ValueError) as exc:
            raise ValueError("NumericDate out of range") from exc
    raise ValueError("NumericDate is not a number")


def _issuer_id(credential: Mapping[str, Any]) -> str | None:
    issuer = credential.get("issuer")
    if isinstance(issuer, str):
        return issuer
    if isinstance(issuer, Mapping) and isinstance(issuer.get("id"), str):
        return str(issuer["id"])
    return None


def _claim_checks(
    payload: Mapping[str, Any],
    credential: Mapping[str, Any],
    version: str,
    now: datetime,
) -> list[Check]:
    checks: list[Check] = []
    issuer_id = _issuer_id(credential)
    iss = payload.get("iss")
    if iss is None or iss != issuer_id:
        checks.append(
            Check("jwt.claims", "failed", "ob3.jwt.iss_mismatch", "iss does not name the issuer")
        )
    jti = payload.get("jti")
    if jti is not None and credential.get("id") is not None and jti != credential.get("id"):
        checks.append(
            Check("jwt.claims", "failed", "ob3.jwt.jti_mismatch", "jti is not the credential id")
        )
    subject = credential.get("credentialSubject")
    subject_id = subject.get("id") if isinstance(subject, Mapping) else None
    # The 1EdTech samples omit sub; the spec wants it, so check it only when present.
    if "sub" in payload and subject_id is not None and payload["sub"] != subject_id:
        checks.append(
            Check("jwt.claims", "failed", "ob3.jwt.sub_mismatch", "sub is not the subject id")
        )
    try:
        nbf = _numeric(payload.get("nbf"))
        exp = _numeric(payload.get("exp"))
    except ValueError as exc:
        checks.append(Check("jwt.claims", "failed", "ob3.jwt.malformed", str(exc)))
        return checks
    start_field = "validFrom" if version == "2.0" else "issuanceDate"
    try:
        start = parse_datetime(credential.get(start_field))
    except ValueError:
        start = None
    if nbf is not None and start is not None and abs((nbf - start).total_seconds()) > 1:
        checks.append(
            Check("jwt.claims", "failed", "ob3.jwt.nbf_mismatch", f"nbf differs from {start_field}")
        )
    if nbf is not None and nbf > now:
        checks.append(
            Check(
                "jwt.claims",
                "failed",
                "ob3.jwt.not_yet_valid",
                "nbf is in the future",
                outcome="not_yet_valid",
            )
        )
    if exp is not None and exp <= now:
        checks.append(
            Check("jwt.claims", "failed", "ob3.jwt.expired", "exp has passed", outcome="expired")
        )
    if not checks:
        checks.append(Check("jwt.claims", "passed", "ob3.jwt.claims_ok"))
    return checks


def verify_vc_jwt(
    token: str, *, fetcher: Fetcher, now: datetime, limits: Limits = DEFAULT_LIMITS
) -> JwtResult:
    """Verify a VC-JWT: header, key (``jwk`` or ``kid``), signature, claims, key provenance."""
    try:
        header, payload = decode_unverified(token, limits=limits)
    except BadgeError as exc:
        return JwtResult(
            None, None, (Check("proof", "failed", "ob3.jwt.malformed", str(exc)[:200]),)
        )
    vc = payload.get("vc")
    credential: dict[str, Any] = vc if isinstance(vc, dict) else payload
    version = "1.1" if isinstance(vc, dict) else "2.0"
    checks: list[Check] = []
    contexts = credential.get("@context")
    first = contexts[0] if isinstance(contexts, list) and contexts else contexts
    expected_first = VC_V1 if version == "1.1" else VC_V2
    if first != expected_first:
        checks.append(
            Check(
                "jwt.shape",
                "failed",
                "ob3.jwt.shape_mismatch",
                f"VC {version} JWT shape with first @context {str(first)[:80]!r}",
            )
        )
    typ = header.get("typ")
    if typ is not None and str(typ) not in ACCEPTED_TYP:
        checks.append(Check("jwt.header", "failed", "ob3.jwt.bad_typ", f"typ {str(typ)[:40]!r}"))
    alg = header.get("alg")
    if not isinstance(alg, str) or alg not in ALGORITHMS:
        checks.append(
            Check("proof", "failed", "ob3.jwt.bad_alg", f"algorithm {str(alg)[:20]!r} refused")
        )
        return JwtResult(credential, version, tuple(checks))
    try:
        key, method, kid = _signing_key(header, credential, fetcher)
    except KeyProblem as exc:
        checks.append(
            Check(
                "proof",
                "unsupported" if exc.unverifiable else "failed",
                exc.code,
                str(exc)[:200],
                outcome="unverifiable" if exc.unverifiable else None,
            )
        )
        return JwtResult(credential, version, tuple(checks))
    except BadgeError as exc:
        checks.append(Check("proof", "failed", "ob3.jwt.no_key", str(exc)[:200]))
        return JwtResult(credential, version, tuple(checks))
    try:
        verify_compact(token, key, algorithms=ALGORITHMS, limits=limits)
    except InvalidSignature as exc:
        checks.append(Check("proof", "failed", "ob3.jwt.bad_signature", str(exc)[:200]))
        return JwtResult(credential, version, tuple(checks))
    except BadgeError as exc:
        checks.append(Check("proof", "failed", "ob3.jwt.malformed", str(exc)[:200]))
        return JwtResult(credential, version, tuple(checks))
    checks.append(Check("proof", "passed", "ob3.jwt.valid", f"{alg} signature verified"))
    checks.extend(_claim_checks(payload, credential, version, now))
    issuer_id = _issuer_id(credential)
    decision: Decision
    if method is not None:
        decision = key_ownership(method, issuer_id, fetcher)
    else:
        decision = header_key_ownership(key, kid, issuer_id, fetcher)
    checks.append(ownership_check(decision, issuer_id))
    return JwtResult(credential, version, tuple(checks), signature_ok=True, key=key)


def _signing_key(
    header: Mapping[str, Any], credential: Mapping[str, Any], fetcher: Fetcher
) -> tuple[PublicKey, Method | None, str | None]:
    """Return the key that must verify the token, its DID method if any, and the kid used.

    With both a ``jwk`` and a ``kid``, they must be the same key: a token cannot borrow the
    issuer's key id for a key of its own.
    """
    jwk = header.get("jwk")
    kid = header.get("kid")
    kid = kid if isinstance(kid, str) and kid else None
    issuer_did = _issuer_id(credential) or ""
    if kid is not None and kid.startswith("#") and issuer_did.startswith("did:"):
        # A bare fragment names a key of the issuer DID (as 1EdTech's validator reads it).
        kid = issuer_did + kid
    header_key = key_from_jwk(jwk) if isinstance(jwk, Mapping) else None
    if kid is None or (header_key is not None and not kid.startswith(("did:", "https://"))):
        if header_key is None:
            raise KeyProblem("JOSE header has neither jwk nor kid", code="ob3.jwt.no_key")
        return header_key, None, None
    key, method = _key_from_kid(kid, fetcher)
    if header_key is not None and not same_key(header_key, key):
        raise KeyProblem("the jwk and the kid name different keys", code="ob3.jwt.key_mismatch")
    return key, method, kid
