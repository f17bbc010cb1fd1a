"""Data Integrity: eddsa-rdfc-2022 signing and verification, multiple proofs, tampering."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from tests.openbadges import v3_fixtures as fx
from tests.openbadges.fakes import FakeFetcher
from wallet.openbadges import dataintegrity as di
from wallet.openbadges import signing
from wallet.openbadges.keys import b58encode
from wallet.openbadges.keys import decode_multikey

VECTORS = Path(__file__).resolve().parents[2].parent / "shared" / "vectors"
LDP = VECTORS / "1EdTech-openbadges-specification/_extracted/ob_v3p0/impl/linked-data-proof-ob"


def _statuses(report: di.IntegrityReport) -> list[tuple[str, str]]:
    return [(p.status, p.message_id) for p in report.proofs]


def test_sign_then_verify() -> None:
    signed = fx.sign(fx.credential())
    proof = signed["proof"]
    assert proof["type"] == "DataIntegrityProof"
    assert proof["cryptosuite"] == "eddsa-rdfc-2022"
    assert proof["created"] == "2026-04-01T09:00:00Z"
    assert proof["proofValue"].startswith("z")
    report = di.verify_embedded_proofs(signed, FakeFetcher())
    assert _statuses(report) == [("passed", "ob3.proof.valid")]
    assert report.safe and report.error is None
    assert report.proofs[0].method is not None


def test_signing_is_deterministic_and_does_not_mutate_input() -> None:
    doc = fx.credential()
    before = copy.deepcopy(doc)
    assert fx.sign(doc) == fx.sign(doc)
    assert doc == before


def test_one_changed_byte_in_the_subject_breaks_the_signature() -> None:
    report = di.verify_embedded_proofs(fx.tamper_subject(fx.sign(fx.credential())), FakeFetcher())
    assert _statuses(report) == [("failed", "ob3.proof.bad_signature")]


def test_changed_proof_options_break_the_signature() -> None:
    signed = fx.sign(fx.credential())
    signed["proof"]["created"] = "2026-04-01T09:00:01Z"
    assert _statuses(di.verify_embedded_proofs(signed, FakeFetcher())) == [
        ("failed", "ob3.proof.bad_signature")
    ]


def test_signature_by_another_key_fails() -> None:
    signed = fx.sign(fx.credential(), vm=fx.HTTPS_VM, key=fx.OTHER_KEY)
    assert _statuses(di.verify_embedded_proofs(signed, FakeFetcher())) == [
        ("failed", "ob3.proof.bad_signature")
    ]


def test_every_proof_must_verify() -> None:
    doc = fx.credential()
    two = fx.sign(fx.sign(doc), vm=fx.DID_KEY_VM)
    assert isinstance(two["proof"], list) and len(two["proof"]) == 2
    report = di.verify_embedded_proofs(two, FakeFetcher())
    assert _statuses(report) == [("passed", "ob3.proof.valid")] * 2
    broken = copy.deepcopy(two)
    broken["proof"][1]["proofValue"] = "z" + b58encode(bytes(64))
    statuses = _statuses(di.verify_embedded_proofs(broken, FakeFetcher()))
    assert statuses == [("passed", "ob3.proof.valid"), ("failed", "ob3.proof.bad_signature")]


def test_wrong_purpose_and_unknown_suite() -> None:
    signed = fx.sign(fx.credential())
    signed["proof"]["proofPurpose"] = "authentication"
    assert _statuses(di.verify_embedded_proofs(signed, FakeFetcher()))[0][1] == "ob3.proof.purpose"
    signed["proof"]["cryptosuite"] = "bbs-2023"
    assert _statuses(di.verify_embedded_proofs(signed, FakeFetcher()))[0] == (
        "unsupported",
        "ob3.proof.unsupported",
    )


@pytest.mark.parametrize("value", ["not-multibase", "z0OIl", "z" + b58encode(b"short")])
def test_malformed_proof_values(value: str) -> None:
    signed = fx.sign(fx.credential())
    signed["proof"]["proofValue"] = value
    assert _statuses(di.verify_embedded_proofs(signed, FakeFetcher()))[0] == (
        "failed",
        "ob3.proof.malformed",
    )


def test_unreachable_key_is_unverifiable() -> None:
    signed = fx.sign(fx.credential(fx.DID_WEB), vm=fx.DID_WEB_VM)
    report = di.verify_embedded_proofs(signed, FakeFetcher())
    assert report.proofs[0].status == "unsupported"
    assert report.proofs[0].outcome == "unverifiable"
    assert _statuses(di.verify_embedded_proofs(signed, fx.fetcher())) == [
        ("passed", "ob3.proof.valid")
    ]


def test_undefined_term_added_after_signing_is_a_finding_not_a_signature_failure() -> None:
    signed = fx.sign(fx.credential())
    signed["credentialSubject"]["secretField"] = "shown but never signed"
    report = di.verify_embedded_proofs(signed, FakeFetcher())
    assert _statuses(report) == [("passed", "ob3.proof.valid")]
    assert report.dropped == ("secretField",) and not report.safe


def test_signer_refuses_undefined_terms() -> None:
    doc = fx.credential(extra_subject={"notAnObTerm": "x"})
    with pytest.raises(ValueError, match="notAnObTerm"):
        fx.sign(doc)


def test_unknown_context_is_reported_not_raised() -> None:
    signed = fx.sign(fx.credential())
    signed["@context"] = [*signed["@context"], "https://unknown.example/ctx.json"]
    report = di.verify_embedded_proofs(signed, FakeFetcher())
    assert report.error is not None and report.error.code == "jsonld.unknown_context"


@pytest.mark.skipif(not LDP.is_dir(), reason="shared vectors folder absent")
def test_1edtech_golden_vector_verifies_with_its_published_key() -> None:
    doc = json.loads((LDP / "signed-credential.json").read_text(encoding="utf-8"))
    pair = json.loads((LDP / "keypair-and-intermediates.json").read_text(encoding="utf-8"))
    report = di.verify_embedded_proofs(doc, FakeFetcher())
    assert _statuses(report) == [("passed", "ob3.proof.valid")]
    assert decode_multikey(pair["publicKeyMultibase"]) is not None


@pytest.mark.skipif(not LDP.is_dir(), reason="shared vectors folder absent")
def test_our_signer_reproduces_the_1edtech_signature_byte_for_byte() -> None:
    from cryptography.hazmat.primitives.asymmetric import ed25519

    doc = json.loads((LDP / "signed-credential.json").read_text(encoding="utf-8"))
    pair = json.loads((LDP / "keypair-and-intermediates.json").read_text(encoding="utf-8"))
    expected = doc.pop("proof")
    key = ed25519.Ed25519PrivateKey.from_private_bytes(bytes.fromhex(pair["privateKeyHex"])[:32])
    signed = signing.sign_eddsa_rdfc_2022(
        doc, key, expected["verificationMethod"], expected["created"]
    )
    assert signed["proof"]["proofValue"] == expected["proofValue"]
    assert signed["proof"]["proofValue"][1:] == b58encode(bytes.fromhex(pair["signatureHex"]))
