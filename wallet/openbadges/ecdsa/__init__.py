"""ECDSA Data Integrity: P-256/P-384 signatures (IEEE P1363 form) and ecdsa-rdfc-2019."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from wallet.openbadges.jose import PublicKey
from wallet.openbadges.keys import KeyProblem
from wallet.openbadges.keys import multibase_decode
from wallet.openbadges.model import Status

ECDSA_RDFC_2019 = "ecdsa-rdfc-2019"
ECDSA_SD_2023 = "ecdsa-sd-2023"


@dataclass(frozen=True)
class Curve:
    """A curve this suite allows: its name, the hash that goes with it, the size of r and s."""

    name: str
    hash_name: str
    size: int

    def hash(self) -> hashes.HashAlgorithm:
        """Return the hash algorithm object for signing and verifying."""
        return hashes.SHA256() if self.hash_name == "sha256" else hashes.SHA384()


# vc-di-ecdsa §3 "Algorithms": the hash follows the curve (P-256: SHA-256, P-384: SHA-384);
# signatures are r || s (RFC 4754 §7), each half as long as the curve's order.
_CURVES = {
    "secp256r1": Curve("P-256", "sha256", 32),
    "secp384r1": Curve("P-384", "sha384", 48),
}


@dataclass(frozen=True)
class Finding:
    """What checking one signature came to: a check status, a message id and a detail."""

    status: Status
    message_id: str
    detail: str


def curve_of(key: PublicKey) -> Curve | None:
    """Return the curve of a P-256 or P-384 public key, else None."""
    if not isinstance(key, ec.EllipticCurvePublicKey):
        return None
    return _CURVES.get(key.curve.name)


def hash_data(config_nquads: str, document_nquads: str, hash_name: str) -> bytes:
    """Return hash(canonical proof config) || hash(canonical document) (vc-di-ecdsa §3.2.3)."""
    return (
        hashlib.new(hash_name, config_nquads.encode("utf-8")).digest()
        + hashlib.new(hash_name, document_nquads.encode("utf-8")).digest()
    )


def verify_p1363(key: PublicKey, signature: bytes, data: bytes) -> bool:
    """Return True when ``signature`` (r || s) is the key's ECDSA signature of ``data``.

    The digest follows the key's curve; a signature of another length never verifies.
    """
    if not isinstance(key, ec.EllipticCurvePublicKey):
        return False
    curve = _CURVES.get(key.curve.name)
    if curve is None or len(signature) != 2 * curve.size:
        return False
    r = int.from_bytes(signature[: curve.size], "big")
    s = int.from_bytes(signature[curve.size :], "big")
    try:
        key.verify(encode_dss_signature(r, s), data, ec.ECDSA(curve.hash()))
    except InvalidSignature:
        return False
    return True


def sign_p1363(private_key: ec.EllipticCurvePrivateKey, data: bytes) -> bytes:
    """Return the deterministic (RFC 6979) ECDSA signature of ``data`` as r || s."""
    curve = curve_of(private_key.public_key())
    if curve is None:
        raise ValueError("ECDSA signing needs a P-256 or P-384 key")
    der = private_key.sign(data, ec.ECDSA(curve.hash(), deterministic_signing=True))
    r, s = decode_dss_signature(der)
    return r.to_bytes(curve.size, "big") + s.to_bytes(curve.size, "big")


def verify_rdfc_2019(
    proof_value: str, key: PublicKey, config_nquads: str, document_nquads: str
) -> Finding:
    """Verify an ecdsa-rdfc-2019 ``proofValue`` (vc-di-ecdsa §3.2.2 "Verify Proof").

    The canonical forms are the document without ``proof`` and the proof options without
    ``proofValue`` under the document's ``@context``; the caller produces both.
    """
    curve = curve_of(key)
    if curve is None:
        return Finding("failed", "ob3.key.wrong_type", "ECDSA proof with a non-P-256/P-384 key")
    if not proof_value.startswith("z") or len(proof_value) > 200:
        return Finding("failed", "ob3.proof.malformed", "proofValue is not base58btc multibase")
    try:
        signature = multibase_decode(proof_value)
    except KeyProblem:
        signature = b""
    if len(signature) != 2 * curve.size:
        return Finding(
            "failed",
            "ob3.proof.malformed",
            f"proofValue is not a {2 * curve.size}-byte {curve.name} signature",
        )
    data = hash_data(config_nquads, document_nquads, curve.hash_name)
    if not verify_p1363(key, signature, data):
        return Finding(
            "failed", "ob3.proof.bad_signature", "signature does not match the credential"
        )
    return Finding("passed", "ob3.proof.valid", f"{ECDSA_RDFC_2019} signature verified")
