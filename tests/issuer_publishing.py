"""The documents an issuer would publish for a vector: a profile or JWK set listing its key.

The 1EdTech fixtures carry their key in the proof (an ``<issuer>#z6Mk…`` fragment, a JOSE
``jwk``) and come with no issuer documents, so offline their key cannot be bound to the issuer.
INDEX.md: "Served with an issuer profile (or JWKS) that lists the same key, each of them is
valid; listing other keys only makes it invalid." These builders make those documents.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric import ed25519

from wallet.openbadges import read
from wallet.openbadges.jose import b64url_encode
from wallet.openbadges.jose import decode_unverified
from wallet.openbadges.keys import ed25519_multikey

# Another key, for "the issuer lists other keys only".
OTHER_KEY = ed25519.Ed25519PrivateKey.from_private_bytes(bytes(range(32))).public_key()


def _issuer_id(credential: dict[str, Any]) -> str:
    issuer = credential.get("issuer")
    return issuer if isinstance(issuer, str) else str(issuer["id"])


def _proofs(credential: dict[str, Any]) -> list[dict[str, Any]]:
    proof = credential.get("proof")
    return proof if isinstance(proof, list) else [proof] if isinstance(proof, dict) else []


def _other_jwk() -> dict[str, str]:
    from cryptography.hazmat.primitives import serialization

    raw = OTHER_KEY.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return {"kty": "OKP", "crv": "Ed25519", "x": b64url_encode(raw)}


def issuer_documents(data: bytes, *, listed: bool = True) -> dict[str, bytes]:
    """Return URL -> body of the issuer documents that list (or do not list) the vector's key."""
    loaded = read(data)
    if isinstance(loaded.payload, str):
        header, payload = decode_unverified(loaded.payload)
        vc = payload.get("vc")
        credential = vc if isinstance(vc, dict) else payload
        issuer = _issuer_id(credential)
        jwk = header["jwk"] if listed else _other_jwk()
        url = f"https://{urlsplit(issuer).netloc}/.well-known/jwks.json"
        return {url: json.dumps({"keys": [jwk]}).encode()}
    credential = loaded.payload
    issuer = _issuer_id(credential)
    methods = []
    for proof in _proofs(credential):
        method = str(proof["verificationMethod"])
        key = method.partition("#")[2] if listed else ed25519_multikey(OTHER_KEY)
        ident = method if listed else f"{issuer}#{key}"
        methods.append(
            {"id": ident, "type": "Multikey", "controller": issuer, "publicKeyMultibase": key}
        )
    profile = {
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
        "id": issuer,
        "type": "Profile",
        "verificationMethod": methods,
        "assertionMethod": [m["id"] for m in methods],
    }
    return {issuer: json.dumps(profile).encode()}
