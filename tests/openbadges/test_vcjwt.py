"""VC-JWT: VC 1.1 and 2.0 shapes, EdDSA/ES256/RS256, keys from kid or jwk, claims, provenance."""

from __future__ import annotations

import json
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.openbadges import v3_fixtures as fx
from tests.openbadges.fakes import FakeFetcher
from wallet.openbadges import vcjwt
from wallet.openbadges.jose import b64url_encode

JWKS = "https://issuer.example/.well-known/jwks.json"


def _ids(result: vcjwt.JwtResult) -> list[tuple[str, str]]:
    return [(c.status, c.message_id) for c in result.checks]


def _verify(token: str, fake: FakeFetcher | None = None) -> vcjwt.JwtResult:
    return vcjwt.verify_vc_jwt(token, fetcher=fake or FakeFetcher(), now=fx.NOW)


def test_vc2_eddsa_with_did_key_kid() -> None:
    result = _verify(fx.jwt(fx.credential(fx.DID_KEY)))
    assert result.signature_ok and result.vc_version == "2.0"
    assert _ids(result) == [
        ("passed", "ob3.jwt.valid"),
        ("passed", "ob3.jwt.claims_ok"),
        ("passed", "ob3.key.issuer_ok"),
    ]
    assert result.credential is not None and result.credential["issuer"]["id"] == fx.DID_KEY


def test_vc11_shape() -> None:
    doc = fx.credential(fx.DID_KEY, version="1.1")
    result = _verify(fx.jwt(doc, version="1.1"))
    assert result.vc_version == "1.1" and result.signature_ok
    assert ("passed", "ob3.jwt.claims_ok") in _ids(result)
    mismatch = _verify(fx.jwt(fx.credential(fx.DID_KEY), version="1.1"))
    assert ("failed", "ob3.jwt.shape_mismatch") in _ids(mismatch)


def test_es256_header_jwk_confirmed_by_jwks() -> None:
    key = fx.p256_key("jwt-issuer")
    jwk = fx.p256_jwk(key)
    token = fx.jwt(fx.credential(), key=key, alg="ES256", kid=None, jwk=jwk)
    fake = FakeFetcher()
    fake.add(JWKS, json.dumps({"keys": [jwk]}))
    assert ("passed", "ob3.key.issuer_ok") in _ids(_verify(token, fake))
    other = FakeFetcher()
    other.add(JWKS, json.dumps({"keys": [fx.p256_jwk(fx.p256_key("someone else"))]}))
    assert ("failed", "ob3.key.not_issuer") in _ids(_verify(token, other))
    assert ("unsupported", "ob3.key.unconfirmed") in _ids(_verify(token))


def test_rs256_with_https_kid_jwks() -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    numbers = key.public_key().public_numbers()
    jwk: dict[str, Any] = {
        "kty": "RSA",
        "kid": "k1",
        "n": b64url_encode(numbers.n.to_bytes(256, "big")),
        "e": b64url_encode(numbers.e.to_bytes(3, "big")),
    }
    fake = FakeFetcher()
    fake.add(JWKS, json.dumps({"keys": [jwk]}))
    token = fx.jwt(fx.credential(), key=key, alg="RS256", kid=JWKS + "#k1")
    result = _verify(token, fake)
    assert result.signature_ok
    assert ("passed", "ob3.key.issuer_ok") in _ids(result)


def test_bad_signature_and_refused_algorithms() -> None:
    token = fx.jwt(fx.credential(fx.DID_KEY))
    head, body, sig = token.split(".")
    flipped = sig[:-2] + ("A" if sig[-2] != "A" else "B") + sig[-1]
    assert ("failed", "ob3.jwt.bad_signature") in _ids(_verify(f"{head}.{body}.{flipped}"))
    for alg in ("none", "HS256", "RS512"):
        header = b64url_encode(json.dumps({"alg": alg, "kid": fx.DID_KEY_VM}).encode())
        assert ("failed", "ob3.jwt.bad_alg") in _ids(_verify(f"{header}.{body}.{sig}"))


