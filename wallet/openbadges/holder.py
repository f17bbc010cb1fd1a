"""A holder's own identifiers for an Ed25519 key: its JWK, ``did:key`` and ``did:jwk``."""

from __future__ import annotations

import json
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from wallet.openbadges.errors import BadgeError
from wallet.openbadges.jose import b64url_decode
from wallet.openbadges.jose import b64url_encode
from wallet.openbadges.keys import did_key_for
from wallet.openbadges.keys import ed25519_multikey


def public_jwk(key: ed25519.Ed25519PublicKey) -> dict[str, Any]:
    """Return the public JWK (RFC 8037) of an Ed25519 key."""
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return {"crv": "Ed25519", "kty": "OKP", "x": b64url_encode(raw)}


def did_jwk_for(key: ed25519.Ed25519PublicKey) -> str:
    """Return the ``did:jwk`` of a key: its JWK as compact JSON, base64url-encoded."""
    text = json.dumps(public_jwk(key), separators=(",", ":"), sort_keys=True)
    return "did:jwk:" + b64url_encode(text.encode("utf-8"))


def did_key_method(key: ed25519.Ed25519PublicKey) -> str:
    """Return the ``did:key`` verification method id (``did:key:z6Mk…#z6Mk…``)."""
    return f"{did_key_for(key)}#{ed25519_multikey(key)}"


def did_jwk_method(key: ed25519.Ed25519PublicKey) -> str:
    """Return the ``did:jwk`` verification method id (``did:jwk:…#0``)."""
    return did_jwk_for(key) + "#0"


def key_of_did_jwk(did: str) -> ed25519.Ed25519PublicKey | None:
    """Return the Ed25519 key a ``did:jwk`` names, or None when it names another kind."""
    if not did.startswith("did:jwk:"):
        return None
    try:
        jwk = json.loads(b64url_decode(did[len("did:jwk:") :].split("#", 1)[0]))
        if jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519":
            return None
        return ed25519.Ed25519PublicKey.from_public_bytes(b64url_decode(jwk["x"]))
    except (BadgeError, ValueError, KeyError, TypeError, AttributeError):
        return None
