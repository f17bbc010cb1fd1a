"""Every OB 2.0 shared vector with an upstream (1EdTech validator) expectation gives that result."""

from __future__ import annotations

import json
from datetime import UTC
from datetime import datetime

import pytest

from tests.openbadges.fakes import OB20
from tests.openbadges.fakes import VECTORS
from tests.openbadges.fakes import DirFetcher
from wallet.openbadges import verify

NOW = datetime(2026, 11, 21, tzinfo=UTC)
ASSETS = OB20 / "assets"
HOSTED = "https://example.org/beths-robotics-badge.json"

pytestmark = pytest.mark.skipif(
    not OB20.is_dir(), reason="shared vectors not present at ../shared/vectors"
)

# path relative to ob20/ -> (upstream JUnit test and expectation, our required result or None
# for "anything but valid").
EXPECTED: dict[str, tuple[str, str | None]] = {
    "assertion-with-data-image.json": ("testDataImageInAssertion: Invalid", "invalid"),
    "assertion-with-endorsements.json": ("testEndorsementsInAssertion: Valid", "valid"),
    "assertion-with-extension-node-basic.json": ("testExtensionNode: Valid", "valid"),
    "assertion-with-extension-node-invalid.json": ("testInvalidExtensionNode: Invalid", None),
    "assertion-with-multiple-extensions.json": ("testMultipleExtensionNode: Valid", "valid"),
    "assets/badge-with-data-image.json": ("testDataImageInBadge: Valid", "valid"),
    "assets/badgeclass-with-complex-image.json": ("testComplexImageInAssertion: Valid", "valid"),
    "assets/badgeclass1.json": ("testSimpleBadgeClassJsonValid: Valid", "valid"),
    "basic-assertion-expired-before-issued.json": ("testExpiredBeforeIssued: Invalid", "invalid"),
    "basic-assertion-expired.json": ("testExpired: Invalid", "expired"),
    "basic-assertion-in-future.json": ("testIssuedInFuture: Invalid", "invalid"),
    "basic-assertion-invalid-context.json": ("testSimpleJsonInvalidContext: Invalid", "invalid"),
    "basic-assertion-invalid-type.json": ("testSimpleJsonInvalidType: Invalid", "invalid"),
    "basic-assertion-no-public-key.json": ("testNoPublicKeyInIssuer: Valid", "valid"),
    "basic-assertion-with-allowed-origins-invalid-multiple-starts-with.json": (
        "testVerificationMultipleStartsWith: Invalid",
        "invalid",
    ),
    "basic-assertion-with-allowed-origins-invalid-starts-with.json": (
        "testVerificationStartsWith: Invalid",
        "invalid",
    ),
    "basic-assertion-with-allowed-origins-valid-multiple-starts-with.json": (
        "testVerificationMultipleStartsWith: Valid",
        "valid",
    ),
    "basic-assertion-with-allowed-origins-valid-starts-with.json": (
        "testVerificationStartsWith: Valid",
        "valid",
    ),
    "basic-assertion-with-allowed-origins.json": ("testVerification: Valid", "valid"),
    "basic-assertion-with-language.json": ("testAssertionWithLanguage: Valid", "valid"),
    "basic-assertion.json": ("testSimpleJsonValid: Valid", "valid"),
    "issuer-compact-iri-validation.json": ("testCompactIriInIssuer: Valid", "valid"),
    "rdf-validation/badge-class-invalid-issuer-type.json": ("testRdfValidation: Invalid", None),
    "rdf-validation/invalid-class.json": ("testRdfValidation: Invalid", None),
    "rdf-validation/invalid-empty-type.json": ("testRdfValidation: Invalid", None),
    "rdf-validation/invalid-one-invalid-class.json": ("testRdfValidation: Invalid", None),
    "rdf-validation/valid-alignment-object.json": ("testRdfValidation: Valid", "valid"),
    "rdf-validation/valid-badge-class-empty-criteria-type.json": (
        "testRdfValidation: Valid",
        "valid",
    ),
    "rdf-validation/valid-badge-class.json": ("testRdfValidation: Valid", "valid"),
    "rdf-validation/valid-cool-class.json": ("testRdfValidation: Valid", "valid"),
    "rdf-validation/valid-issuer-extension.json": ("testRdfValidation: Valid", "valid"),
    "simple-badge.png": ("testSimplePNGPlainValid: Valid", "valid"),
    "simple-not-revoked.jwt": ("testJWTNotRevoked: Valid", "valid"),
    "simple-revoked.jwt": ("testJWTRevoked: Invalid", "revoked"),
    "simple.jwt": ("testSimpleJWTValid: Valid", "valid"),
    "warning-issuer-non-http.json": ("testWarningIssuerNonHttps: Warning", "valid"),
    "warning-with-redirection.json": ("testWarningRedirectionJsonValid: Warning", "valid"),
}


