"""Verification keys: multibase/multikey, did:key, did:web and controller documents resolved."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from typing import Literal
from urllib.parse import unquote
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric import ed25519

from wallet.openbadges.errors import BadgeError
from wallet.openbadges.errors import FetchError
from wallet.openbadges.fetch import Fetcher
from wallet.openbadges.jose import PublicKey
from wallet.openbadges.jose import key_from_jwk
from wallet.openbadges.jsonutil import loads_object

ACCEPT_DID = "application/did+ld+json, application/did+json, application/ld+json, application/json"
ACCEPT_JSON = "application/ld+json, application/json"
ACCEPT_JWKS = "application/jwk-set+json, application/json"

_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_INDEX = {char: index for index, char in enumerate(_B58)}
_ED25519_PREFIX = b"\xed\x01"
_P256_PREFIX = b"\x80\x24"
_P384_PREFIX = b"\x81\x24"
_MAX_MULTIBASE = 200

Source = Literal["did:key", "did:web", "fragment", "document", "jwk", "jwks"]


class KeyProblem(BadgeError):
    """A verification key could not be obtained; ``unverifiable`` when only the network failed."""

    code = "ob3.key.invalid"

    def __init__(self, message: str, *, code: str | None = None, unverifiable: bool = False):
        super().__init__(message, code=code)
        self.unverifiable = unverifiable


@dataclass(frozen=True)
class Method:
    """A resolved verification method: the key, who controls it, and how it was found."""

    id: str
    key: PublicKey
    controller: str | None
    source: Source
    multibase: str | None = None


def b58encode(data: bytes) -> str:
    """Encode bytes as base58btc (Bitcoin alphabet)."""
    number = int.from_bytes(data, "big")
    out = ""
    while number:
        number, rest = divmod(number, 58)
        out = _B58[rest] + out
    zeros = len(data) - len(data.lstrip(b"\0"))
    return "1" * zeros + out


def b58decode(text: str) -> bytes:
    """Decode base58btc; raise KeyProblem on a foreign character."""
    number = 0
    for char in text:
        index = _B58_INDEX.get(char)
        if index is None:
            raise KeyProblem("invalid base58 character", code="ob3.key.malformed")
        number = number * 58 + index
    zeros = len(text) - len(text.lstrip("1"))
    body = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
    return b"\0" * zeros + body


def multibase_decode(value: str) -> bytes:
    """Decode a multibase string: ``z`` base58btc or ``u`` base64url (no padding)."""
    if not value or len(value) > 100_000:
        raise KeyProblem("empty or oversized multibase value", code="ob3.key.malformed")
    prefix, body = value[0], value[1:]
    if prefix == "z":
        return b58decode(body)
    if prefix == "u":
        try:
            return base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        except (binascii.Error, ValueError) as exc:
            raise KeyProblem("invalid base64url multibase", code="ob3.key.malformed") from exc
    raise KeyProblem("unsupported multibase prefix", code="ob3.key.malformed")


def decode_multikey(value: str) -> PublicKey:
    """Decode a ``publicKeyMultibase``: Ed25519 ``z6Mk…``, P-256 ``zDn…``, P-384 ``z82…``."""
    if not isinstance(value, str) or len(value) > _MAX_MULTIBASE or not value.startswith("z"):
        raise KeyProblem("public key is not a base58btc multikey", code="ob3.key.malformed")
    return multikey_from_bytes(multibase_decode(value))


def multikey_from_bytes(raw: bytes) -> PublicKey:
    """Decode the bytes of a Multikey (multicodec header, then the key); raise KeyProblem."""
    try:
        if raw.startswith(_ED25519_PREFIX) and len(raw) == 34:
            return ed25519.Ed25519PublicKey.from_public_bytes(raw[2:])
        if raw.startswith(_P256_PREFIX) and len(raw) == 35:
            return ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw[2:])
        if raw.startswith(_P384_PREFIX) and len(raw) == 51:
            return ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP384R1(), raw[2:])
    except ValueError as exc:
        raise KeyProblem("invalid public key bytes", code="ob3.key.malformed") from exc
    raise KeyProblem("unsupported multikey type", code="ob3.key.malformed")


def ec_multikey_bytes(key: ec.EllipticCurvePublicKey) -> bytes:
    """Return the Multikey bytes of a P-256 or P-384 key (header, compressed point)."""
    from cryptography.hazmat.primitives import serialization

    prefix = {"secp256r1": _P256_PREFIX, "secp384r1": _P384_PREFIX}.get(key.curve.name)
    if prefix is None:
        raise ValueError(f"no Multikey encoding for curve {key.curve.name}")
    point = key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.CompressedPoint
    )
    return prefix + point


def ec_multikey(key: ec.EllipticCurvePublicKey) -> str:
    """Return the ``zDn…`` (P-256) or ``z82…`` (P-384) Multikey encoding of a public key."""
    return "z" + b58encode(ec_multikey_bytes(key))


def ed25519_multikey(key: ed25519.Ed25519PublicKey) -> str:
    """Return the ``z6Mk…`` Multikey encoding of an Ed25519 public key."""
    from cryptography.hazmat.primitives import serialization

    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return "z" + b58encode(_ED25519_PREFIX + raw)


def did_key_for(key: ed25519.Ed25519PublicKey) -> str:
    """Return the ``did:key`` identifier of an Ed25519 public key."""
    return "did:key:" + ed25519_multikey(key)


def split_fragment(url: str) -> tuple[str, str]:
    """Split ``url`` at the first ``#``; the fragment is ``""`` when absent."""
    base, _, fragment = url.partition("#")
    return base, fragment


