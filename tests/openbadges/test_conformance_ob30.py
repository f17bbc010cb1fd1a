"""Conformance: every shared OB 3.0 vector gives exactly the result our verdict rules set.

Upstream (the 1EdTech validator) does not bind a signing key to its issuer; we do. Where that
changes the verdict, INDEX.md's deviations table says so and the expectation here follows it;
the few vectors INDEX.md does not list are in tests/vector_index.EXTRA_DEVIATIONS with their
reason. Each
deviation is also checked the way INDEX.md states it: served with an issuer profile (or JWK
set) listing the same key the vector is valid, listing other keys only it is invalid.
"""

from __future__ import annotations

import json
from datetime import UTC
from datetime import datetime
from pathlib import Path

import pytest

from tests.issuer_publishing import issuer_documents
from tests.openbadges.fakes import FakeFetcher
from tests.vector_index import EXTRA_DEVIATIONS
from tests.vector_index import all_deviations
from wallet.openbadges import DEFAULT_LIMITS
from wallet.openbadges import VerificationReport
from wallet.openbadges import dataintegrity
from wallet.openbadges import verify
from wallet.openbadges.binding import key_ownership
from wallet.openbadges.v3 import verify_v3

VECTORS = Path(__file__).resolve().parents[2].parent / "shared" / "vectors"
RESOURCES = VECTORS / "1EdTech-digital-credentials-public-validator/inspector-vc/src/test/resources"
OB30 = RESOURCES / "ob30"
TESTLIST_URL = (
    "https://raw.githubusercontent.com/1EdTech/digital-credentials-public-validator/refs/heads/"
    "main/inspector-vc/src/test/resources/ob30/bit-string-list/testlist"
)
NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)

pytestmark = pytest.mark.skipif(not OB30.is_dir(), reason="shared vectors folder absent")

# Upstream Invalid: the result our rules give, for each.
NOT_VALID = {
    # The key of these cannot be bound offline (as the deviations), and "unverifiable" outranks
    # "expired" / "not yet valid"; served with the issuer's profile they are exactly that.
    "simple-err-expired.json": "unverifiable",
    "simple-err-issued.json": "unverifiable",
    # A revocation outranks an unconfirmed key: the list is signed by the very key that signed
    # the badge (bit-string-list) or served from the issuer's origin (1EdTechRevocationList).
    "bit-string-list/credential-status-revoked.json": "revoked",
    "bit-string-list/credential-status-revoked-blank-nodes.json": "revoked",
    "credential-status-revoked.json": "revoked",
    "simple-err-type.json": "invalid",
    "simple-err-credential-subject-achievement-result-description-type.json": "invalid",
    "simple-err-credential-subject-identifier-type.json": "invalid",
    "simple-err-credential-subject-profile-type.json": "invalid",
    "simple-err-credential-subject-result-type.json": "invalid",
    "simple-err-credential-subject-type.json": "invalid",
    "simple-err-evidence-type.json": "invalid",
    "simple-err-issuer-otheridentifier-type.json": "invalid",
    "simple-err-issuer-parentorg-type.json": "invalid",
    "simple-err-issuer-type.json": "invalid",
    "simple-err-issuer.json": "invalid",
    "simple-err-proof-method-no-scheme.json": "invalid",
    "simple-err-proof-method-unknown-scheme.json": "invalid",
    "simple-err-proof-method.json": "invalid",
    "simple-err-proof-value.json": "invalid",
    "simple-multiple-proofs.json": "invalid",
    "endorsement-err-schema-status-refresh.json": "invalid",
    # Unresolvable key references: we cannot say more than "cannot be verified".
    "simple-err-proof-method-unknown-did-method.json": "unverifiable",
    "velocity.jwt": "unverifiable",
}

# Upstream names a probe only (no verdict); ours, exactly.
FLAGGED = {
    "complete.json": "unverifiable",  # key unconfirmed offline; its status list unreachable
    "complete_v1.json": "unverifiable",  # its key URL is not reachable offline
    "simple-context-version.json": "unverifiable",  # key unconfirmed offline
}

# No upstream expectation; our own reading of them.
OURS = {
    "simple.jwt": "invalid",  # no key at all in the JOSE header
    "simple-noproof.json": "invalid",
    "_derived/ob3-json-tampered-itxt.png": "invalid",
    "_derived/ob3-jwt-alt-prefix.svg": "unverifiable",  # key only in the JOSE header
}


def _deviations() -> dict[str, str]:
    """Vector path under ob30/ -> our offline result (INDEX.md's table and the extra ones)."""
    if not OB30.is_dir():
        return {}
    prefix = str(OB30.relative_to(VECTORS)) + "/"
    return {
        name.removeprefix(prefix): row.ours
        for name, row in all_deviations(VECTORS).items()
        if name.startswith(prefix)
    }


DEVIATIONS = _deviations()


def _fetcher(extra: dict[str, bytes] | None = None) -> FakeFetcher:
    fake = FakeFetcher()
    fake.add(TESTLIST_URL, (OB30 / "bit-string-list" / "testlist").read_bytes())
    revoked = json.loads((OB30 / "credential-status-revoked.json").read_text(encoding="utf-8"))
    listing = {"revokedCredential": [{"id": revoked["id"], "revoked": True}]}
    fake.add(revoked["credentialStatus"]["id"], json.dumps(listing))
    for url, body in (extra or {}).items():
        fake.add(url, body)
    return fake


