"""ecdsa-sd-2023: derived proofs verify (1EdTech's and our own), and every alteration fails."""

from __future__ import annotations

import base64
import copy
import functools
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import cbor2
import pytest

from tests.openbadges import sd_signer
from tests.openbadges import v3_fixtures as fx
from tests.openbadges.fakes import FakeFetcher
from wallet.openbadges import dataintegrity as di
from wallet.openbadges import jsonld
from wallet.openbadges import signing
from wallet.openbadges import verify
from wallet.openbadges.ecdsa import sd
from wallet.openbadges.ecdsa import sign_p1363
from wallet.openbadges.ecdsa.sd import DerivedProof
from wallet.openbadges.ecdsa.sd import SdProblem
from wallet.openbadges.ecdsa.sd import parse_derived_proof_value
from wallet.openbadges.ecdsa.sd import serialize_derived_proof_value
from wallet.openbadges.keys import ec_multikey
from wallet.openbadges.keys import multibase_decode

VECTORS = Path(__file__).resolve().parents[2].parent / "shared" / "vectors"
DERIVED = (
    VECTORS / "1EdTech-digital-credentials-public-validator/inspector-vc/src/test/resources"
    "/ob30/sd/derivedcredential.json"
)
needs_vectors = pytest.mark.skipif(
    not DERIVED.is_file(), reason=f"shared vectors folder absent ({DERIVED} not found)"
)

ISSUER = fx.p256_key("ecdsa-sd issuer")
MULTIKEY = ec_multikey(ISSUER.public_key())
DID = f"did:key:{MULTIKEY}"
VM = f"{DID}#{MULTIKEY}"
CREDENTIAL_ID = fx.credential()["id"]

# What our issuer makes mandatory: every statement about the credential itself (its types, name,
# issuer, validFrom, subject and evidence links), about the issuer's profile, and the subject's
# achievement and every name. The rest the holder may withhold: the identifiers (e-mail hash,
# pass number), the licence number, the achievement's description, criteria, image, alignment.
MANDATORY = sd_signer.mandatory_statements("achievement", "name", subjects=(CREDENTIAL_ID, DID))
# What the holder leaves out of the copy most tests start from.
WITHHELD = ("credentialSubject.identifier.1", "credentialSubject.achievement.description")

OWN = pytest.param("own", id="own")
ONE_EDTECH = pytest.param("1edtech", marks=needs_vectors, id="1edtech")
SOURCES = [OWN, ONE_EDTECH]


def derived_1edtech() -> dict[str, Any]:
    """The 1EdTech validator's ob30/sd/derivedcredential.json (upstream Valid)."""
    return json.loads(DERIVED.read_text(encoding="utf-8"))


@functools.cache
def own_base() -> sd_signer.Base:
    """Our own credential with our issuer's base proof (``MANDATORY`` statements mandatory)."""
    return sd_signer.issue(fx.credential(DID), ISSUER, VM, mandatory=MANDATORY)


def own_derived(*withheld: str) -> dict[str, Any]:
    """Our own credential with a derived proof, ``withheld`` left out by the holder."""
    base = own_base()
    return sd_signer.derive(base, sd_signer.reveal(base, *withheld))


def derived(source: str) -> dict[str, Any]:
    """A fresh derived credential: ours (selectively disclosed) or 1EdTech's."""
    return derived_1edtech() if source == "1edtech" else own_derived(*WITHHELD)


def mandatory_statements_with(text: str, base: sd_signer.Base | None = None) -> list[str]:
    """The mandatory statements of our base proof (or ``base``) that contain ``text``."""
    base = base or own_base()
    return [base.statements[i] for i in sorted(base.mandatory) if text in base.statements[i]]


def disclosed_statements_with(text: str) -> list[str]:
    """The selectively disclosable statements of our base proof that contain ``text``."""
    base = own_base()
    return [s for i, s in enumerate(base.statements) if i not in base.mandatory and text in s]


def outcomes(document: dict[str, Any]) -> list[tuple[str, str]]:
    report = di.verify_embedded_proofs(document, FakeFetcher())
    assert report.error is None
    return [(p.status, p.message_id) for p in report.proofs]


