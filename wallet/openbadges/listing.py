"""The keys an issuer's profile or DID document authorises, and what a retired one confirms.

A rotated-out key stays listed with ``retiredAt`` (the moment the issuer stopped signing with
it): it confirms proofs made before that moment, so badges issued before a key rotation stay
valid; a proof it made later is contradicted, and one that does not say when it was made is
unconfirmed. (``created`` is the signer's word: this catches a retired key used by mistake,
not a thief who back-dates; a stolen key is for status lists and ``revoked``, not rotation.)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC
from datetime import datetime
from typing import Any
from typing import Literal

from wallet.openbadges.errors import BadgeError
from wallet.openbadges.jose import PublicKey
from wallet.openbadges.jose import key_from_jwk
from wallet.openbadges.jose import key_from_pem
from wallet.openbadges.keys import KeyProblem
from wallet.openbadges.keys import decode_multikey
from wallet.openbadges.keys import resolve_did_key

Ownership = Literal["proven", "unconfirmed", "contradicted"]
MAX_LISTED_KEYS = 100


@dataclass(frozen=True)
class Decision:
    """Whether a key is the issuer's, and a short English note saying why."""

    ownership: Ownership
    detail: str


def same_key(a: PublicKey, b: PublicKey) -> bool:
    """Return True when two public keys are the same key (compared as SubjectPublicKeyInfo)."""
    # Imported here: a did:key badge never compares keys, and the package is slow to import.
    from cryptography.hazmat.primitives import serialization

    spki = serialization.PublicFormat.SubjectPublicKeyInfo
    der = serialization.Encoding.DER
    try:
        return a.public_bytes(der, spki) == b.public_bytes(der, spki)
    except (ValueError, TypeError):
        return False


def _entry_key(entry: Mapping[str, Any]) -> PublicKey | None:
    """Return the public key an entry carries (multikey, JWK or PEM), None when it has none."""
    try:
        multibase = entry.get("publicKeyMultibase")
        if isinstance(multibase, str):
            return decode_multikey(multibase)
        jwk = entry.get("publicKeyJwk")
        if isinstance(jwk, Mapping):
            return key_from_jwk(jwk)
        pem = entry.get("publicKeyPem")
        if isinstance(pem, str):
            return key_from_pem(pem)
    except BadgeError:
        return None
    return None


def _absolute(reference: str, base: str) -> str:
    return base + reference if reference.startswith("#") else reference


def as_items(value: Any) -> list[Any]:
    """Return a value as a list (None: empty), capped at MAX_LISTED_KEYS items."""
    if value is None:
        return []
    return (value if isinstance(value, list) else [value])[:MAX_LISTED_KEYS]


@dataclass(frozen=True)
class _Listed:
    """One key the document authorises: its id, its key when the entry carries one, and when
    the issuer retired it (``retiredAt``), if it did."""

    id: str
    key: PublicKey | None
    has_material: bool
    retired_at: datetime | None = None


def _retired_at(entry: Mapping[str, Any] | None) -> datetime | None:
    """Return an entry's ``retiredAt`` moment; an unreadable one counts as retired long ago."""
    if entry is None or "retiredAt" not in entry:
        return None
    value = entry.get("retiredAt")
    text = value[:-1] + "+00:00" if isinstance(value, str) and value.endswith("Z") else value
    try:
        moment = datetime.fromisoformat(text) if isinstance(text, str) else None
    except ValueError:
        moment = None
    if moment is None:
        return datetime.min.replace(tzinfo=UTC)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def authorised_keys(document: Mapping[str, Any]) -> list[_Listed]:
    """Return the keys a profile or DID document authorises for signing credentials.

    When the document has an ``assertionMethod`` relationship only those count; otherwise
    every ``verificationMethod`` (and OB 2.0 ``publicKey``) entry does.
    """
    base = str(document.get("id") or "")
    declared: dict[str, Mapping[str, Any]] = {}
    for name in ("verificationMethod", "publicKey"):
        for entry in as_items(document.get(name)):
            if isinstance(entry, Mapping) and isinstance(entry.get("id"), str):
                declared[_absolute(str(entry["id"]), base)] = entry
    if "assertionMethod" in document:
        items = as_items(document.get("assertionMethod"))
    else:
        items = list(declared.values()) + [
            item
            for name in ("verificationMethod", "publicKey")
            for item in as_items(document.get(name))
            if isinstance(item, str)
        ]
    found: list[_Listed] = []
    for item in items:
        if isinstance(item, str):
            ident = _absolute(item, base)
            entry = declared.get(ident)
        elif isinstance(item, Mapping):
            ident = _absolute(str(item.get("id") or ""), base)
            entry = item
        else:
            continue
        if entry is None and ident.startswith("did:key:"):
            try:
                found.append(_Listed(ident, resolve_did_key(ident).key, True))
            except KeyProblem:
                found.append(_Listed(ident, None, True))
            continue
        has_material = entry is not None and any(
            name in entry for name in ("publicKeyMultibase", "publicKeyJwk", "publicKeyPem")
        )
        key = _entry_key(entry) if entry is not None else None
        retired = _retired_at(item if isinstance(item, Mapping) else entry)
        found.append(_Listed(ident, key, has_material, retired))
    return found


def _matching(document: Mapping[str, Any], key: PublicKey, method_id: str | None) -> list[_Listed]:
    """Return the authorised entries that name this key (by key, or by a bare method id)."""
    return [
        entry
        for entry in authorised_keys(document)
        if (entry.key is not None and same_key(entry.key, key))
        or (method_id and entry.id == method_id and not entry.has_material)
    ]


def lists_key(
    document: Mapping[str, Any], key: PublicKey, method_id: str | None = None
) -> bool | None:
    """True/False when the document authorises keys with/without this one; None if it has none.

    An entry matches by the same public key, or by the method id when the entry carries no key
    material of its own (an entry naming the id with another key does not match). A retired
    entry still matches (see ``retirement``).
    """
    if not authorised_keys(document):
        return None
    return bool(_matching(document, key, method_id))


def retirement(
    document: Mapping[str, Any], key: PublicKey, method_id: str | None, signed_at: datetime | None
) -> Decision | None:
    """Return the decision a retired key forces for a proof made at ``signed_at``, else None.

    None when an entry that names the key is not retired, or retired after the proof was made.
    """
    matches = _matching(document, key, method_id)
    if not matches:
        return None
    retired = [entry.retired_at for entry in matches]
    if any(moment is None for moment in retired):
        return None
    last = max(moment for moment in retired if moment is not None)
    stamp = last.strftime("%Y-%m-%dT%H:%M:%SZ") if last.year > 1 else "an unreadable date"
    if signed_at is None:
        return Decision(
            "unconfirmed",
            f"the issuer retired this key on {stamp}; the proof does not say when it was made",
        )
    if signed_at <= last:
        return None
    return Decision("contradicted", f"signed after the issuer retired this key on {stamp}")
