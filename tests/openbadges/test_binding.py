"""Key binding: a key is the issuer's only when the issuer's own published documents say so."""

from __future__ import annotations

import json

import pytest

from tests.openbadges import v3_fixtures as fx
from tests.openbadges.fakes import FakeFetcher
from wallet.openbadges import binding
from wallet.openbadges import keys
from wallet.openbadges.fetch import Response

ATTACKER_MULTIKEY = keys.ed25519_multikey(fx.OTHER_KEY.public_key())
ATTACKER_DID_KEY = keys.did_key_for(fx.OTHER_KEY.public_key())


def _decide(method: keys.Method, issuer: str | None, fake: FakeFetcher) -> str:
    return binding.key_ownership(method, issuer, fake).ownership


def _profile(*entries: dict[str, object], issuer: str = fx.HTTPS_ISSUER) -> FakeFetcher:
    fake = FakeFetcher()
    doc: dict[str, object] = {"id": issuer, "type": "Profile"}
    if entries:
        doc["verificationMethod"] = list(entries)
    fake.add(issuer, fx.dumps(doc))
    return fake


def test_did_key_issuer_is_proven_only_by_its_own_key() -> None:
    own = keys.resolve_did_key(fx.DID_KEY)
    assert _decide(own, fx.DID_KEY, FakeFetcher()) == "proven"
    assert _decide(own, ATTACKER_DID_KEY, FakeFetcher()) == "contradicted"
    # A did:key issuer never signs with an HTTPS method, even one carrying its key.
    fragment = keys.resolve_method(fx.HTTPS_VM, FakeFetcher())
    assert _decide(fragment, fx.DID_KEY, FakeFetcher()) == "contradicted"
    assert _decide(own, None, FakeFetcher()) == "contradicted"


def test_issuer_ids_that_cannot_publish_keys_are_unconfirmed() -> None:
    own = keys.resolve_did_key(fx.DID_KEY)
    decision = binding.key_ownership(own, "urn:uuid:6f2e33e5", FakeFetcher())
    assert decision.ownership == "unconfirmed"
    assert "cannot publish keys" in decision.detail


def test_https_issuer_needs_its_profile_to_list_the_key() -> None:
    fragment = keys.resolve_method(fx.HTTPS_VM, FakeFetcher())
    listed = FakeFetcher()
    listed.add(fx.HTTPS_ISSUER, fx.dumps(fx.controller_document()))
    assert _decide(fragment, fx.HTTPS_ISSUER, listed) == "proven"
    # Offline, unreachable or gone: nothing confirms the key.
    assert _decide(fragment, fx.HTTPS_ISSUER, FakeFetcher()) == "unconfirmed"
    gone = FakeFetcher()
    gone.add(fx.HTTPS_ISSUER, "gone", status=404)
    assert _decide(fragment, fx.HTTPS_ISSUER, gone) == "unconfirmed"
    # A profile that publishes no keys confirms nothing either.
    assert _decide(fragment, fx.HTTPS_ISSUER, _profile()) == "unconfirmed"
    # The same key listed under another id still proves it (the key is what signs).
    same = _profile({"id": fx.HTTPS_ISSUER + "#key-1", "publicKeyMultibase": fx.MULTIKEY})
    assert _decide(fragment, fx.HTTPS_ISSUER, same) == "proven"


def test_an_issuer_fragment_is_a_key_id_not_a_proof() -> None:
    forged = keys.resolve_method(f"{fx.HTTPS_ISSUER}#{ATTACKER_MULTIKEY}", FakeFetcher())
    listed = FakeFetcher()
    listed.add(fx.HTTPS_ISSUER, fx.dumps(fx.controller_document()))
    assert _decide(forged, fx.HTTPS_ISSUER, listed) == "contradicted"
    assert _decide(forged, fx.HTTPS_ISSUER, FakeFetcher()) == "unconfirmed"