def put(document: dict[str, Any], path: str, value: Any) -> None:
    """Set the dotted ``path`` (keys, list positions) of ``document`` to ``value``."""
    *parents, last = path.split(".")
    node: Any = document
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    node[int(last) if isinstance(node, list) else last] = value


def the_proof(document: dict[str, Any]) -> dict[str, Any]:
    proof = document["proof"]
    return proof[0] if isinstance(proof, list) else proof


def parsed(document: dict[str, Any]) -> DerivedProof:
    return parse_derived_proof_value(the_proof(document)["proofValue"])


def edit_proof(document: dict[str, Any], change: Callable[[DerivedProof], DerivedProof]) -> None:
    """Re-serialise the document's derived proof after ``change``."""
    proof = the_proof(document)
    proof["proofValue"] = serialize_derived_proof_value(
        change(parse_derived_proof_value(proof["proofValue"]))
    )


def with_components(document: dict[str, Any], change: Callable[[list[Any]], Any]) -> None:
    """Rewrite the raw CBOR components (for shapes DerivedProof cannot hold)."""
    proof = the_proof(document)
    body = proof["proofValue"][1:]
    raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    encoded = raw[:3] + cbor2.dumps(change(cbor2.loads(raw[3:])))
    proof["proofValue"] = "u" + base64.urlsafe_b64encode(encoded).decode().rstrip("=")


def replace(d: DerivedProof, **changes: Any) -> DerivedProof:
    fields = {
        "base_signature": d.base_signature,
        "public_key": d.public_key,
        "signatures": d.signatures,
        "label_map": d.label_map,
        "mandatory_indexes": d.mandatory_indexes,
    }
    return DerivedProof(**{**fields, **changes})


# --- what verifies ------------------------------------------------------------------------


@needs_vectors
def test_the_1edtech_derived_credential_verifies() -> None:
    report = di.verify_embedded_proofs(derived_1edtech(), FakeFetcher())
    assert report.error is None and report.safe
    (proof,) = report.proofs
    assert (proof.status, proof.message_id) == ("passed", "ob3.proof.valid")
    assert proof.detail.endswith("(15 disclosed, 0 mandatory statements)")
    assert proof.method is not None and proof.method.source == "fragment"
    assert proof.method.controller == "https://1edtech.edu/issuers/565049"


def test_our_base_proof_has_mandatory_and_selectively_disclosed_statements() -> None:
    base = own_base()
    assert len(base.mandatory) == 12
    assert len(base.signatures) == len(base.statements) - 12 > 20
    # Mandatory statements name blank nodes too (the subject), so HMAC labels matter to both.
    assert any("_:u" in base.statements[i] for i in base.mandatory)
    assert mandatory_statements_with("credentials#issuer>")
    assert mandatory_statements_with("credentials#validFrom>")
    assert not mandatory_statements_with("合格-2026-0042")  # the pass number may be withheld


def test_our_own_derived_credentials_verify_fully_and_selectively_disclosed() -> None:
    full = own_derived()
    report = di.verify_embedded_proofs(full, FakeFetcher())
    assert [(p.status, p.message_id) for p in report.proofs] == [("passed", "ob3.proof.valid")]
    assert report.proofs[0].detail.endswith("(29 disclosed, 12 mandatory statements)")
    partial = derived("own")
    assert "description" not in partial["credentialSubject"]["achievement"]
    assert len(partial["credentialSubject"]["identifier"]) == 1
    report = di.verify_embedded_proofs(partial, FakeFetcher())
    assert [(p.status, p.message_id) for p in report.proofs] == [("passed", "ob3.proof.valid")]
    # The pass number's object (four statements) and the description are not shown.
    assert report.proofs[0].detail.endswith("(23 disclosed, 12 mandatory statements)")
    assert len(parsed(partial).label_map) == len(parsed(full).label_map) - 1 == 5


