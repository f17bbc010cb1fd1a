"""The attacker suite: a key that belongs to nobody but the attacker never makes a badge valid.

Each case is a credential an attacker can make with their own key, and the network as the
attacker or the victim leaves it; beside it, where it exists, the genuine twin that must stay
valid. The W3C vc-di-eddsa vectors (an HTTPS issuer signed by a did:key) are class 1; they are
not in the shared vectors, so the same shape is made here with our own keys.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from tests.openbadges import v3_fixtures as fx
from tests.openbadges.fakes import FakeFetcher
from wallet.openbadges import verify
from wallet.openbadges.fetch import Response
from wallet.openbadges.keys import did_key_for
from wallet.openbadges.keys import ed25519_multikey
from wallet.openbadges.signing import sign_eddsa_rdfc_2022

VICTIM = "https://victim.example/issuers/1"
W3C_ISSUER = "https://vc.example/issuers/5678"
VICTIM_DID = "did:web:victim.example"
VICTIM_DID_URL = "https://victim.example/.well-known/did.json"
EVIL_DID = "did:web:evil.example"
EVIL_DID_URL = "https://evil.example/.well-known/did.json"
VICTIM_JWKS = "https://victim.example/.well-known/jwks.json"

ATTACKER = fx.OTHER_KEY
ATTACKER_MULTIKEY = ed25519_multikey(ATTACKER.public_key())
ATTACKER_DID_KEY = did_key_for(ATTACKER.public_key())
ATTACKER_DID_KEY_VM = f"{ATTACKER_DID_KEY}#{ATTACKER_MULTIKEY}"


def _victim_profile(issuer: str = VICTIM) -> bytes:
    """The victim's real profile: it lists the victim's own key only."""
    return fx.dumps(fx.controller_document(issuer))


def _victim_did_document() -> bytes:
    vm = f"{VICTIM_DID}#key-1"
    return fx.dumps(
        {
            "id": VICTIM_DID,
            "verificationMethod": [
                {
                    "id": vm,
                    "type": "Multikey",
                    "controller": VICTIM_DID,
                    "publicKeyMultibase": fx.MULTIKEY,
                }
            ],
            "assertionMethod": [vm],
        }
    )


def _network(**routes: bytes) -> FakeFetcher:
    fake = FakeFetcher()
    for url, body in routes.items():
        fake.add(url, body)
    return fake


def _signed(issuer: str, vm: str, key: Any = ATTACKER, **kw: Any) -> dict[str, Any]:
    return fx.sign(fx.credential(issuer, **kw), vm, key)


@dataclass(frozen=True)
class Case:
    """One forged credential, the network it is verified against, and the expected result."""

    payload: Callable[[], dict[str, Any] | str]
    network: Callable[[], FakeFetcher]
    expected: str


def _class3_network() -> FakeFetcher:
    evil_doc = {
        "id": EVIL_DID,
        "verificationMethod": [
            {
                "id": f"{EVIL_DID}#k",
                "type": "Multikey",
                "controller": VICTIM_DID,  # a claim anyone can write
                "publicKeyMultibase": ATTACKER_MULTIKEY,
            }
        ],
        "assertionMethod": [f"{EVIL_DID}#k"],
    }
    fake = FakeFetcher()
    fake.add(EVIL_DID_URL, fx.dumps(evil_doc))
    fake.add(VICTIM_DID_URL, _victim_did_document())
    return fake


def _class3_offline() -> FakeFetcher:
    fake = _class3_network()
    del fake.routes[VICTIM_DID_URL]
    return fake


def _mixed_proofs() -> dict[str, Any]:
    genuine = fx.sign(fx.credential(VICTIM), f"{VICTIM}#{fx.MULTIKEY}", fx.ISSUER_KEY)
    return sign_eddsa_rdfc_2022(genuine, ATTACKER, ATTACKER_DID_KEY_VM, fx.CREATED)


def _redirected() -> FakeFetcher:
    fake = FakeFetcher()
    evil_profile = fx.controller_document(VICTIM, ATTACKER)
    fake.routes[VICTIM] = Response(
        "https://evil.example/profile", 200, "application/json", fx.dumps(evil_profile)
    )
    return fake


def _embedded_keys() -> dict[str, Any]:
    doc = fx.credential(VICTIM)
    # The credential describes its issuer itself, attacker's key included: self-asserted.
    doc["issuer"]["url"] = "https://victim.example/"
    signed = fx.sign(doc, f"{VICTIM}#{ATTACKER_MULTIKEY}", ATTACKER)
    return signed


def _foreign_status_list() -> FakeFetcher:
    # The genuine badge (revoked by the victim at index REVOKED_INDEX); the list host is the
    # attacker's, who serves a list under the victim's name saying "not revoked".
    fake = FakeFetcher()
    fake.add(VICTIM, _victim_profile())
    forged_list = fx.status_list(revoked=(), issuer_id=VICTIM, key=ATTACKER)
    fake.add(fx.STATUS_URL, fx.dumps(forged_list))
    return fake


def _off_origin_kid_network(with_victim_docs: bool) -> Callable[[], FakeFetcher]:
    def build() -> FakeFetcher:
        fake = FakeFetcher()
        fake.add("https://evil.example/key.json", json.dumps(fx.ed25519_jwk(ATTACKER)))
        if with_victim_docs:
            fake.add(VICTIM_JWKS, json.dumps({"keys": [fx.ed25519_jwk(fx.ISSUER_KEY)]}))
        return fake

    return build


CASES: dict[str, Case] = {
    "1 https issuer, attacker did:key, profile unreachable": Case(
        lambda: _signed(VICTIM, ATTACKER_DID_KEY_VM), FakeFetcher, "unverifiable"
    ),
    "1 https issuer, attacker did:key, profile lists other keys": Case(
        lambda: _signed(VICTIM, ATTACKER_DID_KEY_VM),
        lambda: _network(**{VICTIM: _victim_profile()}),
        "invalid",
    ),
    "1 the W3C vc-di-eddsa shape: https issuer signed by a did:key": Case(
        lambda: _signed(W3C_ISSUER, ATTACKER_DID_KEY_VM), FakeFetcher, "unverifiable"
    ),
    "2 https issuer, <issuer>#z6Mk<attacker>, profile unreachable": Case(
        lambda: _signed(VICTIM, f"{VICTIM}#{ATTACKER_MULTIKEY}"), FakeFetcher, "unverifiable"
    ),
    "2 https issuer, <issuer>#z6Mk<attacker>, profile lists other keys": Case(
        lambda: _signed(VICTIM, f"{VICTIM}#{ATTACKER_MULTIKEY}"),
        lambda: _network(**{VICTIM: _victim_profile()}),
        "invalid",
    ),
    "3 did:web issuer, method in another did:web document naming the victim controller": Case(
        lambda: _signed(VICTIM_DID, f"{EVIL_DID}#k"), _class3_network, "invalid"
    ),
    "3 the same, the victim's DID document unreachable": Case(
        lambda: _signed(VICTIM_DID, f"{EVIL_DID}#k"), _class3_offline, "unverifiable"
    ),
    "4 VC-JWT, attacker jwk, https issuer without JWKS": Case(
        lambda: fx.jwt(fx.credential(VICTIM), key=ATTACKER, kid=None, jwk=fx.ed25519_jwk(ATTACKER)),
        FakeFetcher,
        "unverifiable",
    ),
    "4 VC-JWT, attacker jwk, did:web issuer listing other keys": Case(
        lambda: fx.jwt(
            fx.credential(VICTIM_DID), key=ATTACKER, kid=None, jwk=fx.ed25519_jwk(ATTACKER)
        ),
        lambda: _network(**{VICTIM_DID_URL: _victim_did_document()}),
        "invalid",
    ),
    "mixed proof set: the issuer's proof and an attacker's": Case(
        _mixed_proofs, lambda: _network(**{VICTIM: _victim_profile()}), "invalid"
    ),
    "VC-JWT kid off the issuer's origin, issuer JWKS lists another key": Case(
        lambda: fx.jwt(fx.credential(VICTIM), key=ATTACKER, kid="https://evil.example/key.json"),
        _off_origin_kid_network(True),
        "invalid",
    ),
    "VC-JWT kid off the issuer's origin, nothing published by the issuer": Case(
        lambda: fx.jwt(fx.credential(VICTIM), key=ATTACKER, kid="https://evil.example/key.json"),
        _off_origin_kid_network(False),
        "unverifiable",
    ),
    "VC-JWT borrowing the issuer's kid for the attacker's jwk": Case(
        lambda: fx.jwt(
            fx.credential(fx.DID_KEY), key=ATTACKER, kid=fx.DID_KEY_VM, jwk=fx.ed25519_jwk(ATTACKER)
        ),
        FakeFetcher,
        "invalid",
    ),
    "issuer profile redirecting to another host that lists the attacker's key": Case(
        lambda: _signed(VICTIM, f"{VICTIM}#{ATTACKER_MULTIKEY}"), _redirected, "unverifiable"
    ),
    "keys the credential asserts about its own issuer": Case(
        _embedded_keys, FakeFetcher, "unverifiable"
    ),
    "did:key issuer, signed by another did:key": Case(
        lambda: _signed(fx.DID_KEY, ATTACKER_DID_KEY_VM), FakeFetcher, "invalid"
    ),
    "status list signed by someone else under the issuer's name": Case(
        lambda: fx.sign(
            fx.credential(VICTIM, status_index=fx.REVOKED_INDEX),
            f"{VICTIM}#{fx.MULTIKEY}",
            fx.ISSUER_KEY,
        ),
        _foreign_status_list,
        "unverifiable",
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_forgery_is_never_valid(name: str) -> None:
    case = CASES[name]
    payload = case.payload()
    data = payload if isinstance(payload, str) else json.dumps(payload)
    report = verify(data, fetcher=case.network(), now=fx.NOW)
    not_passed = [(c.id, c.status, c.message_id) for c in report.checks if c.status != "passed"]
    assert report.result == case.expected, not_passed


GENUINE: dict[str, tuple[Callable[[], dict[str, Any] | str], Callable[[], FakeFetcher]]] = {
    "https issuer, its own fragment key, profile lists it": (
        lambda: fx.sign(fx.credential(VICTIM), f"{VICTIM}#{fx.MULTIKEY}", fx.ISSUER_KEY),
        lambda: _network(**{VICTIM: _victim_profile()}),
    ),
    "https issuer, a did:key its profile names": (
        lambda: fx.sign(fx.credential(VICTIM), fx.DID_KEY_VM, fx.ISSUER_KEY),
        lambda: _network(**{VICTIM: fx.dumps({"id": VICTIM, "assertionMethod": [fx.DID_KEY_VM]})}),
    ),
    "did:web issuer, its own method": (
        lambda: fx.sign(fx.credential(VICTIM_DID), f"{VICTIM_DID}#key-1", fx.ISSUER_KEY),
        lambda: _network(**{VICTIM_DID_URL: _victim_did_document()}),
    ),
    "did:key issuer": (
        lambda: fx.sign(fx.credential(fx.DID_KEY), fx.DID_KEY_VM, fx.ISSUER_KEY),
        FakeFetcher,
    ),
    "VC-JWT, jwk published in the issuer's JWK set": (
        lambda: fx.jwt(fx.credential(VICTIM), kid=None, jwk=fx.ed25519_jwk(fx.ISSUER_KEY)),
        lambda: _network(
            **{VICTIM_JWKS: json.dumps({"keys": [fx.ed25519_jwk(fx.ISSUER_KEY)]}).encode()}
        ),
    ),
    "VC-JWT, did:web issuer's listed kid": (
        lambda: fx.jwt(fx.credential(VICTIM_DID), kid=f"{VICTIM_DID}#key-1"),
        lambda: _network(**{VICTIM_DID_URL: _victim_did_document()}),
    ),
    "status list signed by the issuer, not revoked": (
        lambda: fx.sign(
            fx.credential(VICTIM, status_index=3), f"{VICTIM}#{fx.MULTIKEY}", fx.ISSUER_KEY
        ),
        lambda: _network(
            **{
                VICTIM: _victim_profile(),
                fx.STATUS_URL: fx.dumps(fx.status_list(issuer_id=VICTIM)),
            }
        ),
    ),
}


@pytest.mark.parametrize("name", list(GENUINE))
def test_genuine_twin_stays_valid(name: str) -> None:
    payload_of, network = GENUINE[name]
    payload = payload_of()
    data = payload if isinstance(payload, str) else json.dumps(payload)
    report = verify(data, fetcher=network(), now=fx.NOW)
    not_passed = [(c.id, c.status, c.message_id) for c in report.checks if c.status != "passed"]
    assert report.result == "valid", not_passed


def test_a_revoked_genuine_badge_stays_revoked_with_the_issuers_list() -> None:
    doc = fx.sign(
        fx.credential(VICTIM, status_index=fx.REVOKED_INDEX),
        f"{VICTIM}#{fx.MULTIKEY}",
        fx.ISSUER_KEY,
    )
    fake = _network(
        **{VICTIM: _victim_profile(), fx.STATUS_URL: fx.dumps(fx.status_list(issuer_id=VICTIM))}
    )
    assert verify(json.dumps(doc), fetcher=fake, now=fx.NOW).result == "revoked"


def test_unconfirmed_key_message_names_the_issuer() -> None:
    payload = _signed(VICTIM, ATTACKER_DID_KEY_VM)
    report = verify(json.dumps(payload), fetcher=FakeFetcher(), now=fx.NOW)
    check = next(c for c in report.checks if c.id == "issuer_key")
    assert (check.status, check.message_id, check.params["issuer"]) == (
        "unsupported",
        "ob3.key.unconfirmed",
        VICTIM,
    )
    assert check.outcome == "unverifiable"


def test_ob20_signed_badge_with_a_self_described_issuer_is_not_valid() -> None:
    """OB 2.0: an issuer embedded in the assertion, naming the attacker's key, proves nothing."""
    from cryptography.hazmat.primitives import serialization

    from wallet.openbadges.jose import sign_compact

    v2 = "https://w3id.org/openbadges/v2"
    key_url = "https://evil.example/key.json"
    pem = ATTACKER.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    issuer = {
        "type": "Issuer",
        "id": "urn:uuid:2f9c1e1a-victim",
        "name": "Victim University",
        "publicKey": key_url,
    }
    assertion = {
        "@context": v2,
        "type": "Assertion",
        "id": "urn:uuid:0d5e0c44-forged",
        "recipient": {"type": "email", "hashed": False, "identity": fx.EMAIL},
        "badge": {
            "type": "BadgeClass",
            "id": "urn:uuid:badge",
            "name": "Forged degree",
            "description": "x",
            "image": "https://evil.example/b.png",
            "criteria": {"narrative": "x"},
            "issuer": issuer,
        },
        "verification": {"type": "SignedBadge", "creator": key_url},
        "issuedOn": "2026-01-01T00:00:00Z",
    }
    fake = FakeFetcher()
    fake.add(
        key_url,
        json.dumps({"id": key_url, "owner": issuer["id"], "publicKeyPem": pem.decode()}),
    )
    token = sign_compact(assertion, ATTACKER, "EdDSA")
    report = verify(token, fetcher=fake, now=fx.NOW)
    assert report.result == "unverifiable", [
        (c.id, c.status, c.message_id) for c in report.checks if c.status != "passed"
    ]


def test_a_credential_too_costly_to_canonicalise_is_unverifiable_not_invalid() -> None:
    """The JSON-LD budget of one verification ran out: nothing is known either way."""
    from wallet.openbadges.limits import Limits

    doc = fx.credential()
    doc["@context"] = [*doc["@context"], {"x": {"@id": "https://ex.example/x"}}]
    doc["credentialSubject"]["x"] = [{"name": str(i)} for i in range(3000)]
    doc["proof"] = fx.sign(fx.credential())["proof"]  # a proof to check, made for another doc
    report = verify(
        json.dumps(doc), fetcher=fx.fetcher(), now=fx.NOW, limits=Limits(jsonld_seconds=0.05)
    )
    check = next(c for c in report.checks if c.id == "jsonld")
    assert (check.status, check.message_id) == ("unsupported", "ob3.jsonld.too_complex")
    assert report.result == "unverifiable"
