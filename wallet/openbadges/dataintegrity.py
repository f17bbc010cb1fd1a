"""Data Integrity proofs: eddsa-rdfc-2022 (and eddsa-2022), Ed25519Signature2020, ECDSA; signing."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC
from datetime import datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import ed25519

from wallet.openbadges import ecdsa
from wallet.openbadges import jsonld
from wallet.openbadges.ecdsa import sd
from wallet.openbadges.fetch import Fetcher
from wallet.openbadges.keys import KeyProblem
from wallet.openbadges.keys import Method
from wallet.openbadges.keys import multibase_decode
from wallet.openbadges.keys import resolve_method
from wallet.openbadges.model import Result
from wallet.openbadges.model import Status

EDDSA_RDFC_2022 = "eddsa-rdfc-2022"
EDDSA_2022 = "eddsa-2022"
ED25519_2020 = "Ed25519Signature2020"
DATA_INTEGRITY = "DataIntegrityProof"
ECDSA_SD = ecdsa.ECDSA_SD_2023
ECDSA_SUITES = frozenset({(DATA_INTEGRITY, ecdsa.ECDSA_RDFC_2019), (DATA_INTEGRITY, ECDSA_SD)})
CURRENT = frozenset({(DATA_INTEGRITY, EDDSA_RDFC_2022)}) | ECDSA_SUITES
DEPRECATED = frozenset({(DATA_INTEGRITY, EDDSA_2022), (ED25519_2020, None)})


@dataclass(frozen=True)
class ProofOutcome:
    """What one embedded proof came to; ``method`` is set when its key was resolved.

    ``warnings`` are (message id, detail) findings to report beside a proof that passed.
    """

    index: int
    proof_type: str
    cryptosuite: str | None
    status: Status
    message_id: str
    detail: str = ""
    outcome: Result | None = None
    method: Method | None = None
    deprecated: bool = False
    warnings: tuple[tuple[str, str], ...] = ()
    # The proof's ``created`` moment (aware), when it states a readable one.
    created: datetime | None = None


@dataclass(frozen=True)
class IntegrityReport:
    """All proofs of a document, the safe-mode findings, and a JSON-LD failure if any."""

    proofs: tuple[ProofOutcome, ...]
    dropped: tuple[str, ...] = ()
    relative_types: tuple[str, ...] = ()
    error: jsonld.JsonLdError | None = None

    @property
    def safe(self) -> bool:
        """Return True when no term was dropped and no type is relative."""
        return not self.dropped and not self.relative_types


def proofs_of(document: Mapping[str, Any]) -> list[Any]:
    """Return the document's ``proof`` values as a list (empty when there is none)."""
    proof = document.get("proof")
    if proof is None:
        return []
    return proof if isinstance(proof, list) else [proof]


def proof_config(proof: Mapping[str, Any], context: Any) -> dict[str, Any]:
    config = {key: value for key, value in proof.items() if key != "proofValue"}
    config["@context"] = context
    return config


def _str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def hash_data(config_nquads: str, document_nquads: str) -> bytes:
    return (
        hashlib.sha256(config_nquads.encode("utf-8")).digest()
        + hashlib.sha256(document_nquads.encode("utf-8")).digest()
    )


def _context_prefix_ok(proof: Mapping[str, Any], context: Any) -> bool:
    """A proof's own @context must be a prefix of the document's (vc-di-eddsa)."""
    own = proof.get("@context")
    if own is None:
        return True
    own_list = own if isinstance(own, list) else [own]
    doc_list = context if isinstance(context, list) else [context]
    return doc_list[: len(own_list)] == own_list


def _moment(value: Any) -> datetime | None:
    """Return an ISO 8601 date-time as an aware moment (UTC when it names no zone), or None."""
    if not isinstance(value, str) or "T" not in value:
        return None
    text = value[:-1] + "+00:00" if value.endswith(("Z", "z")) else value
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _valid_datetime(value: Any) -> bool:
    return _moment(value) is not None


def _outcome(
    index: int, proof: Mapping[str, Any], status: Status, message_id: str, detail: str, **kw: Any
) -> ProofOutcome:
    proof_type = proof.get("type")
    suite = proof.get("cryptosuite")
    return ProofOutcome(
        index=index,
        proof_type=str(proof_type)[:100],
        cryptosuite=str(suite)[:100] if suite is not None else None,
        status=status,
        message_id=message_id,
        detail=detail,
        created=_moment(proof.get("created")),
        **kw,
    )


def _resolve(
    index: int, proof: Mapping[str, Any], fetcher: Fetcher, deprecated: bool
) -> Method | ProofOutcome:
    """Resolve the proof's verification method, or say why it could not be."""
    try:
        return resolve_method(str(proof.get("verificationMethod", "")), fetcher)
    except KeyProblem as exc:
        return _outcome(
            index,
            proof,
            "unsupported" if exc.unverifiable else "failed",
            exc.code,
            str(exc),
            outcome="unverifiable" if exc.unverifiable else None,
            deprecated=deprecated,
        )