def test_the_holder_cannot_derive_without_a_mandatory_statement() -> None:
    base = own_base()
    with pytest.raises(ValueError, match="mandatory statements not revealed"):
        sd_signer.derive(base, sd_signer.reveal(base, "validFrom"))


def test_a_did_key_issuer_with_its_own_key_is_valid_overall() -> None:
    report = verify(fx.dumps(derived("own")), fetcher=FakeFetcher(), now=fx.NOW)
    assert report.result == "valid", [(c.message_id, c.detail) for c in report.checks]


@pytest.mark.parametrize("source", SOURCES)
def test_a_proof_value_round_trips(source: str) -> None:
    value = the_proof(derived(source))["proofValue"]
    assert serialize_derived_proof_value(parse_derived_proof_value(value)) == value


# --- alterations of the disclosed document fail -------------------------------------------


@pytest.mark.parametrize(
    ("source", "path", "value"),
    [
        pytest.param("own", "credentialSubject.licenseNumber", "登録-654321", id="own"),
        pytest.param(
            "1edtech",
            "credentialSubject.achievement.name",
            "Teamwork!",
            marks=needs_vectors,
            id="1edtech",
        ),
    ],
)
def test_a_changed_disclosed_value_fails(source: str, path: str, value: str) -> None:
    assert disclosed_statements_with("登録-123456")
    document = derived(source)
    put(document, path, value)
    assert outcomes(document) == [("failed", "ob3.proof.bad_signature")]


@pytest.mark.parametrize(
    ("path", "value", "signed"),
    [
        ("issuer.name", "Japan Concrete Institute (forged)", '"Japan Concrete Institute"'),
        ("credentialSubject.achievement.name", "Concrete expert", '"コンクリート診断士"'),
        ("validFrom", "2025-04-01T09:00:00Z", '"2026-04-01T09:00:00Z"'),
    ],
    ids=["issuer name", "achievement name", "validFrom"],
)
def test_a_changed_mandatory_value_fails(path: str, value: str, signed: str) -> None:
    assert mandatory_statements_with(signed)
    document = derived("own")
    put(document, path, value)
    assert outcomes(document) == [("failed", "ob3.proof.bad_signature")]


@pytest.mark.parametrize("path", ["issuer.name", "validFrom", "evidence"])
def test_a_dropped_mandatory_statement_fails(path: str) -> None:
    document = derived("own")
    *parents, last = path.split(".")
    node: Any = document
    for part in parents:
        node = node[part]
    del node[last]
    assert outcomes(document) == [("failed", "ob3.proof.bad_signature")]


def test_a_dropped_mandatory_statement_fails_even_with_the_proof_adjusted() -> None:
    # The holder leaves the issuer out and derives a proof for what is left, every index and
    # signature consistent: the base signature's mandatory hash still covers the issuer.
    base = own_base()
    revealed = sd_signer.reveal(base, "issuer", *WITHHELD)
    document = sd_signer.derive(base, revealed, drop_mandatory=True)
    assert len(parsed(document).mandatory_indexes) < len(base.mandatory)
    report = di.verify_embedded_proofs(document, FakeFetcher())
    (proof,) = report.proofs
    assert (proof.status, proof.message_id) == ("failed", "ob3.proof.bad_signature")
    assert "base signature" in proof.detail


@pytest.mark.parametrize(
    ("source", "path", "value"),
    [
        pytest.param("own", "credentialSubject.achievement.humanCode", "CD-99", id="own"),
        pytest.param(
            "1edtech",
            "credentialSubject.achievement.image",
            {"id": "https://evil.example/badge.png", "type": "Image"},
            marks=needs_vectors,
            id="1edtech",
        ),
    ],
)
def test_a_statement_the_holder_adds_fails(source: str, path: str, value: Any) -> None:
    document = derived(source)
    put(document, path, value)
    report = di.verify_embedded_proofs(document, FakeFetcher())
    assert report.safe  # a term the contexts define: the statement is really there
    assert [(p.status, p.message_id) for p in report.proofs] == [
        ("failed", "ob3.proof.bad_signature")
    ]