def resolve_did_key(did_url: str) -> Method:
    """Resolve a ``did:key`` (with or without a fragment) locally."""
    did, fragment = split_fragment(did_url)
    multibase = did[len("did:key:") :]
    if fragment and fragment != multibase:
        raise KeyProblem("did:key fragment does not match the key", code="ob3.key.malformed")
    key = decode_multikey(multibase)
    return Method(
        id=f"{did}#{multibase}", key=key, controller=did, source="did:key", multibase=multibase
    )


def did_web_url(did: str) -> str:
    """Return the HTTPS URL of a ``did:web`` DID document (port as ``%3A``, path as ``:``)."""
    if not did.startswith("did:web:"):
        raise KeyProblem("not a did:web identifier", code="ob3.key.malformed")
    parts = did[len("did:web:") :].split(":")
    host = unquote(parts[0])
    if not host or any(char in host for char in "/?#@\\ ") or not all(parts):
        raise KeyProblem("malformed did:web identifier", code="ob3.key.malformed")
    path = "/".join(unquote(part) for part in parts[1:])
    if any(segment in ("", ".", "..") for segment in path.split("/")) and path:
        raise KeyProblem("malformed did:web path", code="ob3.key.malformed")
    return f"https://{host}/{path}/did.json" if path else f"https://{host}/.well-known/did.json"


def fetch_json(fetcher: Fetcher, url: str, accept: str) -> dict[str, Any]:
    """GET a JSON object through the fetcher; raise KeyProblem (unverifiable if unreachable)."""
    try:
        response = fetcher.fetch(url, accept=accept)
    except FetchError as exc:
        raise KeyProblem(
            "key document could not be retrieved", code="ob3.key.unreachable", unverifiable=True
        ) from exc
    if response.status != 200:
        raise KeyProblem(
            f"key document answered HTTP {response.status}",
            code="ob3.key.unreachable",
            unverifiable=True,
        )
    try:
        return loads_object(response.body)
    except BadgeError as exc:
        raise KeyProblem("key document is not a JSON object", code="ob3.key.malformed") from exc


def _absolute(reference: str, base: str) -> str:
    return base + reference if reference.startswith("#") else reference


def _method_key(entry: Mapping[str, Any]) -> tuple[PublicKey, str | None]:
    multibase = entry.get("publicKeyMultibase")
    if isinstance(multibase, str):
        return decode_multikey(multibase), multibase
    jwk = entry.get("publicKeyJwk")
    if isinstance(jwk, Mapping):
        try:
            return key_from_jwk(jwk), None
        except BadgeError as exc:
            raise KeyProblem("unusable publicKeyJwk", code="ob3.key.malformed") from exc
    raise KeyProblem("verification method has no usable public key", code="ob3.key.malformed")


def _listed(document: Mapping[str, Any], relationship: str, base: str) -> list[Any]:
    value = document.get(relationship)
    items = value if isinstance(value, list) else [value] if value is not None else []
    return [
        _absolute(item, base) if isinstance(item, str) else item
        for item in items
        if isinstance(item, str | dict)
    ]


