"""Issuer signing keys: Ed25519 private keys sealed for storage, and unsealed to sign."""

from __future__ import annotations

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app

from wallet.models import Issuer
from wallet.services.issuing.errors import IssuingError

_SEAL_VERSION = b"\x01"


def _sealing_key() -> bytes:
    """Derive the key that encrypts issuer private keys (ISSUER_KEY_SECRET, else SECRET_KEY).

    A separate ISSUER_KEY_SECRET lets the session secret rotate without losing issuer keys.
    """
    secret = current_app.config.get("ISSUER_KEY_SECRET") or current_app.config["SECRET_KEY"]
    return HKDF(
        algorithm=hashes.SHA256(),
        length=32,
        salt=b"wallet.issuer-keys",
        info=b"issuer private key v1",
    ).derive(str(secret).encode("utf-8"))


def seal_private_key(key: ed25519.Ed25519PrivateKey, slug: str) -> bytes:
    """Encrypt a private key for storage (AES-256-GCM, bound to the issuer's slug)."""
    raw = key.private_bytes(
        serialization.Encoding.Raw,
        serialization.PrivateFormat.Raw,
        serialization.NoEncryption(),
    )
    nonce = os.urandom(12)
    return _SEAL_VERSION + nonce + AESGCM(_sealing_key()).encrypt(nonce, raw, slug.encode())


def private_key_of(issuer: Issuer) -> ed25519.Ed25519PrivateKey:
    """Decrypt the issuer's private key; raise IssuingError when the secret changed."""
    sealed = issuer.private_key_sealed
    if not sealed.startswith(_SEAL_VERSION) or len(sealed) < 13:
        raise IssuingError("key_unreadable", "stored issuer key has an unknown format")
    nonce, body = sealed[1:13], sealed[13:]
    try:
        raw = AESGCM(_sealing_key()).decrypt(nonce, body, issuer.slug.encode())
    except InvalidTag:
        raise IssuingError(
            "key_unreadable", "issuer key cannot be decrypted (ISSUER_KEY_SECRET changed?)"
        ) from None
    return ed25519.Ed25519PrivateKey.from_private_bytes(raw)