@pytest.mark.parametrize(
    "description",
    ["Passed the concrete diagnostician examination.", "Passed with honours."],
    ids=["the signed value", "another value"],
)
def test_an_undisclosed_value_put_back_fails(description: str) -> None:
    # Withheld when the proof was derived, so no statement signature is there for it: even
    # the value the issuer signed cannot come back without a new derivation.
    document = derived("own")
    document["credentialSubject"]["achievement"]["description"] = description
    assert outcomes(document) == [("failed", "ob3.proof.bad_signature")]


# --- alterations of the proof value fail --------------------------------------------------


def test_swapped_hmac_labels_fail() -> None:
    def swap(d: DerivedProof) -> DerivedProof:
        keys = sorted(d.label_map)
        labels = dict(d.label_map)
        labels[keys[0]], labels[keys[1]] = labels[keys[1]], labels[keys[0]]
        return replace(d, label_map=labels)

    document = derived("own")
    assert len(parsed(document).label_map) >= 2
    edit_proof(document, swap)
    assert outcomes(document) == [("failed", "ob3.proof.bad_signature")]


@pytest.mark.parametrize("source", SOURCES)
def test_a_made_up_hmac_label_fails(source: str) -> None:
    def other(d: DerivedProof) -> DerivedProof:
        return replace(d, label_map={**d.label_map, "c14n0": "u" + "A" * 43})

    document = derived(source)
    assert "c14n0" in parsed(document).label_map
    edit_proof(document, other)
    assert outcomes(document) == [("failed", "ob3.proof.bad_signature")]


@pytest.mark.parametrize("source", SOURCES)
def test_a_label_map_that_misses_a_blank_node_fails(source: str) -> None:
    def drop(d: DerivedProof) -> DerivedProof:
        return replace(d, label_map={k: v for k, v in d.label_map.items() if k != "c14n0"})

    document = derived(source)
    edit_proof(document, drop)
    assert outcomes(document) == [("failed", "ob3.proof.bad_signature")]


@pytest.mark.parametrize("source", SOURCES)
def test_a_truncated_signature_list_fails(source: str) -> None:
    document = derived(source)
    edit_proof(document, lambda d: replace(d, signatures=d.signatures[:-1]))
    assert outcomes(document) == [("failed", "ob3.proof.bad_signature")]


@pytest.mark.parametrize("source", SOURCES)
def test_reordered_signatures_fail(source: str) -> None:
    document = derived(source)
    edit_proof(document, lambda d: replace(d, signatures=d.signatures[::-1]))
    assert outcomes(document) == [("failed", "ob3.proof.bad_signature")]


def test_moved_mandatory_indexes_fail() -> None:
    document = derived("own")
    edit_proof(
        document,
        lambda d: replace(d, mandatory_indexes=frozenset(i + 1 for i in d.mandatory_indexes)),
    )
    assert outcomes(document) == [("failed", "ob3.proof.bad_signature")]


@pytest.mark.parametrize("source", SOURCES)
def test_a_disclosed_statement_declared_mandatory_fails(source: str) -> None:
    # Counts stay consistent (one index more, its signature gone): the mandatory hash differs.
    def declare(d: DerivedProof) -> DerivedProof:
        first = min(set(range(len(d.signatures) + 1)) - d.mandatory_indexes)
        return replace(
            d, signatures=d.signatures[1:], mandatory_indexes=d.mandatory_indexes | {first}
        )

    document = derived(source)
    edit_proof(document, declare)
    report = di.verify_embedded_proofs(document, FakeFetcher())
    (proof,) = report.proofs
    assert (proof.status, proof.message_id) == ("failed", "ob3.proof.bad_signature")
    assert "base signature" in proof.detail


@pytest.mark.parametrize("source", SOURCES)
def test_a_signature_by_another_proof_scoped_key_fails(source: str) -> None:
    other = ec_multikey(fx.p256_key("another proof key").public_key())
    document = derived(source)
    edit_proof(document, lambda d: replace(d, public_key=multibase_decode(other)))
    assert outcomes(document) == [("failed", "ob3.proof.bad_signature")]