def find_method(
    document: Mapping[str, Any],
    method_id: str,
    *,
    purpose: str | None = "assertionMethod",
    source: Source = "document",
) -> Method:
    """Find ``method_id`` in a DID/controller document, checking the ``purpose`` relationship.

    ``purpose=None`` skips the relationship check (used for plain controller documents that
    list no relationships at all).
    """
    base = str(document.get("id", ""))
    candidates: list[Mapping[str, Any]] = [
        entry
        for entry in _listed(document, "verificationMethod", base)
        + _listed(document, "publicKey", base)
        + _listed(document, purpose or "assertionMethod", base)
        if isinstance(entry, Mapping)
    ]
    entry = next(
        (c for c in candidates if _absolute(str(c.get("id", "")), base) == method_id), None
    )
    if entry is None:
        raise KeyProblem("verification method not found in its document", code="ob3.key.unknown")
    if purpose is not None:
        allowed = {
            item if isinstance(item, str) else _absolute(str(item.get("id", "")), base)
            for item in _listed(document, purpose, base)
        }
        if method_id not in allowed:
            raise KeyProblem(
                f"verification method is not authorised for {purpose}", code="ob3.key.purpose"
            )
    key, multibase = _method_key(entry)
    controller = entry.get("controller", base)
    return Method(
        id=method_id,
        key=key,
        controller=str(controller) if controller else None,
        source=source,
        multibase=multibase,
    )


def resolve_did_web(did_url: str, fetcher: Fetcher, *, purpose: str = "assertionMethod") -> Method:
    """Resolve a ``did:web`` verification method through the fetcher (purpose checked)."""
    did, fragment = split_fragment(did_url)
    document = fetch_json(fetcher, did_web_url(did), ACCEPT_DID)
    if document.get("id") != did:
        raise KeyProblem("DID document id does not match the DID", code="ob3.key.malformed")
    if not fragment:
        # A bare DID: the only assertion key, if there is exactly one.
        listed = _listed(document, purpose, did)
        if len(listed) != 1:
            raise KeyProblem("DID names no single assertion key", code="ob3.key.unknown")
        item = listed[0]
        did_url = item if isinstance(item, str) else _absolute(str(item.get("id", "")), did)
    method = find_method(document, did_url, purpose=purpose, source="did:web")
    # The document's own DID controls what it lists under assertionMethod; a `controller`
    # written inside the entry is only a claim (another DID's document can name anyone).
    return Method(method.id, method.key, did, "did:web", method.multibase)


def resolve_https(method_id: str, fetcher: Fetcher, *, purpose: str = "assertionMethod") -> Method:
    """Resolve an HTTPS verification method: a ``controller#z6Mk…`` fragment or a document."""
    base, fragment = split_fragment(method_id)
    if fragment.startswith(("z6Mk", "zDn", "z82")):
        # The 1EdTech convention: the fragment *is* the key. Whether the issuer really holds
        # it is decided separately, from the issuer's own documents (binding.py).
        return Method(
            id=method_id,
            key=decode_multikey(fragment),
            controller=base,
            source="fragment",
            multibase=fragment,
        )
    document = fetch_json(fetcher, base, ACCEPT_JSON)
    if document.get("id") == method_id or not fragment and "publicKeyMultibase" in document:
        # A key document on its own; the issuer's profile must list it (binding.py).
        key, multibase = _method_key(document)
        controller = document.get("controller")
        return Method(
            id=method_id,
            key=key,
            controller=str(controller) if isinstance(controller, str) else None,
            source="document",
            multibase=multibase,
        )
    has_relationships = purpose in document
    return find_method(
        document, method_id, purpose=purpose if has_relationships else None, source="document"
    )


def resolve_method(method_id: str, fetcher: Fetcher, *, purpose: str = "assertionMethod") -> Method:
    """Resolve any supported verification method id to a key; raise KeyProblem."""
    if not isinstance(method_id, str) or not method_id or len(method_id) > 2048:
        raise KeyProblem("missing verification method", code="ob3.key.missing")
    if method_id.startswith("did:key:"):
        return resolve_did_key(method_id)
    if method_id.startswith("did:web:"):
        return resolve_did_web(method_id, fetcher, purpose=purpose)
    if method_id.startswith("did:"):
        raise KeyProblem("unsupported DID method", code="ob3.key.unsupported", unverifiable=True)
    scheme = urlsplit(method_id).scheme.lower()
    if scheme in ("https", "http"):
        return resolve_https(method_id, fetcher, purpose=purpose)
    raise KeyProblem("unsupported verification method scheme", code="ob3.key.unsupported")
