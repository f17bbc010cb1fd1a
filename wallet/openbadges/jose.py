"""Compact JWS parsing and verification with an algorithm allow-list pinned to the key type."""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Collection
from collections.abc import Mapping
from typing import Any
from typing import TypeAlias

from cryptography.exceptions import InvalidSignature as _CryptoInvalidSignature
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from wallet.openbadges.errors import BadgeError
from wallet.openbadges.errors import ParseError
from wallet.openbadges.errors import TooLarge
from wallet.openbadges.jsonutil import loads_object
from wallet.openbadges.limits import DEFAULT_LIMITS
from wallet.openbadges.limits import Limits

PublicKey: TypeAlias = rsa.RSAPublicKey | ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey
PrivateKey: TypeAlias = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey

MIN_RSA_BITS = 2048
_SEGMENT = re.compile(r"^[A-Za-z0-9_-]*$")
_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "256": hashes.SHA256,
    "384": hashes.SHA384,
    "512": hashes.SHA512,
}
_CURVE_ALG = {"secp256r1": "ES256", "secp384r1": "ES384"}
_CURVE_SIZE = {"secp256r1": 32, "secp384r1": 48}
_JWK_CURVES: dict[str, ec.EllipticCurve] = {"P-256": ec.SECP256R1(), "P-384": ec.SECP384R1()}


class InvalidSignature(BadgeError):
    """The JWS signature, its algorithm or its key is not acceptable."""

    code = "signature.invalid"


def b64url_decode(segment: str) -> bytes:
    """Decode unpadded base64url strictly; raise ParseError on any other alphabet."""
    if not _SEGMENT.match(segment) or len(segment) % 4 == 1:
        raise ParseError("invalid base64url segment")
    try:
        return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    except (binascii.Error, ValueError) as exc:
        raise ParseError("invalid base64url segment") from exc


def b64url_encode(data: bytes) -> str:
    """Encode bytes as unpadded base64url."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _split(token: str, limits: Limits) -> tuple[str, str, str]:
    token = token.strip()
    if len(token) > limits.max_jws_bytes:
        raise TooLarge("JWS too large")
    parts = token.split(".")
    if len(parts) != 3 or not parts[0] or not parts[1]:
        raise ParseError("not a compact JWS (header.payload.signature)")
    if not all(_SEGMENT.match(part) for part in parts):
        raise ParseError("JWS segment is not base64url")
    return parts[0], parts[1], parts[2]


def decode_unverified(
    token: str, *, limits: Limits = DEFAULT_LIMITS
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Return ``(header, payload)`` of a compact JWS without checking the signature."""
    try:
        head, body, _sig = _split(token, limits)
        header = loads_object(b64url_decode(head), limits=limits)
        payload = loads_object(b64url_decode(body), limits=limits)
    except TooLarge:
        raise
    except ParseError as exc:
        # A line and column inside a base64url segment would mean nothing to a person.
        exc.reason, exc.params = "input.jws_damaged", {}
        raise
    return header, payload


def allowed_algorithms(key: PublicKey) -> frozenset[str]:
    """Return the JWS algorithms this key may verify (never ``none`` or HMAC)."""
    if isinstance(key, rsa.RSAPublicKey):
        return frozenset({"RS256", "RS384", "RS512", "PS256", "PS384", "PS512"})
    if isinstance(key, ec.EllipticCurvePublicKey):
        alg = _CURVE_ALG.get(key.curve.name)
        return frozenset({alg}) if alg else frozenset()
    if isinstance(key, ed25519.Ed25519PublicKey):
        return frozenset({"EdDSA", "Ed25519"})
    return frozenset()


def _check_key(key: object) -> PublicKey:
    if isinstance(key, rsa.RSAPublicKey):
        if key.key_size < MIN_RSA_BITS:
            raise InvalidSignature(f"RSA key shorter than {MIN_RSA_BITS} bits")
        return key
    if isinstance(key, ec.EllipticCurvePublicKey):
        if key.curve.name not in _CURVE_ALG:
            raise InvalidSignature(f"unsupported elliptic curve {key.curve.name}")
        return key
    if isinstance(key, ed25519.Ed25519PublicKey):
        return key
    raise InvalidSignature("unsupported public key type")


def key_from_pem(pem: str | bytes) -> PublicKey:
    """Load a public key (RSA, P-256, P-384 or Ed25519) from PEM text."""
    # The serialization package (PEM, SSH, PKCS#12 readers) is slow to import and only
    # OB 2.0 keys come as PEM.
    from cryptography.hazmat.primitives import serialization

    data = pem.encode("ascii", "replace") if isinstance(pem, str) else pem
    try:
        key = serialization.load_pem_public_key(data.strip())
    except (ValueError, UnsupportedAlgorithm, TypeError) as exc:
        raise ParseError("unreadable PEM public key") from exc
    return _check_key(key)


def _jwk_int(jwk: Mapping[str, Any], name: str) -> int:
    value = jwk.get(name)
    if not isinstance(value, str):
        raise ParseError(f"JWK member {name!r} missing")
    return int.from_bytes(b64url_decode(value), "big")