def test_statement_signatures_by_another_proof_scoped_key_fail() -> None:
    # The holder signs the statements again with a key of its own and puts that key in: the
    # issuer's base signature covers the proof-scoped key, so this fails too.
    other = fx.p256_key("holder's own proof key")
    base = own_base()
    forged = copy.copy(base)
    forged.public_key = multibase_decode(ec_multikey(other.public_key()))
    forged.signatures = {i: sign_p1363(other, base.statements[i].encode()) for i in base.signatures}
    document = sd_signer.derive(forged, sd_signer.reveal(base, *WITHHELD))
    report = di.verify_embedded_proofs(document, FakeFetcher())
    (proof,) = report.proofs
    assert (proof.status, proof.message_id) == ("failed", "ob3.proof.bad_signature")
    assert "base signature" in proof.detail


@pytest.mark.parametrize("source", SOURCES)
def test_another_issuer_key_fails(source: str) -> None:
    document = derived(source)
    other = ec_multikey(fx.p256_key("attacker").public_key())
    the_proof(document)["verificationMethod"] = f"did:key:{other}#{other}"
    assert outcomes(document) == [("failed", "ob3.proof.bad_signature")]


@pytest.mark.parametrize("source", SOURCES)
def test_changed_proof_options_fail(source: str) -> None:
    document = derived(source)
    the_proof(document)["created"] = "2026-04-01T09:00:01Z"
    assert outcomes(document) == [("failed", "ob3.proof.bad_signature")]


@pytest.mark.parametrize(
    "change",
    [
        lambda c: [c[0][:-1], *c[1:]],  # truncated base signature
        lambda c: [c[0], c[1][:-1], *c[2:]],  # truncated proof-scoped key
        lambda c: [*c[:2], [c[2][0][:-1], *c[2][1:]], *c[3:]],  # one truncated signature
        lambda c: [*c[:3], {k: v[:-1] for k, v in c[3].items()}, c[4]],  # short HMAC labels
        lambda c: [*c[:4], [-1]],  # negative index
        lambda c: [*c[:4], [0, 0]],  # repeated index
        lambda c: [*c[:4], ["0"]],  # index of the wrong type
        lambda c: c[:4],  # four components
        lambda c: {"0": c},  # not an array
    ],
)
def test_malformed_components_are_rejected(change: Callable[[list[Any]], Any]) -> None:
    document = derived("own")
    with_components(document, change)
    assert outcomes(document) == [("failed", "ob3.proof.malformed")]


def test_duplicate_labels_and_trailing_bytes_are_rejected() -> None:
    value = the_proof(derived("own"))["proofValue"]
    proof = parse_derived_proof_value(value)
    same = next(iter(proof.label_map.values()))
    twice = replace(proof, label_map=dict.fromkeys(proof.label_map, same))
    with pytest.raises(SdProblem, match="same label"):
        parse_derived_proof_value(serialize_derived_proof_value(twice))
    body = value[1:]
    raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)) + b"\x00"
    with pytest.raises(SdProblem, match="after its CBOR"):
        parse_derived_proof_value("u" + base64.urlsafe_b64encode(raw).decode().rstrip("="))


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("z2V0B", "base64url multibase"),
        ("u2V0B=", "base64url"),
        ("u" + base64.urlsafe_b64encode(b"\xd9\x5d\x02\x80").decode().rstrip("="), "derived"),
        ("u" + base64.urlsafe_b64encode(b"\xd9\x5d\x01\xff").decode().rstrip("="), "CBOR"),
    ],
)
def test_parse_refuses_what_is_not_a_derived_proof(value: str, message: str) -> None:
    with pytest.raises(SdProblem, match=message):
        parse_derived_proof_value(value)


def test_a_base_proof_is_unverifiable_not_valid_nor_invalid() -> None:
    document = derived("own")
    base = b"\xd9\x5d\x00" + cbor2.dumps([bytes(64), bytes(35), bytes(32), [], []])
    document["proof"]["proofValue"] = "u" + base64.urlsafe_b64encode(base).decode().rstrip("=")
    report = di.verify_embedded_proofs(document, FakeFetcher())
    (proof,) = report.proofs
    assert (proof.status, proof.message_id, proof.outcome) == (
        "unsupported",
        "ob3.proof.sd_base",
        "unverifiable",
    )