def test_key_from_another_did_signing_for_the_issuer() -> None:
    other = fx.private_key("attacker")
    from wallet.openbadges.keys import did_key_for

    vm = did_key_for(other.public_key())
    token = fx.jwt(fx.credential(fx.DID_KEY), key=other, kid=vm)
    result = _verify(token)
    assert result.signature_ok
    assert ("failed", "ob3.key.not_issuer") in _ids(result)


def test_claim_mismatches() -> None:
    doc = fx.credential(fx.DID_KEY)
    assert ("failed", "ob3.jwt.iss_mismatch") in _ids(
        _verify(fx.jwt(doc, claims={"iss": "did:key:zOther"}))
    )
    assert ("failed", "ob3.jwt.jti_mismatch") in _ids(
        _verify(fx.jwt(doc, claims={"jti": "urn:uuid:other"}))
    )
    assert ("failed", "ob3.jwt.sub_mismatch") in _ids(
        _verify(
            fx.jwt(
                {**doc, "credentialSubject": {**doc["credentialSubject"], "id": "did:a"}},
                claims={"sub": "did:b"},
            )
        )
    )
    assert ("failed", "ob3.jwt.nbf_mismatch") in _ids(_verify(fx.jwt(doc, claims={"nbf": 1})))
    expired = _verify(fx.jwt(doc, claims={"exp": 1_000_000_000}))
    assert any(c.outcome == "expired" for c in expired.checks)
    future = fx.credential(fx.DID_KEY, valid_from="2030-01-01T00:00:00Z")
    assert any(c.outcome == "not_yet_valid" for c in _verify(fx.jwt(future)).checks)


def test_no_key_and_malformed() -> None:
    token = fx.jwt(fx.credential(fx.DID_KEY), kid=None)
    assert _ids(_verify(token)) == [("failed", "ob3.jwt.no_key")]
    result = _verify("not.a.jwt!")
    assert result.credential is None and result.checks[0].message_id == "ob3.jwt.malformed"


def test_private_jwk_in_header_refused() -> None:
    jwk = fx.ed25519_jwk(fx.ISSUER_KEY) | {"d": "AAAA"}
    token = fx.jwt(fx.credential(), kid=None, jwk=jwk)
    assert ("failed", "ob3.jwt.no_key") in _ids(_verify(token))


@pytest.mark.parametrize(("typ", "accepted"), [("JWT", True), ("vc+jwt", True), ("JWS", False)])
def test_typ(typ: str, accepted: bool) -> None:
    result = _verify(fx.jwt(fx.credential(fx.DID_KEY), typ=typ))
    assert (("failed", "ob3.jwt.bad_typ") not in _ids(result)) is accepted


def test_fragment_kid_resolves_against_the_issuer_did() -> None:
    token = fx.jwt(fx.credential(fx.DID_KEY), kid="#" + fx.MULTIKEY)
    result = _verify(token)
    assert result.signature_ok
    assert ("passed", "ob3.key.issuer_ok") in _ids(result)


@pytest.mark.parametrize("value", [2**70, "tomorrow", -(2**70)])
def test_unreadable_numeric_dates_fail_without_raising(value: object) -> None:
    token = fx.jwt(fx.credential(fx.DID_KEY), claims={"exp": value})
    assert ("failed", "ob3.jwt.malformed") in _ids(_verify(token))


def test_hostile_header_values_do_not_raise() -> None:
    for header in ({"alg": {"x": 1}}, {"alg": "EdDSA", "typ": ["JWT"], "kid": 5}):
        head = b64url_encode(json.dumps(header).encode())
        body = b64url_encode(json.dumps(fx.credential()).encode())
        assert not _verify(f"{head}.{body}.AAAA").signature_ok