def _verify_ecdsa(
    index: int,
    proof: Mapping[str, Any],
    nquads: tuple[str, str],
    fetcher: Fetcher,
    document: dict[str, Any],
    budget: jsonld.Budget,
) -> ProofOutcome:
    """Resolve the key of an ECDSA proof, then let ecdsa (or ecdsa.sd) check the signature."""
    value = str(proof.get("proofValue", ""))
    selective = proof.get("cryptosuite") == ECDSA_SD
    # Multibase base58btc (ecdsa-rdfc-2019) or base64url (ecdsa-sd-2023); the rest of the
    # format depends on the key's curve, so it is checked once the key is known.
    if not value.startswith("u" if selective else "z"):
        return _outcome(index, proof, "failed", "ob3.proof.malformed", "proofValue encoding")
    method = _resolve(index, proof, fetcher, False)
    if isinstance(method, ProofOutcome):
        return method
    if selective:
        found = sd.verify_derived(value, method.key, nquads[0], document, budget)
    else:
        found = ecdsa.verify_rdfc_2019(value, method.key, *nquads)
    outcome: Result | None = "unverifiable" if found.status == "unsupported" else None
    # A derived proof verifies what the holder chose to show, never what was left out.
    warnings = (sd.disclosure_warning(document),) if selective and found.status == "passed" else ()
    return _outcome(
        index,
        proof,
        found.status,
        found.message_id,
        found.detail,
        outcome=outcome,
        method=method,
        warnings=warnings,
    )


def _verify_one(
    index: int,
    proof: Mapping[str, Any],
    nquads: tuple[str, str],
    fetcher: Fetcher,
    document: dict[str, Any],
    budget: jsonld.Budget,
) -> ProofOutcome:
    """Check one proof; ``nquads`` = canonical (proof options, document)."""
    suite_key = (_str_or_none(proof.get("type")), _str_or_none(proof.get("cryptosuite")))
    deprecated = suite_key in DEPRECATED
    if suite_key not in CURRENT and not deprecated:
        return _outcome(
            index,
            proof,
            "unsupported",
            "ob3.proof.unsupported",
            f"proof type {suite_key[0]!r} / cryptosuite {suite_key[1]!r} is not supported",
        )
    if proof.get("proofPurpose") != "assertionMethod":
        return _outcome(
            index, proof, "failed", "ob3.proof.purpose", "proofPurpose is not assertionMethod"
        )
    if "created" in proof and not _valid_datetime(proof.get("created")):
        return _outcome(index, proof, "failed", "ob3.proof.malformed", "created is not a date")
    if suite_key in ECDSA_SUITES:
        return _verify_ecdsa(index, proof, nquads, fetcher, document, budget)
    value = proof.get("proofValue")
    if not isinstance(value, str) or not value.startswith("z") or len(value) > 200:
        return _outcome(
            index, proof, "failed", "ob3.proof.malformed", "proofValue is not base58btc multibase"
        )
    try:
        signature = multibase_decode(value)
    except KeyProblem:
        signature = b""
    if len(signature) != 64:
        return _outcome(
            index, proof, "failed", "ob3.proof.malformed", "proofValue is not a 64-byte signature"
        )
    method = _resolve(index, proof, fetcher, deprecated)
    if isinstance(method, ProofOutcome):
        return method
    if not isinstance(method.key, ed25519.Ed25519PublicKey):
        return _outcome(
            index,
            proof,
            "failed",
            "ob3.key.wrong_type",
            "EdDSA proof with a non-Ed25519 key",
            method=method,
        )
    try:
        method.key.verify(signature, hash_data(*nquads))
    except InvalidSignature:
        return _outcome(
            index,
            proof,
            "failed",
            "ob3.proof.bad_signature",
            "signature does not match the credential",
            method=method,
            deprecated=deprecated,
        )
    return _outcome(
        index,
        proof,
        "passed",
        "ob3.proof.valid",
        f"{suite_key[1] or suite_key[0]} signature verified",
        method=method,
        deprecated=deprecated,
    )


def verify_embedded_proofs(
    credential: Mapping[str, Any],
    fetcher: Fetcher,
    *,
    budget: jsonld.Budget | None = None,
    max_proofs: int = 8,
) -> IntegrityReport:
    """Verify every embedded proof of ``credential`` and collect safe-mode findings.

    The document is expanded and canonicalised once; each proof's options once. Never raises
    for an invalid credential: JSON-LD failures are returned in ``error``.
    """
    budget = (budget or jsonld.Budget()).start()
    proofs = proofs_of(credential)[: max(max_proofs, 0) + 1]
    document = {key: value for key, value in credential.items() if key != "proof"}
    context = credential.get("@context")
    try:
        analysis = jsonld.canonical(document, budget)
        document_nquads = analysis.nquads
    except jsonld.JsonLdError as exc:
        return IntegrityReport(proofs=(), error=exc)
    dropped = set(analysis.dropped)
    relative = set(analysis.relative_types)
    outcomes: list[ProofOutcome] = []
    for index, proof in enumerate(proofs):
        if index >= max_proofs:
            outcomes.append(
                ProofOutcome(index, "", None, "failed", "ob3.proof.too_many", "too many proofs")
            )
            break
        if not isinstance(proof, Mapping):
            outcomes.append(
                ProofOutcome(index, "", None, "failed", "ob3.proof.malformed", "not an object")
            )
            continue
        if not _context_prefix_ok(proof, context):
            outcomes.append(
                _outcome(index, proof, "failed", "ob3.proof.malformed", "proof @context mismatch")
            )
            continue
        # JSON-LD failures of the proof options, or of the document canonicalised again with
        # ecdsa-sd-2023's blank node labels, end the report like the document's own.
        try:
            config_analysis = jsonld.canonical(proof_config(proof, context), budget)
            dropped.update(f"proof.{term}" for term in config_analysis.dropped)
            relative.update(config_analysis.relative_types)
            nquads = (config_analysis.nquads, document_nquads)
            outcomes.append(_verify_one(index, proof, nquads, fetcher, document, budget))
        except jsonld.JsonLdError as exc:
            return IntegrityReport(proofs=tuple(outcomes), error=exc)
    return IntegrityReport(
        proofs=tuple(outcomes),
        dropped=tuple(sorted(dropped)),
        relative_types=tuple(sorted(relative)),
    )