def test_a_p384_issuer_key_is_the_wrong_type_for_ecdsa_sd() -> None:
    from tests.openbadges.test_ecdsa import P384

    document = derived("own")
    p384 = ec_multikey(P384.public_key())
    document["proof"]["verificationMethod"] = f"did:key:{p384}#{p384}"
    assert outcomes(document) == [("failed", "ob3.key.wrong_type")]


def test_an_ed25519_issuer_key_is_the_wrong_type_for_ecdsa_sd() -> None:
    document = derived("own")
    document["proof"]["verificationMethod"] = fx.DID_KEY_VM
    assert outcomes(document) == [("failed", "ob3.key.wrong_type")]


def test_a_base58_proof_value_is_malformed_before_any_key_is_fetched() -> None:
    document = derived("own")
    document["proof"]["proofValue"] = "z3NLo"
    document["proof"]["verificationMethod"] = "https://unreachable.example/key"
    fetcher = FakeFetcher()
    report = di.verify_embedded_proofs(document, fetcher)
    assert [(p.status, p.message_id) for p in report.proofs] == [("failed", "ob3.proof.malformed")]
    assert fetcher.requests == []


def test_the_budget_bounds_the_second_canonicalisation() -> None:
    document = derived("own")
    proof = document.pop("proof")
    budget = jsonld.Budget(seconds=1.0).start()
    budget.deadline = 0.000001  # already spent when the SD suite starts its own work
    with pytest.raises(jsonld.BudgetExceeded):
        sd.verify_derived(proof["proofValue"], ISSUER.public_key(), "", document, budget)


