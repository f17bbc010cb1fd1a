"""Compact JWS: algorithms pinned to key types, JWK/PEM keys, hostile headers."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.openbadges.fakes import OB20
from wallet.openbadges.errors import ParseError
from wallet.openbadges.errors import TooLarge
from wallet.openbadges.jose import InvalidSignature
from wallet.openbadges.jose import PrivateKey
from wallet.openbadges.jose import b64url_encode
from wallet.openbadges.jose import decode_unverified
from wallet.openbadges.jose import key_from_jwk
from wallet.openbadges.jose import key_from_pem
from wallet.openbadges.jose import sign_compact
from wallet.openbadges.jose import verify_compact
from wallet.openbadges.limits import Limits

PAYLOAD = {"hello": "world", "n": 1}


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def keys(rsa_key: rsa.RSAPrivateKey) -> dict[str, PrivateKey]:
    return {
        "rsa": rsa_key,
        "p256": ec.generate_private_key(ec.SECP256R1()),
        "p384": ec.generate_private_key(ec.SECP384R1()),
        "ed": ed25519.Ed25519PrivateKey.generate(),
    }


@pytest.mark.parametrize(
    ("name", "alg"),
    [
        ("rsa", "RS256"),
        ("rsa", "RS384"),
        ("rsa", "RS512"),
        ("rsa", "PS256"),
        ("p256", "ES256"),
        ("p384", "ES384"),
        ("ed", "EdDSA"),
    ],
)
def test_round_trip_every_algorithm(keys: dict[str, PrivateKey], name: str, alg: str) -> None:
    token = sign_compact(PAYLOAD, keys[name], alg)
    assert verify_compact(token, keys[name].public_key()) == PAYLOAD
    header, payload = decode_unverified(token)
    assert header["alg"] == alg and payload == PAYLOAD


def _tamper(token: str) -> str:
    head, _body, sig = token.split(".")
    return f"{head}.{b64url_encode(json.dumps({'hello': 'mallory'}).encode())}.{sig}"


@pytest.mark.parametrize(("name", "alg"), [("rsa", "RS256"), ("p256", "ES256"), ("ed", "EdDSA")])
def test_tampered_payload_fails(keys: dict[str, PrivateKey], name: str, alg: str) -> None:
    token = sign_compact(PAYLOAD, keys[name], alg)
    with pytest.raises(InvalidSignature):
        verify_compact(_tamper(token), keys[name].public_key())


def test_other_key_fails(keys: dict[str, PrivateKey]) -> None:
    token = sign_compact(PAYLOAD, keys["p256"], "ES256")
    other = ec.generate_private_key(ec.SECP256R1()).public_key()
    with pytest.raises(InvalidSignature):
        verify_compact(token, other)


def _unsigned(header: dict[str, Any], signature: bytes = b"") -> str:
    head = b64url_encode(json.dumps(header).encode())
    body = b64url_encode(json.dumps(PAYLOAD).encode())
    return f"{head}.{body}.{b64url_encode(signature)}"


def test_alg_none_is_refused(keys: dict[str, PrivateKey]) -> None:
    for name in keys:
        with pytest.raises(InvalidSignature):
            verify_compact(_unsigned({"alg": "none"}), keys[name].public_key())


def test_hs256_with_public_key_as_secret_is_refused(rsa_key: rsa.RSAPrivateKey) -> None:
    pem = rsa_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    head = b64url_encode(b'{"alg":"HS256"}')
    body = b64url_encode(json.dumps(PAYLOAD).encode())
    mac = hmac.new(pem, f"{head}.{body}".encode(), hashlib.sha256).digest()
    with pytest.raises(InvalidSignature):
        verify_compact(f"{head}.{body}.{b64url_encode(mac)}", rsa_key.public_key())


def test_swapped_algorithm_rsa_key_with_es256(keys: dict[str, PrivateKey]) -> None:
    token = sign_compact(PAYLOAD, keys["p256"], "ES256")
    with pytest.raises(InvalidSignature):
        verify_compact(token, keys["rsa"].public_key())
    rsa_token = sign_compact(PAYLOAD, keys["rsa"], "RS256")
    with pytest.raises(InvalidSignature):
        verify_compact(rsa_token, keys["p256"].public_key())
    with pytest.raises(InvalidSignature):
        verify_compact(rsa_token, keys["ed"].public_key())


def test_es384_header_on_p256_key_is_refused(keys: dict[str, PrivateKey]) -> None:
    token = sign_compact(PAYLOAD, keys["p384"], "ES384")
    with pytest.raises(InvalidSignature):
        verify_compact(token, keys["p256"].public_key())


def test_algorithm_allow_list_narrows(keys: dict[str, PrivateKey]) -> None:
    token = sign_compact(PAYLOAD, keys["rsa"], "PS256")
    with pytest.raises(InvalidSignature):
        verify_compact(token, keys["rsa"].public_key(), algorithms={"RS256"})


def test_crit_and_unencoded_payload_are_refused(keys: dict[str, PrivateKey]) -> None:
    for extra in ({"crit": ["exp"]}, {"b64": False, "crit": ["b64"]}):
        token = sign_compact(PAYLOAD, keys["ed"], "EdDSA", header=extra)
        with pytest.raises(InvalidSignature):
            verify_compact(token, keys["ed"].public_key())


def test_wrong_length_ecdsa_signature(keys: dict[str, PrivateKey]) -> None:
    token = sign_compact(PAYLOAD, keys["p256"], "ES256")
    head, body, _ = token.split(".")
    with pytest.raises(InvalidSignature):
        verify_compact(f"{head}.{body}.{b64url_encode(b'x' * 70)}", keys["p256"].public_key())


def test_short_rsa_key_is_refused() -> None:
    weak = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    token = sign_compact(PAYLOAD, weak, "RS256")
    with pytest.raises(InvalidSignature):
        verify_compact(token, weak.public_key())


@pytest.mark.parametrize(
    "token",
    [
        "",
        "a.b",
        "a.b.c.d",
        ".e30.",
        "e30..sig",
        "e30.e30.!!!",
        "bm90anNvbg.e30.",
        b64url_encode(b"[1]") + ".e30.",
        "e30." + b64url_encode(b'"text"') + ".",
    ],
)
def test_malformed_tokens_raise_parse_error(token: str) -> None:
    with pytest.raises(ParseError):
        decode_unverified(token)


def test_oversized_token_is_too_large() -> None:
    with pytest.raises(TooLarge):
        decode_unverified("e30." + "A" * 2000 + ".", limits=Limits(max_jws_bytes=1000))


def _b64int(value: int, size: int) -> str:
    return b64url_encode(value.to_bytes(size, "big"))


def test_keys_from_jwk(keys: dict[str, PrivateKey]) -> None:
    rsa_pub = keys["rsa"].public_key()
    assert isinstance(rsa_pub, rsa.RSAPublicKey)
    numbers = rsa_pub.public_numbers()
    jwk = {"kty": "RSA", "n": _b64int(numbers.n, 256), "e": _b64int(numbers.e, 3)}
    token = sign_compact(PAYLOAD, keys["rsa"], "RS256")
    assert verify_compact(token, key_from_jwk(jwk)) == PAYLOAD

    ec_pub = keys["p256"].public_key()
    assert isinstance(ec_pub, ec.EllipticCurvePublicKey)
    point = ec_pub.public_numbers()
    ec_jwk = {"kty": "EC", "crv": "P-256", "x": _b64int(point.x, 32), "y": _b64int(point.y, 32)}
    token = sign_compact(PAYLOAD, keys["p256"], "ES256")
    assert verify_compact(token, key_from_jwk(ec_jwk)) == PAYLOAD

    raw = (
        keys["ed"]
        .public_key()
        .public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    )
    ed_jwk = {"kty": "OKP", "crv": "Ed25519", "x": b64url_encode(raw)}
    token = sign_compact(PAYLOAD, keys["ed"], "EdDSA")
    assert verify_compact(token, key_from_jwk(ed_jwk)) == PAYLOAD


@pytest.mark.parametrize(
    "jwk",
    [
        {"kty": "oct", "k": "c2VjcmV0"},
        {"kty": "EC", "crv": "secp256k1", "x": "AA", "y": "AA"},
        {"kty": "OKP", "crv": "X25519", "x": "AA"},
        {"kty": "RSA", "n": "AQAB", "e": "AQAB", "d": "AQAB"},
    ],
)
def test_unsupported_or_private_jwk(jwk: dict[str, str]) -> None:
    with pytest.raises(InvalidSignature):
        key_from_jwk(jwk)


def test_broken_jwk_is_parse_error() -> None:
    with pytest.raises(ParseError):
        key_from_jwk({"kty": "EC", "crv": "P-256", "x": "AAAA", "y": "AAAA"})
    with pytest.raises(ParseError):
        key_from_jwk({"kty": "RSA", "e": "AQAB"})


def test_pem_keys(keys: dict[str, PrivateKey]) -> None:
    for name in ("rsa", "p256", "ed"):
        pem = (
            keys[name]
            .public_key()
            .public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        )
        assert (
            key_from_pem(pem.decode()).public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            == pem
        )
    with pytest.raises(ParseError):
        key_from_pem("-----BEGIN PUBLIC KEY-----\nnonsense\n-----END PUBLIC KEY-----")


def test_upstream_ob20_vector_verifies_with_key1() -> None:
    if not OB20.is_dir():
        pytest.skip("shared vectors not present at ../shared/vectors")
    key_doc = json.loads((OB20 / "assets/key1.json").read_text())
    token = (OB20 / "simple.jwt").read_text().strip()
    payload = verify_compact(token, key_from_pem(key_doc["publicKeyPem"]))
    assert payload["verification"]["creator"] == "http://example.org/key1.json"
    wrong = json.loads((OB20 / "assets/key2.json").read_text())
    with pytest.raises(InvalidSignature):
        verify_compact(token, key_from_pem(wrong["publicKeyPem"]))


def test_padding_in_segment_is_refused() -> None:
    head = base64.urlsafe_b64encode(b'{"alg":"RS256"} ').decode()
    assert head.endswith("=")
    with pytest.raises(ParseError):
        decode_unverified(f"{head}.e30.")