def fetcher_for(data: bytes) -> DirFetcher:
    """INDEX.md mapping; a hosted assertion under test is served at its own id, as upstream does."""
    fetcher = DirFetcher({"https://example.org/": ASSETS, "http://example.org/": ASSETS})
    fetcher.add(HOSTED, (OB20 / "basic-assertion.json").read_bytes())
    try:
        doc = json.loads(data)
    except ValueError:
        return fetcher
    if isinstance(doc, dict) and "recipient" in doc and isinstance(doc.get("id"), str):
        fetcher.add(doc["id"], data)
    return fetcher


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_upstream_expectation(name: str) -> None:
    upstream, wanted = EXPECTED[name]
    data = (OB20 / name).read_bytes()
    report = verify(data, fetcher=fetcher_for(data), now=NOW)
    failed = [(c.id, c.message_id, c.detail) for c in report.failed()]
    assert report.spec == "2.0"
    if wanted is None:
        assert report.result != "valid", upstream
        assert any(c.status == "failed" for c in report.checks), failed
    else:
        assert report.result == wanted, (upstream, failed)


def test_redirection_warning_is_reported() -> None:
    data = (OB20 / "warning-with-redirection.json").read_bytes()
    report = verify(data, fetcher=fetcher_for(data), now=NOW)
    assert [c.message_id for c in report.checks if c.status == "warning"] == ["node.id_mismatch"]


def test_revoked_vector_reports_reason() -> None:
    data = (OB20 / "simple-revoked.jwt").read_bytes()
    report = verify(data, fetcher=fetcher_for(data), now=NOW)
    check = next(c for c in report.checks if c.id == "revocation")
    assert check.params["reason"] == "A good reason, for sure"


def test_hosted_vector_recipient() -> None:
    data = (OB20 / "basic-assertion.json").read_bytes()
    good = verify(data, fetcher=fetcher_for(data), now=NOW, emails=["nobody@example.org"])
    assert good.result == "valid"
    bad = verify(data, fetcher=fetcher_for(data), now=NOW, emails=["somebody@example.org"])
    assert bad.result == "invalid"


@pytest.mark.parametrize(
    "name",
    [
        "_derived/ob2-signed-jws-itxt.png",
        "_derived/ob2-signed-jws.svg",
        "_derived/ob2-json-itxt-compressed.png",
    ],
)
def test_derived_baked_vectors_verify(name: str) -> None:
    data = (VECTORS / name).read_bytes()
    report = verify(data, fetcher=fetcher_for(data), now=NOW)
    assert report.result == "valid", report.failed()


def test_legacy_text_url_png_verifies_by_fetching() -> None:
    data = (VECTORS / "_derived/ob1-legacy-text-url.png").read_bytes()
    report = verify(data, fetcher=fetcher_for(data), now=NOW)
    assert (report.result, report.format) == ("valid", "png")


def test_every_upstream_ob20_expectation_is_covered() -> None:
    rows = (VECTORS / "INDEX.md").read_text(encoding="utf-8").splitlines()
    listed = set()
    for row in rows:
        cells = [c.strip().strip("`") for c in row.split("|")]
        if len(cells) > 4 and "/ob20/" in cells[1] and cells[4]:
            listed.add(cells[1].split("/ob20/", 1)[1])
    assert listed == set(EXPECTED)
