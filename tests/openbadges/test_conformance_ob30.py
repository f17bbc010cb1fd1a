"""Conformance: every shared OB 3.0 vector with an upstream expectation gives that outcome."""

from __future__ import annotations

import json
from datetime import UTC
from datetime import datetime
from pathlib import Path

import pytest

from tests.openbadges.fakes import FakeFetcher
from wallet.openbadges import DEFAULT_LIMITS
from wallet.openbadges import UnsupportedFormat
from wallet.openbadges import VerificationReport
from wallet.openbadges import dataintegrity
from wallet.openbadges import verify
from wallet.openbadges.keys import key_ownership
from wallet.openbadges.v3 import verify_v3

VECTORS = Path(__file__).resolve().parents[2].parent / "shared" / "vectors"
OB30 = VECTORS / "1EdTech-digital-credentials-public-validator/inspector-vc/src/test/resources/ob30"
DERIVED = VECTORS / "_derived"
TESTLIST_URL = (
    "https://raw.githubusercontent.com/1EdTech/digital-credentials-public-validator/refs/heads/"
    "main/inspector-vc/src/test/resources/ob30/bit-string-list/testlist"
)
NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)

pytestmark = pytest.mark.skipif(not OB30.is_dir(), reason="shared vectors folder absent")

# Upstream Valid or Warning: our result must be "valid".
VALID = [
    "simple.json",
    "simple.1ob",
    "simple-context-alias.json",
    "endorsement-valid.json",
    "simple-did-key-method.json",
    "simple-did-web-method.json",
    "simple-eddsa-2022.json",
    "simple_v1.json",
    "simple-json.png",
    "simple-json.svg",
    "simple-jwt.png",
    "simple-jwt.svg",
    "simple-jwt_v1.png",
    "simple-jwt_v1.svg",
]

# Upstream Invalid: our result, where the reason is obvious; otherwise any non-valid result.
NOT_VALID = {
    "simple-err-expired.json": "expired",
    "simple-err-issued.json": "not_yet_valid",
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

# No upstream expectation; our own reading of them.
OURS = {
    "simple.jwt": "invalid",
    "simple-noproof.json": "invalid",
    "_derived/ob3-json-tampered-itxt.png": "invalid",
    "_derived/ob3-jwt-alt-prefix.svg": "valid",
}


def _fetcher() -> FakeFetcher:
    fake = FakeFetcher()
    fake.add(TESTLIST_URL, (OB30 / "bit-string-list" / "testlist").read_bytes())
    revoked = json.loads((OB30 / "credential-status-revoked.json").read_text(encoding="utf-8"))
    listing = {"revokedCredential": [{"id": revoked["id"], "revoked": True}]}
    fake.add(revoked["credentialStatus"]["id"], json.dumps(listing))
    return fake


def _result(name: str, base: Path = OB30) -> str:
    report = verify((base / name).read_bytes(), fetcher=_fetcher(), now=NOW)
    assert report.spec == "3.0"
    return report.result


@pytest.mark.parametrize("name", VALID)
def test_upstream_valid_or_warning_is_valid(name: str) -> None:
    assert _result(name) == "valid"


@pytest.mark.parametrize(("name", "expected"), sorted(NOT_VALID.items()))
def test_upstream_invalid_is_not_valid(name: str, expected: str) -> None:
    assert _result(name) == expected


@pytest.mark.parametrize(("name", "expected"), sorted(OURS.items()))
def test_vectors_without_upstream_expectation(name: str, expected: str) -> None:
    base = VECTORS if name.startswith("_derived/") else OB30
    assert _result(name, base) == expected


def test_credential_without_vc_context_is_invalid() -> None:
    # Detection may refuse this input before OB 3.0 verification (no VC context at all);
    # either way it must never come out valid, and verify_v3 itself calls it invalid.
    data = (OB30 / "simple-err-context.json").read_bytes()
    try:
        assert verify(data, fetcher=_fetcher(), now=NOW).result != "valid"
    except UnsupportedFormat:
        pass
    checks = verify_v3(json.loads(data), fetcher=_fetcher(), now=NOW, limits=DEFAULT_LIMITS)
    assert VerificationReport(tuple(checks)).result == "invalid"
    assert "ob3.context.invalid" in {c.message_id for c in checks}


@pytest.mark.xfail(strict=True, reason="ecdsa-sd-2023 (selective disclosure) is not implemented")
def test_selective_disclosure_derived_credential() -> None:
    assert _result("sd/derivedcredential.json") == "valid"


def test_status_list_credential_itself_verifies() -> None:
    testlist = json.loads((OB30 / "bit-string-list" / "testlist").read_text(encoding="utf-8"))
    report = dataintegrity.verify_embedded_proofs(testlist, FakeFetcher())
    assert report.safe and [p.status for p in report.proofs] == ["passed"]
    method = report.proofs[0].method
    assert method is not None
    assert key_ownership(method, testlist["issuer"], FakeFetcher())[0] != "contradicted"


@pytest.mark.parametrize(
    "name", ["complete.json", "complete_v1.json", "simple-context-version.json"]
)
def test_flagged_upstream_vectors_are_reported_without_error(name: str) -> None:
    report = verify((OB30 / name).read_bytes(), fetcher=_fetcher(), now=NOW)
    assert report.checks and report.result in {"valid", "unverifiable", "expired", "invalid"}
