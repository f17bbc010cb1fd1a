"""Keys: multibase/multikey, did:key, did:web, HTTPS methods and the issuer-ownership rule."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519

from tests.openbadges import v3_fixtures as fx
from tests.openbadges.fakes import FakeFetcher
from wallet.openbadges import keys


def _raw(key: ed25519.Ed25519PublicKey) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def test_base58_round_trip_and_leading_zeros() -> None:
    for data in (b"", b"\0\0abc", bytes(range(40))):
        assert keys.b58decode(keys.b58encode(data)) == data
    assert keys.b58encode(b"hello world") == "StV1DL6CwTryKyV"
    with pytest.raises(keys.KeyProblem):
        keys.b58decode("0OIl")


def test_multikey_round_trip() -> None:
    public = fx.ISSUER_KEY.public_key()
    multikey = keys.ed25519_multikey(public)
    assert multikey.startswith("z6Mk")
    decoded = keys.decode_multikey(multikey)
    assert isinstance(decoded, ed25519.Ed25519PublicKey)
    assert _raw(decoded) == _raw(public)


@pytest.mark.parametrize(
    "bad", ["", "abc", "z", "z6Mk" + "1" * 10, "u" + "A" * 40, "z" + "2" * 300]
)
def test_bad_multikeys_are_refused(bad: str) -> None:
    with pytest.raises(keys.KeyProblem):
        keys.decode_multikey(bad)


def test_did_key_resolves_locally() -> None:
    method = keys.resolve_did_key(fx.DID_KEY)
    assert method.controller == fx.DID_KEY
    assert method.id == fx.DID_KEY_VM
    assert keys.resolve_method(fx.DID_KEY_VM, FakeFetcher()).source == "did:key"
    with pytest.raises(keys.KeyProblem):
        keys.resolve_did_key(fx.DID_KEY + "#z6MkOther")


@pytest.mark.parametrize(
    ("did", "url"),
    [
        ("did:web:example.com", "https://example.com/.well-known/did.json"),
        ("did:web:example.com:user:alice", "https://example.com/user/alice/did.json"),
        ("did:web:example.com%3A3000", "https://example.com:3000/.well-known/did.json"),
    ],
)
def test_did_web_url(did: str, url: str) -> None:
    assert keys.did_web_url(did) == url


@pytest.mark.parametrize("did", ["did:web:", "did:web:a@b", "did:web:example.com::x", "did:key:z"])
def test_did_web_url_rejects_malformed(did: str) -> None:
    with pytest.raises(keys.KeyProblem):
        keys.did_web_url(did)


def test_did_web_resolution_checks_assertion_method() -> None:
    fake = FakeFetcher()
    fake.add(fx.DID_WEB_URL, fx.dumps(fx.did_web_document()))
    method = keys.resolve_method(fx.DID_WEB_VM, fake)
    assert method.source == "did:web" and method.controller == fx.DID_WEB
    assert fake.requests == [fx.DID_WEB_URL]

    unlisted = FakeFetcher()
    unlisted.add(fx.DID_WEB_URL, fx.dumps(fx.did_web_document(listed=False)))
    with pytest.raises(keys.KeyProblem) as info:
        keys.resolve_method(fx.DID_WEB_VM, unlisted)
    assert info.value.code == "ob3.key.purpose"


def test_did_web_unreachable_is_unverifiable_and_wrong_id_is_not() -> None:
    with pytest.raises(keys.KeyProblem) as info:
        keys.resolve_method(fx.DID_WEB_VM, FakeFetcher())
    assert info.value.unverifiable
    wrong = fx.did_web_document()
    wrong["id"] = "did:web:elsewhere.example"
    fake = FakeFetcher()
    fake.add(fx.DID_WEB_URL, fx.dumps(wrong))
    with pytest.raises(keys.KeyProblem) as info:
        keys.resolve_method(fx.DID_WEB_VM, fake)
    assert not info.value.unverifiable


def test_https_fragment_and_document_methods() -> None:
    method = keys.resolve_method(fx.HTTPS_VM, FakeFetcher())
    assert method.source == "fragment" and method.controller == fx.HTTPS_ISSUER
    fake = FakeFetcher()
    doc = fx.controller_document()
    doc["verificationMethod"][0]["id"] = fx.HTTPS_ISSUER + "#key-1"
    doc["assertionMethod"] = [fx.HTTPS_ISSUER + "#key-1"]
    fake.add(fx.HTTPS_ISSUER, fx.dumps(doc))
    resolved = keys.resolve_method(fx.HTTPS_ISSUER + "#key-1", fake)
    assert resolved.source == "document" and resolved.controller == fx.HTTPS_ISSUER


@pytest.mark.parametrize("vm", ["", "urn:x:y", "did:velocity:abc", "ftp://x/y"])
def test_unsupported_methods(vm: str) -> None:
    with pytest.raises(keys.KeyProblem):
        keys.resolve_method(vm, FakeFetcher())