def _result(name: str, base: Path = OB30, extra: dict[str, bytes] | None = None) -> str:
    report = verify((base / name).read_bytes(), fetcher=_fetcher(extra), now=NOW)
    assert report.spec == "3.0"
    return report.result


def test_index_deviations_are_read() -> None:
    assert DEVIATIONS["simple.json"] == "unverifiable"
    assert DEVIATIONS["simple-jwt.png"] == "unverifiable"
    assert len(DEVIATIONS) == 13 + len(EXTRA_DEVIATIONS)
    for name in DEVIATIONS:
        assert (OB30 / name).is_file(), name


@pytest.mark.parametrize(("name", "expected"), sorted(DEVIATIONS.items()))
def test_deviation_offline(name: str, expected: str) -> None:
    assert _result(name) == expected


@pytest.mark.parametrize("name", sorted(n for n in DEVIATIONS if n != "simple-did-key-method.json"))
def test_deviation_with_the_issuers_documents(name: str) -> None:
    data = (OB30 / name).read_bytes()
    assert _result(name, extra=issuer_documents(data)) == "valid"
    assert _result(name, extra=issuer_documents(data, listed=False)) == "invalid"


def test_did_key_signer_under_a_urn_issuer_can_never_be_confirmed() -> None:
    # simple-did-key-method.json names the issuer `urn:uuid:…`: there is no document of that
    # issuer to publish a key in, so no served document can make it valid.
    assert DEVIATIONS["simple-did-key-method.json"] == "unverifiable"
    data = (OB30 / "simple-did-key-method.json").read_bytes()
    assert verify(data, fetcher=_fetcher(), now=NOW).result == "unverifiable"


@pytest.mark.parametrize(("name", "expected"), sorted(NOT_VALID.items()))
def test_upstream_invalid_is_not_valid(name: str, expected: str) -> None:
    assert _result(name) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [("simple-err-expired.json", "expired"), ("simple-err-issued.json", "not_yet_valid")],
)
def test_dated_vectors_with_the_issuers_profile(name: str, expected: str) -> None:
    data = (OB30 / name).read_bytes()
    assert _result(name, extra=issuer_documents(data)) == expected


@pytest.mark.parametrize(("name", "expected"), sorted(FLAGGED.items()))
def test_flagged_upstream_vectors(name: str, expected: str) -> None:
    report = verify((OB30 / name).read_bytes(), fetcher=_fetcher(), now=NOW)
    assert report.result == expected


@pytest.mark.parametrize(("name", "expected"), sorted(OURS.items()))
def test_vectors_without_upstream_expectation(name: str, expected: str) -> None:
    base = VECTORS if name.startswith("_derived/") else OB30
    assert _result(name, base) == expected


def test_credential_without_vc_context_is_invalid() -> None:
    # Recognisably an OB 3.0 credential (its OB context) but no VC context: not a VC at all.
    data = (OB30 / "simple-err-context.json").read_bytes()
    assert verify(data, fetcher=_fetcher(), now=NOW).result == "invalid"
    checks = verify_v3(json.loads(data), fetcher=_fetcher(), now=NOW, limits=DEFAULT_LIMITS)
    assert VerificationReport(tuple(checks)).result == "invalid"
    assert "ob3.context.invalid" in {c.message_id for c in checks}


def test_selective_disclosure_derived_credential() -> None:
    # Upstream Valid. Its ecdsa-sd-2023 derived proof verifies (base signature by the issuer's
    # P-256 key, 15 disclosed statements each signed by the proof-scoped key), but the key is
    # only the `https://1edtech.edu/issuers/565049#zDn…` fragment: offline nothing published by
    # that issuer confirms it, so the result is `unverifiable` (a deviation, like simple.json).
    # Served with the issuer's profile listing the key it is `valid`; listing other keys only,
    # `invalid` (test_deviation_with_the_issuers_documents covers both too).
    name = "sd/derivedcredential.json"
    data = (OB30 / name).read_bytes()
    report = verify(data, fetcher=_fetcher(), now=NOW)
    assert report.result == "unverifiable"
    by_id = {(c.id, c.message_id): c.status for c in report.checks}
    assert by_id[("proof", "ob3.proof.valid")] == "passed"
    assert by_id[("proof", "ob3.proof.selective")] == "warning"
    assert "ob3.key.unconfirmed" in {c.message_id for c in report.checks}
    assert not [c for c in report.checks if c.status == "failed"]
    assert _result(name, extra=issuer_documents(data)) == "valid"
    assert _result(name, extra=issuer_documents(data, listed=False)) == "invalid"
    tampered = json.loads(data)
    tampered["credentialSubject"]["achievement"]["name"] = "Leadership"
    report = verify(
        json.dumps(tampered).encode(), fetcher=_fetcher(issuer_documents(data)), now=NOW
    )
    assert report.result == "invalid"
    assert ("proof", "ob3.proof.bad_signature") in {(c.id, c.message_id) for c in report.checks}


def test_status_list_credential_itself_verifies() -> None:
    testlist = json.loads((OB30 / "bit-string-list" / "testlist").read_text(encoding="utf-8"))
    report = dataintegrity.verify_embedded_proofs(testlist, FakeFetcher())
    assert report.safe and [p.status for p in report.proofs] == ["passed"]
    method = report.proofs[0].method
    assert method is not None
    assert key_ownership(method, testlist["issuer"], FakeFetcher()).ownership == "unconfirmed"