def test_did_methods_count_for_an_https_issuer_only_when_its_profile_names_them() -> None:
    attacker = keys.resolve_did_key(ATTACKER_DID_KEY)
    listed = FakeFetcher()
    listed.add(fx.HTTPS_ISSUER, fx.dumps(fx.controller_document()))
    assert _decide(attacker, fx.HTTPS_ISSUER, listed) == "contradicted"
    assert _decide(attacker, fx.HTTPS_ISSUER, FakeFetcher()) == "unconfirmed"
    own = keys.resolve_did_key(fx.DID_KEY)
    by_id = _profile()
    by_id.add(
        fx.HTTPS_ISSUER,
        fx.dumps({"id": fx.HTTPS_ISSUER, "assertionMethod": [fx.DID_KEY_VM]}),
    )
    assert _decide(own, fx.HTTPS_ISSUER, by_id) == "proven"


def test_a_profile_from_another_host_or_naming_another_id_is_not_the_issuers() -> None:
    fragment = keys.resolve_method(fx.HTTPS_VM, FakeFetcher())
    moved = FakeFetcher()
    moved.routes[fx.HTTPS_ISSUER] = Response(
        "https://evil.example/profile",
        200,
        "application/json",
        fx.dumps(fx.controller_document()),
    )
    decision = binding.key_ownership(fragment, fx.HTTPS_ISSUER, moved)
    assert decision.ownership == "unconfirmed" and "another host" in decision.detail
    impostor = fx.controller_document()
    impostor["id"] = "https://evil.example/profile"
    named = FakeFetcher()
    named.add(fx.HTTPS_ISSUER, fx.dumps(impostor))
    assert _decide(fragment, fx.HTTPS_ISSUER, named) == "unconfirmed"
    # A redirect within the issuer's own origin is still the issuer speaking.
    same_origin = FakeFetcher()
    same_origin.routes[fx.HTTPS_ISSUER] = Response(
        fx.HTTPS_ISSUER + "/", 200, "application/json", fx.dumps(fx.controller_document())
    )
    assert _decide(fragment, fx.HTTPS_ISSUER, same_origin) == "proven"


def test_assertion_method_restricts_which_listed_keys_count() -> None:
    fragment = keys.resolve_method(fx.HTTPS_VM, FakeFetcher())
    doc = fx.controller_document()
    doc["assertionMethod"] = []  # the key is declared, but not for issuing
    fake = FakeFetcher()
    fake.add(fx.HTTPS_ISSUER, fx.dumps(doc))
    assert _decide(fragment, fx.HTTPS_ISSUER, fake) == "unconfirmed"
    doc["assertionMethod"] = [fx.HTTPS_ISSUER + "#other"]
    fake.add(fx.HTTPS_ISSUER, fx.dumps(doc))
    assert _decide(fragment, fx.HTTPS_ISSUER, fake) == "contradicted"


def test_an_entry_naming_the_method_id_with_another_key_does_not_match() -> None:
    forged = keys.resolve_method(f"{fx.HTTPS_ISSUER}#{ATTACKER_MULTIKEY}", FakeFetcher())
    tricky = _profile(
        {"id": f"{fx.HTTPS_ISSUER}#{ATTACKER_MULTIKEY}", "publicKeyMultibase": fx.MULTIKEY}
    )
    assert _decide(forged, fx.HTTPS_ISSUER, tricky) == "contradicted"


def test_did_web_issuer_and_a_controller_claim_in_someone_elses_document() -> None:
    fake = FakeFetcher()
    fake.add(fx.DID_WEB_URL, fx.dumps(fx.did_web_document()))
    own = keys.resolve_method(fx.DID_WEB_VM, fake)
    assert _decide(own, fx.DID_WEB, fake) == "proven"
    # The attacker's DID document lists the attacker's key and names the victim as controller.
    evil_did = "did:web:evil.example"
    evil_doc = {
        "id": evil_did,
        "verificationMethod": [
            {
                "id": f"{evil_did}#k",
                "type": "Multikey",
                "controller": fx.DID_WEB,
                "publicKeyMultibase": ATTACKER_MULTIKEY,
            }
        ],
        "assertionMethod": [f"{evil_did}#k"],
    }
    fake.add("https://evil.example/.well-known/did.json", fx.dumps(evil_doc))
    borrowed = keys.resolve_method(f"{evil_did}#k", fake)
    assert borrowed.controller == evil_did  # the document's DID, not the entry's claim
    assert _decide(borrowed, fx.DID_WEB, fake) == "contradicted"
    offline = FakeFetcher()
    assert _decide(borrowed, fx.DID_WEB, offline) == "unconfirmed"


