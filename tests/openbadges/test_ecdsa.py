"""ecdsa-rdfc-2019: P-256 and P-384 signing and verification with our keys, P-384 multikeys."""

from __future__ import annotations

import copy
import hashlib
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from tests.openbadges import v3_fixtures as fx
from tests.openbadges.fakes import FakeFetcher
from wallet.openbadges import dataintegrity as di
from wallet.openbadges import ecdsa
from wallet.openbadges import jsonld
from wallet.openbadges import signing
from wallet.openbadges import verify
from wallet.openbadges.keys import KeyProblem
from wallet.openbadges.keys import b58encode
from wallet.openbadges.keys import decode_multikey
from wallet.openbadges.keys import ec_multikey
from wallet.openbadges.keys import multibase_decode
from wallet.openbadges.keys import resolve_method


def p384_key(name: str) -> ec.EllipticCurvePrivateKey:
    """A deterministic P-384 key per name."""
    secret = int.from_bytes(hashlib.sha384(name.encode()).digest(), "big") % (2**383)
    return ec.derive_private_key(secret or 1, ec.SECP384R1())


P256 = fx.p256_key("ecdsa issuer")
P384 = p384_key("ecdsa issuer")


def did_key_vm(key: ec.EllipticCurvePrivateKey) -> tuple[str, str]:
    """The did:key of an EC key and its verification method id."""
    multikey = ec_multikey(key.public_key())
    return f"did:key:{multikey}", f"did:key:{multikey}#{multikey}"


def sign(key: ec.EllipticCurvePrivateKey, issuer: str = fx.HTTPS_ISSUER) -> dict[str, Any]:
    """An OB 3.0 credential signed with ecdsa-rdfc-2019 by ``key`` (an <issuer>#z… method)."""
    vm = f"{issuer}#{ec_multikey(key.public_key())}"
    return signing.sign_ecdsa_rdfc_2019(fx.credential(issuer), key, vm, fx.CREATED)


def statuses(document: dict[str, Any]) -> list[tuple[str, str]]:
    report = di.verify_embedded_proofs(document, FakeFetcher())
    assert report.error is None
    return [(p.status, p.message_id) for p in report.proofs]


def resign(
    document: dict[str, Any], key: ec.EllipticCurvePrivateKey, algorithm: hashes.HashAlgorithm
) -> dict[str, Any]:
    """Replace the proofValue by a signature of the same proof made with another hash."""
    changed = copy.deepcopy(document)
    proof = changed.pop("proof")
    config = {k: v for k, v in proof.items() if k != "proofValue"}
    config["@context"] = changed["@context"]
    digest = {32: "sha256", 48: "sha384"}[algorithm.digest_size]
    data = ecdsa.hash_data(jsonld.canonize(config), jsonld.canonize(changed), digest)
    r, s = decode_dss_signature(key.sign(data, ec.ECDSA(algorithm)))
    size = (key.curve.key_size + 7) // 8
    proof["proofValue"] = "z" + b58encode(r.to_bytes(size, "big") + s.to_bytes(size, "big"))
    changed["proof"] = proof
    return changed


@pytest.mark.parametrize(("key", "size"), [(P256, 64), (P384, 96)])
def test_sign_then_verify(key: ec.EllipticCurvePrivateKey, size: int) -> None:
    signed = sign(key)
    proof = signed["proof"]
    assert (proof["type"], proof["cryptosuite"]) == ("DataIntegrityProof", "ecdsa-rdfc-2019")
    assert len(multibase_decode(proof["proofValue"])) == size
    report = di.verify_embedded_proofs(signed, FakeFetcher())
    assert [(p.status, p.message_id) for p in report.proofs] == [("passed", "ob3.proof.valid")]
    method = report.proofs[0].method
    assert method is not None and method.id == proof["verificationMethod"]
    assert method.source == "fragment" and method.controller == fx.HTTPS_ISSUER


def test_signing_is_deterministic() -> None:
    assert sign(P256) == sign(P256)
    assert sign(P384) == sign(P384)


@pytest.mark.parametrize("key", [P256, P384])
def test_a_changed_subject_breaks_the_signature(key: ec.EllipticCurvePrivateKey) -> None:
    assert statuses(fx.tamper_subject(sign(key))) == [("failed", "ob3.proof.bad_signature")]


def test_changed_proof_options_break_the_signature() -> None:
    signed = sign(P256)
    signed["proof"]["created"] = "2026-04-01T09:00:01Z"
    assert statuses(signed) == [("failed", "ob3.proof.bad_signature")]


def test_a_signature_by_another_key_of_the_same_curve_fails() -> None:
    signed = sign(P256)
    forged = signing.sign_ecdsa_rdfc_2019(
        fx.credential(), fx.p256_key("attacker"), signed["proof"]["verificationMethod"], fx.CREATED
    )
    assert statuses(forged) == [("failed", "ob3.proof.bad_signature")]


