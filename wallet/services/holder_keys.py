"""Holders' own keys: one Ed25519 pair each, sealed at rest like issuers' keys, used to sign.

The key proves possession to OpenID4VCI issuers (the credential is bound to the holder's DID)
and signs the holder's presentations. The wallet holds it for the holder (custodial): a
presentation proves that this wallet, for this account, signed it, nothing more.
"""

from __future__ import annotations

import os
from datetime import datetime
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from wallet.extensions import db
from wallet.models import HolderKey
from wallet.models import User
from wallet.openbadges import holder
from wallet.openbadges.keys import did_key_for
from wallet.openbadges.signing import sign_presentation

_SEAL_VERSION = b"\x01"


class KeyUnavailable(RuntimeError):
    """The holder's key cannot be unsealed (the sealing secret changed)."""


def _sealing_key() -> bytes:
    """Derive the key that encrypts holders' private keys (the secret that seals issuers')."""
    secret = current_app.config.get("ISSUER_KEY_SECRET") or current_app.config["SECRET_KEY"]
    return HKDF(
        algorithm=hashes.SHA256(),
        length=32,
        salt=b"wallet.holder-keys",
        info=b"holder private key v1",
    ).derive(str(secret).encode("utf-8"))


def _associated(user_id: int) -> bytes:
    # Bound to the account: a sealed key copied to another row does not open.
    return f"holder:{user_id}".encode()


def _seal(key: ed25519.Ed25519PrivateKey, user_id: int) -> bytes:
    raw = key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    nonce = os.urandom(12)
    return _SEAL_VERSION + nonce + AESGCM(_sealing_key()).encrypt(nonce, raw, _associated(user_id))


def key_row(user: User) -> HolderKey | None:
    """Return the holder's key row, if the holder has one yet."""
    return db.session.scalar(select(HolderKey).where(HolderKey.user_id == user.id))


def ensure(user: User) -> HolderKey:
    """Return the holder's key row, making the pair on first use (committed)."""
    row = key_row(user)
    if row is not None:
        return row
    private = ed25519.Ed25519PrivateKey.generate()
    public = private.public_key()
    row = HolderKey(
        user_id=user.id,
        private_key_sealed=_seal(private, user.id),
        did_key=did_key_for(public),
        did_jwk=holder.did_jwk_for(public),
    )
    db.session.add(row)
    try:
        db.session.commit()
    except IntegrityError:
        # Two first uses at once (two tabs): the other request's key stands.
        db.session.rollback()
        row = key_row(user)
        if row is None:
            raise
    return row


def private_key(row: HolderKey) -> ed25519.Ed25519PrivateKey:
    """Unseal a holder's private key; raise KeyUnavailable when the secret changed."""
    sealed = row.private_key_sealed
    if not sealed.startswith(_SEAL_VERSION) or len(sealed) < 13:
        raise KeyUnavailable("stored holder key has an unknown format")
    try:
        raw = AESGCM(_sealing_key()).decrypt(sealed[1:13], sealed[13:], _associated(row.user_id))
    except InvalidTag:
        raise KeyUnavailable("holder key cannot be decrypted (secret changed?)") from None
    return ed25519.Ed25519PrivateKey.from_private_bytes(raw)


def dids_of(user: User) -> frozenset[str]:
    """Return the holder's own DIDs (empty before the key pair exists)."""
    row = key_row(user)
    return frozenset() if row is None else frozenset({row.did_key, row.did_jwk})


def method_for(row: HolderKey, binding: str) -> str:
    """Return the verification method id for a binding method (``did:key`` or ``did:jwk``)."""
    public = private_key(row).public_key()
    if binding == "did:jwk":
        return holder.did_jwk_method(public)
    return holder.did_key_method(public)


def sign(row: HolderKey, data: bytes) -> bytes:
    """Sign bytes with the holder's key (EdDSA)."""
    return private_key(row).sign(data)


def sign_vp(
    row: HolderKey,
    presentation: dict[str, Any],
    created: datetime,
    *,
    challenge: str | None = None,
    domain: str | None = None,
) -> dict[str, Any]:
    """Return the presentation signed with the holder's did:key (eddsa-rdfc-2022)."""
    key = private_key(row)
    return sign_presentation(
        presentation,
        key,
        holder.did_key_method(key.public_key()),
        created,
        challenge=challenge,
        domain=domain,
    )
