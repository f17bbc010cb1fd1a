"""ecdsa-sd-2023: parse a derived (selectively disclosed) proof value and verify it."""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import cbor2

from wallet.openbadges import jsonld
from wallet.openbadges.ecdsa import ECDSA_SD_2023
from wallet.openbadges.ecdsa import Finding
from wallet.openbadges.ecdsa import curve_of
from wallet.openbadges.ecdsa import verify_p1363
from wallet.openbadges.jose import PublicKey
from wallet.openbadges.keys import KeyProblem
from wallet.openbadges.keys import multikey_from_bytes

# vc-di-ecdsa "serializeBaseProofValue" / "serializeDerivedProofValue": CBOR tag 0x5d00 / 0x5d01.
BASE_HEADER = b"\xd9\x5d\x00"
DERIVED_HEADER = b"\xd9\x5d\x01"
_BASE64URL = re.compile(r"[A-Za-z0-9_-]*")
# How often the CPU budget is looked at while per-statement signatures are checked.
_CHECK_EVERY = 32
# What a holder may withhold that says whether the credential is still good (VC 2.0, VC 1.1).
_LIFETIME_TERMS = ("credentialStatus", "validUntil", "expirationDate")


class SdProblem(ValueError):
    """The proof value is not a well-formed ecdsa-sd-2023 derived proof."""


class BaseProofGiven(SdProblem):
    """The proof value is a base proof: meant for the holder, not for a verifier."""


@dataclass(frozen=True)
class DerivedProof:
    """The five components of a derived proof value, the label map decompressed."""

    base_signature: bytes
    public_key: bytes
    signatures: tuple[bytes, ...]
    label_map: dict[str, str]
    mandatory_indexes: frozenset[int]


def _b64url_decode(text: str) -> bytes:
    if not _BASE64URL.fullmatch(text) or len(text) % 4 == 1:
        raise SdProblem("proofValue is not base64url (no padding)")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise SdProblem("proofValue is not base64url (no padding)") from exc


def _b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _is_bytes(value: Any, length: int) -> bool:
    return isinstance(value, bytes) and len(value) == length