@pytest.mark.parametrize(
    ("key", "algorithm"),
    [(P384, hashes.SHA256()), (P256, hashes.SHA384())],
    ids=["P-384 with SHA-256", "P-256 with SHA-384"],
)
def test_a_curve_signed_with_the_other_suites_hash_fails(
    key: ec.EllipticCurvePrivateKey, algorithm: hashes.HashAlgorithm
) -> None:
    # The hash follows the key: P-256 -> SHA-256, P-384 -> SHA-384 (for hashData and ECDSA).
    signed = sign(key)
    assert statuses(signed) == [("passed", "ob3.proof.valid")]
    assert statuses(resign(signed, key, algorithm)) == [("failed", "ob3.proof.bad_signature")]


def test_a_proof_signed_with_the_right_hash_by_resign_passes() -> None:
    # The helper above is not what breaks the signature: the matching hash passes.
    signed = sign(P384)
    assert statuses(resign(signed, P384, hashes.SHA384())) == [("passed", "ob3.proof.valid")]


def test_an_ed25519_key_cannot_carry_an_ecdsa_proof() -> None:
    signed = sign(P256)
    signed["proof"]["verificationMethod"] = fx.HTTPS_VM  # an Ed25519 <issuer>#z6Mk… key
    assert statuses(signed) == [("failed", "ob3.key.wrong_type")]


def test_an_ecdsa_key_cannot_carry_an_eddsa_proof() -> None:
    signed = fx.sign(fx.credential(), vm=f"{fx.HTTPS_ISSUER}#{ec_multikey(P256.public_key())}")
    assert statuses(signed) == [("failed", "ob3.key.wrong_type")]


def test_a_p256_signature_under_a_p384_key_is_malformed() -> None:
    signed = sign(P256)
    signed["proof"]["verificationMethod"] = f"{fx.HTTPS_ISSUER}#{ec_multikey(P384.public_key())}"
    assert statuses(signed) == [("failed", "ob3.proof.malformed")]


@pytest.mark.parametrize(
    "value",
    [
        "u" + "A" * 86,  # base64url, not base58btc
        "z" + b58encode(bytes(63)),
        "z" + b58encode(bytes(65)),
        "z0OIl",
        "z" + "2" * 300,
    ],
)
def test_malformed_proof_values(value: str) -> None:
    signed = sign(P256)
    signed["proof"]["proofValue"] = value
    assert statuses(signed) == [("failed", "ob3.proof.malformed")]


def test_a_truncated_signature_fails() -> None:
    signed = sign(P256)
    raw = multibase_decode(signed["proof"]["proofValue"])
    signed["proof"]["proofValue"] = "z" + b58encode(raw[:-1])
    assert statuses(signed) == [("failed", "ob3.proof.malformed")]


def test_zero_and_out_of_range_signature_halves_fail() -> None:
    signed = sign(P256)
    for raw in (bytes(64), b"\xff" * 64):
        signed["proof"]["proofValue"] = "z" + b58encode(raw)
        assert statuses(signed) == [("failed", "ob3.proof.bad_signature")]


def test_did_key_issuer_signing_with_its_own_p256_did_key_is_valid() -> None:
    did, vm = did_key_vm(P256)
    signed = signing.sign_ecdsa_rdfc_2019(fx.credential(did), P256, vm, fx.CREATED)
    report = verify(fx.dumps(signed), fetcher=FakeFetcher(), now=fx.NOW)
    assert report.result == "valid", [(c.message_id, c.detail) for c in report.checks]
    assert "ob3.key.issuer_ok" in {c.message_id for c in report.checks}


def test_https_issuer_fragment_key_is_unverifiable_offline_and_valid_with_its_profile() -> None:
    signed = sign(P384)
    assert verify(fx.dumps(signed), fetcher=FakeFetcher(), now=fx.NOW).result == "unverifiable"
    vm = signed["proof"]["verificationMethod"]
    multikey = vm.partition("#")[2]
    profile = {
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
        "id": fx.HTTPS_ISSUER,
        "verificationMethod": [
            {
                "id": vm,
                "type": "Multikey",
                "controller": fx.HTTPS_ISSUER,
                "publicKeyMultibase": multikey,
            }
        ],
        "assertionMethod": [vm],
    }
    served = FakeFetcher()
    served.add(fx.HTTPS_ISSUER, fx.dumps(profile))
    assert verify(fx.dumps(signed), fetcher=served, now=fx.NOW).result == "valid"
    other = FakeFetcher()
    other.add(fx.HTTPS_ISSUER, fx.dumps(fx.controller_document()))  # its Ed25519 key only
    assert verify(fx.dumps(signed), fetcher=other, now=fx.NOW).result == "invalid"