def key_from_jwk(jwk: Mapping[str, Any]) -> PublicKey:
    """Load a public key from a JWK dict (RSA, EC P-256/P-384, OKP Ed25519); refuse private keys."""
    if "d" in jwk:
        raise InvalidSignature("JWK contains private key material")
    kty = jwk.get("kty")
    try:
        if kty == "RSA":
            return _check_key(
                rsa.RSAPublicNumbers(_jwk_int(jwk, "e"), _jwk_int(jwk, "n")).public_key()
            )
        if kty == "EC":
            curve = _JWK_CURVES.get(str(jwk.get("crv")))
            if curve is None:
                raise InvalidSignature(f"unsupported JWK curve {jwk.get('crv')!r}")
            numbers = ec.EllipticCurvePublicNumbers(_jwk_int(jwk, "x"), _jwk_int(jwk, "y"), curve)
            return _check_key(numbers.public_key())
        if kty == "OKP" and jwk.get("crv") == "Ed25519":
            x = jwk.get("x")
            if not isinstance(x, str):
                raise ParseError("JWK member 'x' missing")
            return ed25519.Ed25519PublicKey.from_public_bytes(b64url_decode(x))
    except ValueError as exc:
        raise ParseError(f"invalid JWK: {exc}") from exc
    raise InvalidSignature(f"unsupported JWK key type {kty!r}")


def _verify_raw(key: PublicKey, alg: str, signature: bytes, data: bytes) -> None:
    if isinstance(key, rsa.RSAPublicKey):
        digest = _HASHES[alg[2:]]()
        if alg.startswith("PS"):
            pss = padding.PSS(mgf=padding.MGF1(digest), salt_length=digest.digest_size)
            key.verify(signature, data, pss, digest)
        else:
            key.verify(signature, data, padding.PKCS1v15(), digest)
    elif isinstance(key, ec.EllipticCurvePublicKey):
        size = _CURVE_SIZE[key.curve.name]
        if len(signature) != 2 * size:
            raise _CryptoInvalidSignature()
        r = int.from_bytes(signature[:size], "big")
        s = int.from_bytes(signature[size:], "big")
        key.verify(encode_dss_signature(r, s), data, ec.ECDSA(_HASHES[alg[2:]]()))
    else:
        key.verify(signature, data)


def verify_compact(
    token: str,
    key: PublicKey,
    *,
    algorithms: Collection[str] | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> dict[str, Any]:
    """Verify a compact JWS with ``key`` and return its JSON payload.

    The header ``alg`` must suit the key type (and be in ``algorithms`` when given);
    ``none``, HMAC, ``crit`` and unencoded payloads are refused with InvalidSignature.
    """
    head, body, sig = _split(token, limits)
    header = loads_object(b64url_decode(head), limits=limits)
    alg = header.get("alg")
    allowed = allowed_algorithms(_check_key(key))
    if algorithms is not None:
        allowed = allowed & frozenset(algorithms)
    if not isinstance(alg, str) or alg not in allowed:
        raise InvalidSignature(f"algorithm {alg!r} not allowed for this key")
    if "crit" in header or header.get("b64") is False:
        raise InvalidSignature("JWS uses critical or unencoded-payload extensions")
    signature = b64url_decode(sig)
    try:
        _verify_raw(key, alg, signature, f"{head}.{body}".encode("ascii"))
    except _CryptoInvalidSignature as exc:
        raise InvalidSignature("signature does not verify") from exc
    return loads_object(b64url_decode(body), limits=limits)


def sign_compact(
    payload: Mapping[str, Any] | bytes,
    key: PrivateKey,
    alg: str,
    *,
    header: Mapping[str, Any] | None = None,
) -> str:
    """Sign ``payload`` as a compact JWS (used to issue badges and to build test vectors)."""
    if not isinstance(payload, bytes):
        payload = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    head = {"alg": alg, **(header or {})}
    signing_input = (
        b64url_encode(json.dumps(head, separators=(",", ":")).encode("utf-8"))
        + "."
        + b64url_encode(payload)
    )
    data = signing_input.encode("ascii")
    if isinstance(key, rsa.RSAPrivateKey):
        digest = _HASHES[alg[2:]]()
        if alg.startswith("PS"):
            pad: padding.AsymmetricPadding = padding.PSS(
                mgf=padding.MGF1(digest), salt_length=digest.digest_size
            )
        else:
            pad = padding.PKCS1v15()
        signature = key.sign(data, pad, digest)
    elif isinstance(key, ec.EllipticCurvePrivateKey):
        size = _CURVE_SIZE[key.curve.name]
        r, s = decode_dss_signature(key.sign(data, ec.ECDSA(_HASHES[alg[2:]]())))
        signature = r.to_bytes(size, "big") + s.to_bytes(size, "big")
    else:
        signature = key.sign(data)
    return signing_input + "." + b64url_encode(signature)