def test_a_budget_exceeded_in_the_sd_suite_is_reported_not_raised(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def spent(*args: object, **kwargs: object) -> None:
        raise jsonld.BudgetExceeded("spent")

    document = derived("own")  # derived before the patch: the test signer relabels too
    # Only the SD suite relabels; the document's own canonical form is made as usual.
    monkeypatch.setattr(jsonld, "canonize_relabelled", spent)
    report = di.verify_embedded_proofs(document, FakeFetcher())
    assert isinstance(report.error, jsonld.BudgetExceeded) and report.proofs == ()


# --- the holder chose what to show: a warning beside the verdict --------------------------

EXPIRED = "2026-10-01T00:00:00Z"  # before fx.NOW
STATUS_INDEX = 3
# An issuer that makes little mandatory: the holder may withhold validUntil and credentialStatus.
LENIENT = sd_signer.mandatory_statements(
    "issuer", "validFrom", "credentialSubject", "achievement", "name"
)


@functools.cache
def lifetime_base(*, lenient: bool) -> sd_signer.Base:
    """Our credential with an expiry date (passed at fx.NOW) and a status entry."""
    unsigned = fx.credential(DID, valid_until=EXPIRED, status_index=STATUS_INDEX)
    return sd_signer.issue(unsigned, ISSUER, VM, mandatory=LENIENT if lenient else MANDATORY)


def selective_warnings(report: Any) -> list[str]:
    return [c.detail for c in report.checks if c.message_id == "ob3.proof.selective"]


def test_a_verified_derived_proof_comes_with_the_selective_disclosure_warning() -> None:
    integrity = di.verify_embedded_proofs(derived("own"), FakeFetcher())
    (proof,) = integrity.proofs
    assert proof.status == "passed"
    ((message_id, detail),) = proof.warnings
    assert message_id == "ob3.proof.selective"
    assert "no credentialStatus and no validUntil/expirationDate" in detail
    report = verify(fx.dumps(derived("own")), fetcher=FakeFetcher(), now=fx.NOW)
    assert report.result == "valid"  # a warning, not a verdict
    (check,) = [c for c in report.checks if c.message_id == "ob3.proof.selective"]
    assert (check.id, check.status) == ("proof", "warning")
    assert check.detail == detail


def test_the_warning_names_the_expiry_and_status_the_credential_shows() -> None:
    base = lifetime_base(lenient=False)
    assert mandatory_statements_with("credentials#validUntil>", base)
    assert mandatory_statements_with("credentials#credentialStatus>", base)
    document = sd_signer.derive(base, sd_signer.reveal(base, *WITHHELD))
    (proof,) = di.verify_embedded_proofs(document, FakeFetcher()).proofs
    assert proof.status == "passed"
    assert proof.warnings == (
        (
            "ob3.proof.selective",
            "selectively disclosed by the holder; it shows credentialStatus and validUntil",
        ),
    )


def test_an_expiry_date_the_holder_withholds_is_missing_from_the_verdict() -> None:
    # Why the warning exists: the same credential is expired with validUntil shown and valid
    # without it, and only the warning tells the difference.
    base = lifetime_base(lenient=True)
    assert not mandatory_statements_with("credentials#validUntil>", base)
    assert not mandatory_statements_with("credentials#credentialStatus>", base)
    shown = sd_signer.derive(base, sd_signer.reveal(base, "credentialStatus"))
    report = verify(fx.dumps(shown), fetcher=FakeFetcher(), now=fx.NOW)
    assert report.result == "expired"
    assert selective_warnings(report) == [
        "selectively disclosed by the holder; it shows validUntil"
    ]
    hidden = sd_signer.derive(base, sd_signer.reveal(base, "credentialStatus", "validUntil"))
    report = verify(fx.dumps(hidden), fetcher=FakeFetcher(), now=fx.NOW)
    assert report.result == "valid", [(c.message_id, c.detail) for c in report.checks]
    (detail,) = selective_warnings(report)
    assert "no credentialStatus and no validUntil/expirationDate" in detail


def test_a_status_entry_the_holder_withholds_is_not_checked_and_is_warned_about() -> None:
    base = lifetime_base(lenient=True)
    shown = sd_signer.derive(base, sd_signer.reveal(base, "validUntil"))
    report = verify(fx.dumps(shown), fetcher=FakeFetcher(), now=fx.NOW)
    assert report.result == "unverifiable"  # the status list cannot be had offline
    assert selective_warnings(report) == [
        "selectively disclosed by the holder; it shows credentialStatus"
    ]
    hidden = sd_signer.derive(base, sd_signer.reveal(base, "validUntil", "credentialStatus"))
    report = verify(fx.dumps(hidden), fetcher=FakeFetcher(), now=fx.NOW)
    assert report.result == "valid"
    (detail,) = selective_warnings(report)
    assert "no credentialStatus" in detail


@needs_vectors
def test_the_1edtech_derived_credential_comes_with_the_warning() -> None:
    (proof,) = di.verify_embedded_proofs(derived_1edtech(), FakeFetcher()).proofs
    ((message_id, detail),) = proof.warnings
    assert message_id == "ob3.proof.selective"
    assert "no credentialStatus and no validUntil/expirationDate" in detail


def test_no_selective_disclosure_warning_when_the_derived_proof_fails() -> None:
    document = derived("own")
    put(document, "credentialSubject.licenseNumber", "登録-654321")
    (proof,) = di.verify_embedded_proofs(document, FakeFetcher()).proofs
    assert (proof.status, proof.warnings) == ("failed", ())
    report = verify(fx.dumps(document), fetcher=FakeFetcher(), now=fx.NOW)
    assert report.result == "invalid" and selective_warnings(report) == []


def test_no_selective_disclosure_warning_for_proofs_that_cover_everything() -> None:
    rdfc = signing.sign_ecdsa_rdfc_2019(fx.credential(DID), ISSUER, VM, fx.CREATED)
    eddsa = fx.sign(fx.credential(fx.DID_KEY), vm=fx.DID_KEY_VM)
    for signed in (rdfc, eddsa):
        report = verify(fx.dumps(signed), fetcher=FakeFetcher(), now=fx.NOW)
        assert report.result == "valid", [(c.message_id, c.detail) for c in report.checks]
        assert selective_warnings(report) == []