def test_the_signer_refuses_undefined_terms_and_non_nist_keys() -> None:
    with pytest.raises(ValueError, match="notAnObTerm"):
        signing.sign_ecdsa_rdfc_2019(
            fx.credential(extra_subject={"notAnObTerm": "x"}), P256, "did:key:x", fx.CREATED
        )
    secp256k1 = ec.derive_private_key(7, ec.SECP256K1())
    with pytest.raises(ValueError, match="P-256 or P-384"):
        signing.sign_ecdsa_rdfc_2019(fx.credential(), secp256k1, "did:key:x", fx.CREATED)


def _unsigned_parts(signed: dict[str, Any]) -> tuple[str, str, str]:
    """The proofValue, canonical proof options and canonical document of a signed credential."""
    document = copy.deepcopy(signed)
    proof = document.pop("proof")
    config = {k: v for k, v in proof.items() if k != "proofValue"}
    config["@context"] = document["@context"]
    return proof["proofValue"], jsonld.canonize(config), jsonld.canonize(document)


@pytest.mark.parametrize("key", [P256, P384], ids=["P-256", "P-384"])
def test_the_signature_covers_both_hashes_with_the_curves_hash(
    key: ec.EllipticCurvePrivateKey,
) -> None:
    value, config, document = _unsigned_parts(sign(key))
    public = key.public_key()
    assert ecdsa.verify_rdfc_2019(value, public, config, document).status == "passed"
    altered = document.replace("Passed the concrete", "Failed the concrete")
    assert altered != document
    finding = ecdsa.verify_rdfc_2019(value, public, config, altered)
    assert finding.message_id == "ob3.proof.bad_signature"
    other_config = config.replace("2026-04-01T09:00:00Z", "2026-04-01T09:00:01Z")
    assert other_config != config
    assert ecdsa.verify_rdfc_2019(value, public, other_config, document).status == "failed"
    curve = ecdsa.curve_of(public)
    assert curve is not None
    other = "sha384" if curve.hash_name == "sha256" else "sha256"
    data = ecdsa.hash_data(config, document, other)
    assert not ecdsa.verify_p1363(public, multibase_decode(value), data)


def test_proof_options_are_canonicalised_with_a_typed_cryptosuite() -> None:
    # The bundled VC 2.0 context types `cryptosuite` as a cryptosuiteString. The W3C
    # vc-di-ecdsa test vectors were signed when it was untyped, which changes the canonical
    # proof options: they no longer verify with today's context. A signature over the untyped
    # options (made here with our own key) shows the same: it matches those options and fails
    # the whole check.
    signed = sign(P256)
    value, config, document = _unsigned_parts(signed)
    typed = '"ecdsa-rdfc-2019"^^<https://w3id.org/security#cryptosuiteString>'
    assert typed in config
    untyped = config.replace(typed, '"ecdsa-rdfc-2019"')
    data = ecdsa.hash_data(untyped, document, "sha256")
    old_style = "z" + b58encode(ecdsa.sign_p1363(P256, data))
    assert ecdsa.verify_rdfc_2019(old_style, P256.public_key(), untyped, document).status == (
        "passed"
    )
    signed["proof"]["proofValue"] = old_style
    assert statuses(signed) == [("failed", "ob3.proof.bad_signature")]
    signed["proof"]["proofValue"] = value
    assert statuses(signed) == [("passed", "ob3.proof.valid")]


def test_p384_multikeys_decode_and_resolve() -> None:
    multikey = ec_multikey(P384.public_key())
    raw = multibase_decode(multikey)
    assert multikey.startswith("z82") and raw[:2] == b"\x81\x24" and len(raw) == 2 + 49
    assert ec_multikey(P256.public_key()).startswith("zDn")
    key = decode_multikey(multikey)
    assert isinstance(key, ec.EllipticCurvePublicKey) and key.curve.name == "secp384r1"
    assert key.public_numbers() == P384.public_key().public_numbers()
    assert ec_multikey(key) == multikey
    assert ec_multikey(decode_multikey(ec_multikey(P256.public_key()))) == ec_multikey(
        P256.public_key()
    )
    method = resolve_method(f"{fx.HTTPS_ISSUER}#{multikey}", FakeFetcher())
    assert method.source == "fragment" and ec_multikey(method.key) == multikey  # type: ignore[arg-type]
    did = resolve_method(f"did:key:{multikey}", FakeFetcher())
    assert did.controller == f"did:key:{multikey}"
    for broken in (raw[:-1], raw[:2] + b"\x05" + raw[3:]):
        with pytest.raises(KeyProblem):
            decode_multikey("z" + b58encode(broken))
