"""Data Integrity proofs: eddsa-rdfc-2022 (and eddsa-2022), Ed25519Signature2020; signing too."""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC
from datetime import datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import ed25519

from wallet.openbadges import jsonld
from wallet.openbadges.fetch import Fetcher
from wallet.openbadges.keys import KeyProblem
from wallet.openbadges.keys import Method
from wallet.openbadges.keys import b58encode
from wallet.openbadges.keys import multibase_decode
from wallet.openbadges.keys import resolve_method
from wallet.openbadges.model import Result
from wallet.openbadges.model import Status

EDDSA_RDFC_2022 = "eddsa-rdfc-2022"
EDDSA_2022 = "eddsa-2022"
ED25519_2020 = "Ed25519Signature2020"
DATA_INTEGRITY = "DataIntegrityProof"
CURRENT = frozenset({(DATA_INTEGRITY, EDDSA_RDFC_2022)})
DEPRECATED = frozenset({(DATA_INTEGRITY, EDDSA_2022), (ED25519_2020, None)})


@dataclass(frozen=True)
class ProofOutcome:
    """What one embedded proof came to; ``method`` is set when its key was resolved."""

    index: int
    proof_type: str
    cryptosuite: str | None
    status: Status
    message_id: str
    detail: str = ""
    outcome: Result | None = None
    method: Method | None = None
    deprecated: bool = False


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


def _proof_config(proof: Mapping[str, Any], context: Any) -> dict[str, Any]:
    config = {key: value for key, value in proof.items() if key != "proofValue"}
    config["@context"] = context
    return config


def _str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _hash_data(config_nquads: str, document_nquads: str) -> bytes:
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


def _valid_datetime(value: Any) -> bool:
    if not isinstance(value, str) or "T" not in value:
        return False
    text = value[:-1] + "+00:00" if value.endswith(("Z", "z")) else value
    try:
        datetime.fromisoformat(text)
    except ValueError:
        return False
    return True


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
        **kw,
    )


def _verify_one(
    index: int,
    proof: Mapping[str, Any],
    document_nquads: str,
    config_nquads: str | None,
    fetcher: Fetcher,
) -> ProofOutcome:
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
    value = proof.get("proofValue")
    if not isinstance(value, str) or not value.startswith("z") or len(value) > 200:
        return _outcome(
            index, proof, "failed", "ob3.proof.malformed", "proofValue is not base58btc multibase"
        )
    if config_nquads is None:
        return _outcome(index, proof, "failed", "ob3.proof.malformed", "proof options unreadable")
    try:
        signature = multibase_decode(value)
    except KeyProblem:
        signature = b""
    if len(signature) != 64:
        return _outcome(
            index, proof, "failed", "ob3.proof.malformed", "proofValue is not a 64-byte signature"
        )
    try:
        method = resolve_method(str(proof.get("verificationMethod", "")), fetcher)
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
        method.key.verify(signature, _hash_data(config_nquads, document_nquads))
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
        config_nquads: str | None = None
        if not _context_prefix_ok(proof, context):
            outcomes.append(
                _outcome(index, proof, "failed", "ob3.proof.malformed", "proof @context mismatch")
            )
            continue
        try:
            config_analysis = jsonld.canonical(_proof_config(proof, context), budget)
            dropped.update(f"proof.{term}" for term in config_analysis.dropped)
            relative.update(config_analysis.relative_types)
            config_nquads = config_analysis.nquads
        except jsonld.JsonLdError as exc:
            return IntegrityReport(proofs=tuple(outcomes), error=exc)
        outcomes.append(_verify_one(index, proof, document_nquads, config_nquads, fetcher))
    return IntegrityReport(
        proofs=tuple(outcomes),
        dropped=tuple(sorted(dropped)),
        relative_types=tuple(sorted(relative)),
    )


def _created_text(created: datetime | str) -> str:
    if isinstance(created, str):
        return created
    moment = created if created.tzinfo else created.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def sign_eddsa_rdfc_2022(
    document: Mapping[str, Any],
    private_key: ed25519.Ed25519PrivateKey,
    verification_method: str,
    created: datetime | str,
) -> dict[str, Any]:
    """Return a copy of ``document`` with an added ``eddsa-rdfc-2022`` DataIntegrityProof.

    Refuses (ValueError) a document with terms or types its contexts do not define, because
    other verifiers would reject it or the signature would not cover what is shown.
    """
    signed = copy.deepcopy(dict(document))
    existing = proofs_of(signed)
    signed.pop("proof", None)
    context = signed.get("@context")
    proof: dict[str, Any] = {
        "type": DATA_INTEGRITY,
        "cryptosuite": EDDSA_RDFC_2022,
        "created": _created_text(created),
        "verificationMethod": verification_method,
        "proofPurpose": "assertionMethod",
    }
    budget = jsonld.Budget(seconds=5.0).start()
    analysis = jsonld.analyse(signed, budget)
    config = jsonld.analyse(_proof_config(proof, context), budget)
    if not analysis.safe or not config.safe:
        raise ValueError(
            "document uses terms its contexts do not define: "
            + ", ".join(
                analysis.dropped + analysis.relative_types + config.dropped + config.relative_types
            )
        )
    data = _hash_data(
        jsonld.canonize_dataset(config.dataset, budget),
        jsonld.canonize_dataset(analysis.dataset, budget),
    )
    proof["proofValue"] = "z" + b58encode(private_key.sign(data))
    signed["proof"] = [*existing, proof] if existing else proof
    return signed