def _is_index(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _decode_cbor(data: bytes) -> Any:
    """Decode exactly one CBOR item (no trailing bytes, no duplicate map keys)."""
    stream = io.BytesIO(data)
    try:
        decoder = cbor2.CBORDecoder(stream, max_depth=4, allow_duplicate_keys=False)
        value = decoder.decode()
    except (cbor2.CBORError, ValueError, TypeError, OverflowError, RecursionError) as exc:
        raise SdProblem("proofValue is not valid CBOR") from exc
    if stream.tell() != len(data):
        raise SdProblem("proofValue has bytes after its CBOR value")
    return value


def parse_derived_proof_value(value: str) -> DerivedProof:
    """Parse a derived proof value (vc-di-ecdsa "parseDerivedProofValue"); raise SdProblem.

    Checks the shapes the spec lists: a 64-byte base signature, a 35-byte P-256 Multikey,
    64-byte statement signatures, a map of integers to 32-byte HMAC labels, an array of
    integers. Label map values must differ (two blank nodes never share an HMAC label).
    """
    if not isinstance(value, str) or not value.startswith("u"):
        raise SdProblem("proofValue is not base64url multibase")
    raw = _b64url_decode(value[1:])
    if raw.startswith(BASE_HEADER):
        raise BaseProofGiven("a base proof, for the holder to derive a proof from")
    if not raw.startswith(DERIVED_HEADER):
        raise SdProblem("proofValue is not an ecdsa-sd-2023 derived proof")
    components = _decode_cbor(raw[len(DERIVED_HEADER) :])
    if not isinstance(components, list) or len(components) != 5:
        raise SdProblem("derived proof is not an array of five components")
    base_signature, public_key, signatures, labels, indexes = components
    if not _is_bytes(base_signature, 64):
        raise SdProblem("base signature is not 64 bytes")
    if not _is_bytes(public_key, 35) or not public_key.startswith(b"\x80\x24"):
        raise SdProblem("proof-scoped key is not a P-256 Multikey")
    if not isinstance(signatures, list) or not all(_is_bytes(s, 64) for s in signatures):
        raise SdProblem("statement signatures are not 64-byte values")
    if not isinstance(labels, dict) or not all(
        _is_index(k) and _is_bytes(v, 32) for k, v in labels.items()
    ):
        raise SdProblem("label map is not integers to 32-byte HMAC labels")
    if len(set(labels.values())) != len(labels):
        raise SdProblem("label map gives two blank nodes the same label")
    if not isinstance(indexes, list) or not all(_is_index(i) for i in indexes):
        raise SdProblem("mandatory indexes are not non-negative integers")
    if len(set(indexes)) != len(indexes):
        raise SdProblem("mandatory indexes repeat")
    return DerivedProof(
        base_signature=base_signature,
        public_key=public_key,
        signatures=tuple(signatures),
        label_map={f"c14n{k}": "u" + _b64url_encode(v) for k, v in labels.items()},
        mandatory_indexes=frozenset(indexes),
    )


def serialize_derived_proof_value(proof: DerivedProof) -> str:
    """Return the ``u…`` proof value of a derived proof ("serializeDerivedProofValue")."""
    labels = {
        int(key.removeprefix("c14n")): _b64url_decode(label[1:])
        for key, label in proof.label_map.items()
    }
    components = [
        proof.base_signature,
        proof.public_key,
        list(proof.signatures),
        labels,
        sorted(proof.mandatory_indexes),
    ]
    return "u" + _b64url_encode(DERIVED_HEADER + cbor2.dumps(components))


def sign_data(proof_hash: bytes, public_key: bytes, mandatory_hash: bytes) -> bytes:
    """Return what the base signature covers ("serializeSignData")."""
    return proof_hash + public_key + mandatory_hash


def verify_derived(
    proof_value: str,
    key: PublicKey,
    config_nquads: str,
    document: dict[str, Any],
    budget: jsonld.Budget,
) -> Finding:
    """Verify a derived proof over ``document`` (without ``proof``) with the issuer's ``key``.

    vc-di-ecdsa "Verify Derived Proof (ecdsa-sd-2023)" with "createVerifyData": the document
    is canonicalised with its blank nodes relabelled by the proof's label map; the statements
    at the mandatory indexes are hashed together; the base signature must cover the proof
    options hash, the proof-scoped key and that hash; every other statement must carry its
    own signature by the proof-scoped key, one for one. Raises JsonLdError (budget, context).
    """
    curve = curve_of(key)
    if curve is None or curve.name != "P-256":
        return Finding("failed", "ob3.key.wrong_type", f"{ECDSA_SD_2023} needs a P-256 key")
    try:
        derived = parse_derived_proof_value(proof_value)
    except BaseProofGiven as exc:
        return Finding("unsupported", "ob3.proof.sd_base", str(exc))
    except SdProblem as exc:
        return Finding("failed", "ob3.proof.malformed", str(exc))
    try:
        proof_key = multikey_from_bytes(derived.public_key)
    except KeyProblem:
        return Finding("failed", "ob3.proof.malformed", "proof-scoped key is not a P-256 point")
    analysis = jsonld.analyse(document, budget)
    try:
        nquads = jsonld.canonize_relabelled(analysis.dataset, derived.label_map, budget)
    except LookupError:
        return Finding(
            "failed",
            "ob3.proof.bad_signature",
            "the disclosed credential has a blank node the proof's label map does not name",
        )
    if any(index >= len(nquads) for index in derived.mandatory_indexes):
        return Finding("failed", "ob3.proof.bad_signature", "a mandatory statement is missing")
    mandatory = [nq for i, nq in enumerate(nquads) if i in derived.mandatory_indexes]
    disclosed = [nq for i, nq in enumerate(nquads) if i not in derived.mandatory_indexes]
    if len(derived.signatures) != len(disclosed):
        return Finding(
            "failed",
            "ob3.proof.bad_signature",
            f"{len(derived.signatures)} signatures for {len(disclosed)} disclosed statements",
        )
    proof_hash = hashlib.sha256(config_nquads.encode("utf-8")).digest()
    mandatory_hash = hashlib.sha256("".join(mandatory).encode("utf-8")).digest()
    signed = sign_data(proof_hash, derived.public_key, mandatory_hash)
    if not verify_p1363(key, derived.base_signature, signed):
        return Finding(
            "failed",
            "ob3.proof.bad_signature",
            "the issuer's base signature does not cover these proof options and statements",
        )
    for number, (signature, statement) in enumerate(
        zip(derived.signatures, disclosed, strict=True)
    ):
        if number % _CHECK_EVERY == 0:
            budget.check()
        if not verify_p1363(proof_key, signature, statement.encode("utf-8")):
            return Finding(
                "failed",
                "ob3.proof.bad_signature",
                f"disclosed statement {number + 1} of {len(disclosed)} does not match its "
                "signature",
            )
    return Finding(
        "passed",
        "ob3.proof.valid",
        f"{ECDSA_SD_2023} derived proof verified ({len(disclosed)} disclosed, "
        f"{len(mandatory)} mandatory statements)",
    )


def disclosure_warning(document: Mapping[str, Any]) -> tuple[str, str]:
    """Return the warning (message id, detail) that goes beside a verified derived proof.

    The holder chose which statements to show, and a derived proof cannot tell what the
    issuer did not make mandatory was left out: an expiry date or a revocation status may be
    missing. The detail names what of those the credential shows, or says it shows none.
    """
    shown = [term for term in _LIFETIME_TERMS if document.get(term) not in (None, [], {})]
    if not shown:
        return (
            "ob3.proof.selective",
            "selectively disclosed by the holder; it shows no credentialStatus and no "
            "validUntil/expirationDate, which the issuer may have set",
        )
    return (
        "ob3.proof.selective",
        f"selectively disclosed by the holder; it shows {' and '.join(shown)}",
    )