def test_did_web_issuer_may_list_a_did_key_under_assertion_method() -> None:
    doc = fx.did_web_document()
    doc["assertionMethod"] = [fx.DID_KEY_VM]
    fake = FakeFetcher()
    fake.add(fx.DID_WEB_URL, fx.dumps(doc))
    assert _decide(keys.resolve_did_key(fx.DID_KEY), fx.DID_WEB, fake) == "proven"
    assert _decide(keys.resolve_did_key(ATTACKER_DID_KEY), fx.DID_WEB, fake) == "contradicted"


def test_header_keys_need_the_issuer_to_publish_them() -> None:
    key = fx.ISSUER_KEY.public_key()
    attacker = fx.OTHER_KEY.public_key()
    jwks = "https://issuer.example/.well-known/jwks.json"

    def decide(k: object, issuer: str, fake: FakeFetcher) -> str:
        return binding.header_key_ownership(k, None, issuer, fake).ownership  # type: ignore[arg-type]

    assert decide(key, fx.DID_KEY, FakeFetcher()) == "proven"
    assert decide(attacker, fx.DID_KEY, FakeFetcher()) == "contradicted"
    assert decide(attacker, fx.HTTPS_ISSUER, FakeFetcher()) == "unconfirmed"
    published = FakeFetcher()
    published.add(jwks, json.dumps({"keys": [fx.ed25519_jwk(fx.ISSUER_KEY)]}))
    assert decide(key, fx.HTTPS_ISSUER, published) == "proven"
    assert decide(attacker, fx.HTTPS_ISSUER, published) == "contradicted"
    # No JWK set, but the profile lists the key.
    listed = FakeFetcher()
    listed.add(fx.HTTPS_ISSUER, fx.dumps(fx.controller_document()))
    assert decide(key, fx.HTTPS_ISSUER, listed) == "proven"
    assert decide(attacker, fx.HTTPS_ISSUER, listed) == "contradicted"
    # did:web issuer whose DID document lists other keys only.
    did_web = FakeFetcher()
    did_web.add(fx.DID_WEB_URL, fx.dumps(fx.did_web_document()))
    assert decide(key, fx.DID_WEB, did_web) == "proven"
    assert decide(attacker, fx.DID_WEB, did_web) == "contradicted"
    assert decide(attacker, fx.DID_WEB, FakeFetcher()) == "unconfirmed"
    # A JWK set entry that names another issuer.
    other_iss = FakeFetcher()
    entry = {**fx.ed25519_jwk(fx.ISSUER_KEY), "iss": "https://else.example"}
    other_iss.add(jwks, json.dumps({"keys": [entry]}))
    assert decide(key, fx.HTTPS_ISSUER, other_iss) == "contradicted"


@pytest.mark.parametrize(
    ("issuer", "expected"),
    [
        ("https://issuer.example/a/b", ("https", "issuer.example")),
        ("did:web:issuer.example:a", ("https", "issuer.example")),
        ("did:web:issuer.example%3A8443", ("https", "issuer.example:8443")),
        ("did:key:z6Mk", None),
        ("urn:uuid:1", None),
    ],
)
def test_issuer_origin(issuer: str, expected: tuple[str, str] | None) -> None:
    assert binding.issuer_origin(issuer) == expected


def test_jwks_url() -> None:
    assert binding.jwks_url("https://issuer.example/a/b") == (
        "https://issuer.example/.well-known/jwks.json"
    )
    assert binding.jwks_url("did:key:z6Mk") is None
