"""OB 3.0 entry points: parse_v3 normalisation and verify_v3 results on own vectors."""

from __future__ import annotations

import ast
import copy
from pathlib import Path
from typing import Any

import pytest

from tests.openbadges import v3_fixtures as fx
from tests.openbadges.fakes import FakeFetcher
from wallet.openbadges import v3
from wallet.openbadges.limits import DEFAULT_LIMITS
from wallet.openbadges.messages import MESSAGES
from wallet.openbadges.model import Check
from wallet.openbadges.model import VerificationReport

PACKAGE = Path(__file__).resolve().parents[2] / "wallet" / "openbadges"


def _verify(payload: dict[str, Any] | str, fake: FakeFetcher | None = None) -> list[Check]:
    fetcher = fake if fake is not None else fx.fetcher()
    return v3.verify_v3(payload, fetcher=fetcher, now=fx.NOW, limits=DEFAULT_LIMITS)


def _result(payload: dict[str, Any] | str, fake: FakeFetcher | None = None) -> str:
    return VerificationReport(tuple(_verify(payload, fake))).result


def _ids(checks: list[Check]) -> set[str]:
    return {c.message_id for c in checks}


def test_parse_normalises_display_fields() -> None:
    signed = fx.sign(fx.credential(valid_until="2031-03-31T00:00:00Z"))
    cred = v3.parse_v3(signed, format="json", original=b"{}")
    assert cred.spec == "3.0" and cred.format == "json" and cred.original == b"{}"
    assert cred.achievement.name == "コンクリート診断士"
    assert cred.achievement.criteria_narrative == "Pass the written and oral examinations."
    assert cred.achievement.image == "https://issuer.example/badge.png"
    assert cred.issuer.id == fx.HTTPS_ISSUER and cred.issuer.name == "Japan Concrete Institute"
    assert cred.recipient is not None and cred.recipient.hashed
    assert cred.recipient.type == "email" and cred.recipient.salt == fx.SALT
    assert cred.valid_from is not None and cred.valid_from.year == 2026
    assert cred.expires is not None and cred.expires.year == 2031
    assert cred.evidence[0].name == "Exam record"
    assert cred.alignments[0].code == "CD-1"
    labels = {(i.label, i.value) for i in cred.identifiers}
    assert ("passNumber", "合格-2026-0042") in labels
    assert ("registrationNumber", "R-2026-77") in labels
    assert ("licenseNumber", "登録-123456") in labels
    assert all(i.value != cred.recipient.identity for i in cred.identifiers)
    assert cred.payload is signed


def test_parse_did_subject_vc11_and_jwt() -> None:
    doc = fx.credential(version="1.1", valid_until="2030-01-01T00:00:00Z")
    doc["credentialSubject"]["id"] = "did:example:holder"
    del doc["credentialSubject"]["identifier"][0]
    cred = v3.parse_v3(doc, format="json", original=b"")
    assert cred.recipient is not None and cred.recipient.type == "did"
    assert cred.expires is not None and cred.expires.year == 2030
    token = fx.jwt(fx.credential(fx.DID_KEY))
    from_jwt = v3.parse_v3(token, format="jwt", original=token.encode())
    assert from_jwt.issuer.id == fx.DID_KEY and from_jwt.payload == token


@pytest.mark.parametrize(
    ("issuer", "vm"),
    [(fx.HTTPS_ISSUER, fx.HTTPS_VM), (fx.DID_KEY, fx.DID_KEY_VM), (fx.DID_WEB, fx.DID_WEB_VM)],
)
def test_valid_for_each_key_kind(issuer: str, vm: str) -> None:
    checks = _verify(fx.sign(fx.credential(issuer), vm=vm))
    assert VerificationReport(tuple(checks)).result == "valid"
    assert "ob3.key.issuer_ok" in _ids(checks)
    assert {"conformance", "jsonld", "proof", "issuer_key", "status", "expiry"} <= {
        c.id for c in checks
    }


def test_revoked_and_not_revoked_via_own_status_list() -> None:
    assert _result(fx.sign(fx.credential(status_index=fx.REVOKED_INDEX))) == "revoked"
    assert _result(fx.sign(fx.credential(status_index=3))) == "valid"
    unreachable = _result(fx.sign(fx.credential(status_index=3)), fx.fetcher(with_status=False))
    assert unreachable == "unverifiable"


def test_expired_and_not_yet_valid() -> None:
    assert _result(fx.sign(fx.credential(valid_until="2026-05-01T00:00:00Z"))) == "expired"
    assert _result(fx.sign(fx.credential(valid_from="2027-01-01T00:00:00Z"))) == "not_yet_valid"
    revoked_and_expired = fx.credential(
        valid_until="2026-05-01T00:00:00Z", status_index=fx.REVOKED_INDEX
    )
    assert _result(fx.sign(revoked_and_expired)) == "revoked"


def test_tampered_subject_is_invalid() -> None:
    checks = _verify(fx.tamper_subject(fx.sign(fx.credential())))
    assert VerificationReport(tuple(checks)).result == "invalid"
    assert "ob3.proof.bad_signature" in _ids(checks)


def test_undefined_term_is_invalid_even_with_a_good_signature() -> None:
    signed = fx.sign(fx.credential())
    signed["credentialSubject"]["passNumber"] = "999"
    checks = _verify(signed)
    assert "ob3.proof.valid" in _ids(checks)
    assert "ob3.jsonld.undefined_terms" in _ids(checks)
    assert VerificationReport(tuple(checks)).result == "invalid"


def test_key_of_someone_else_is_invalid() -> None:
    forged = fx.sign(
        fx.credential(),
        vm=fx.HTTPS_ISSUER + "#" + fx.ed25519_multikey(fx.OTHER_KEY.public_key()),
        key=fx.OTHER_KEY,
    )
    checks = _verify(forged)
    assert "ob3.proof.valid" in _ids(checks) and "ob3.key.not_issuer" in _ids(checks)
    assert VerificationReport(tuple(checks)).result == "invalid"
    offline = _verify(forged, FakeFetcher())
    assert "ob3.key.unconfirmed" in _ids(offline)


def test_unknown_context_is_unverifiable_and_no_proof_is_invalid() -> None:
    signed = fx.sign(fx.credential())
    signed["@context"] = [*signed["@context"], "https://unknown.example/ctx.json"]
    checks = _verify(signed)
    assert "ob3.jsonld.unknown_context" in _ids(checks)
    assert VerificationReport(tuple(checks)).result == "unverifiable"
    assert _result(fx.credential()) == "invalid"


def test_structure_failures() -> None:
    doc = fx.sign(fx.credential())
    broken = copy.deepcopy(doc)
    broken["type"] = ["OpenBadgeCredential"]
    assert "ob3.type.invalid" in _ids(_verify(broken))
    broken = copy.deepcopy(doc)
    del broken["issuer"]
    assert "ob3.issuer.missing" in _ids(_verify(broken))
    broken = copy.deepcopy(doc)
    broken["validFrom"] = "2026-04-01 09:00"
    assert "ob3.dates.invalid" in _ids(_verify(broken))
    broken = copy.deepcopy(doc)
    del broken["credentialSubject"]
    assert "ob3.subject.invalid" in _ids(_verify(broken))
    assert _verify(["not", "an", "object"])[0].message_id == "ob3.conformance.unreadable"  # type: ignore[arg-type]


def test_vc11_is_a_warning_only() -> None:
    checks = _verify(fx.sign(fx.credential(version="1.1")))
    assert "ob3.vc11" in _ids(checks)
    assert VerificationReport(tuple(checks)).result == "valid"


def test_conformance_findings_are_warnings_beside_the_verdict() -> None:
    # OB 3.0 B.1.3 wants an id or identifier; its absence says nothing about authenticity.
    no_id = fx.credential(status_index=fx.REVOKED_INDEX)
    del no_id["credentialSubject"]["identifier"]
    checks = _verify(fx.sign(no_id))
    assert ("warning", "ob3.subject.no_id") in {(c.status, c.message_id) for c in checks}
    # ... so status and dates still decide: revoked stays revoked, expired stays expired.
    assert VerificationReport(tuple(checks)).result == "revoked"
    expired = fx.credential(valid_until="2026-05-01T00:00:00Z")
    del expired["credentialSubject"]["identifier"]
    assert _result(fx.sign(expired)) == "expired"
    fine = fx.credential()
    del fine["credentialSubject"]["identifier"]
    assert _result(fx.sign(fine)) == "valid"
    # A signed VC whose terms are all defined but that is not typed as an Open Badge.
    plain = fx.credential()
    plain["type"] = ["VerifiableCredential"]
    checks = _verify(fx.sign(plain))
    assert ("warning", "ob3.not_a_badge") in {(c.status, c.message_id) for c in checks}
    assert VerificationReport(tuple(checks)).result == "valid"


def test_jwt_entry_point() -> None:
    token = fx.jwt(fx.credential(fx.DID_KEY, status_index=fx.REVOKED_INDEX))
    own_list = fx.status_list(issuer_id=fx.DID_KEY)
    fake = fx.fetcher(with_status=False)
    fake.add(fx.STATUS_URL, fx.dumps(own_list))
    assert _result(token, fake) == "revoked"
    # The issuer of the badge is not the issuer of the list: its answer is not the issuer's.
    assert _result(token) == "unverifiable"
    assert _result(fx.jwt(fx.credential(fx.DID_KEY))) == "valid"
    assert _result("eyJhbGciOiJub25lIn0.e30.") == "invalid"


def test_never_raises_on_hostile_shapes() -> None:
    for payload in (
        {},
        {"@context": 5, "proof": "x"},
        {"@context": ["https://www.w3.org/ns/credentials/v2"], "proof": [1, None, {}]},
        {"credentialSubject": [None, 3], "issuer": 7, "validFrom": []},
        {**fx.sign(fx.credential()), "proof": {"type": {"x": 1}, "cryptosuite": ["a"]}},
        {
            **fx.credential(),
            "credentialSubject": {"identifier": [{"identityType": {}}], "achievement": []},
        },
    ):
        v3.parse_v3(payload, format="json", original=b"")
        assert VerificationReport(tuple(_verify(payload))).result != "valid"


def _emitted_message_ids() -> set[str]:
    found: set[str] = set()
    for name in ("v3", "dataintegrity", "keys", "vcjwt", "status"):
        tree = ast.parse((PACKAGE / f"{name}.py").read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                if node.value.startswith("ob3.") and " " not in node.value:
                    found.add(node.value)
    return found


def test_every_message_id_has_english_and_japanese() -> None:
    emitted = _emitted_message_ids()
    assert len(emitted) > 40
    for message_id in emitted:
        assert message_id in MESSAGES, message_id
        assert MESSAGES[message_id]["en"] and MESSAGES[message_id]["ja"], message_id


def test_each_remote_document_is_fetched_once_and_fan_out_is_capped() -> None:
    fake = fx.fetcher()
    doc = fx.sign(fx.sign(fx.credential(status_index=3)), vm=fx.HTTPS_VM)
    assert _result(doc, fake) == "valid"
    assert sorted(fake.requests) == sorted(set(fake.requests))
    tight = DEFAULT_LIMITS.__class__(max_fetches=1)
    checks = v3.verify_v3(doc, fetcher=fx.fetcher(), now=fx.NOW, limits=tight)
    assert VerificationReport(tuple(checks)).result == "unverifiable"


def _endorsement(comment: str = "Rigorous examination.") -> dict[str, Any]:
    endorser = fx.private_key("endorser")
    did = fx.did_key_for(endorser.public_key())
    doc = {
        "@context": [fx.VC_V2, fx.OB_CONTEXT],
        "id": "urn:uuid:5b1f2a1e-0000-4000-8000-000000000001",
        "type": ["VerifiableCredential", "EndorsementCredential"],
        "issuer": {"id": did, "type": ["Profile"], "name": "Endorser"},
        "validFrom": "2026-01-01T00:00:00Z",
        "credentialSubject": {
            "id": "https://issuer.example/achievements/concrete",
            "type": ["EndorsementSubject"],
            "endorsementComment": comment,
        },
    }
    return fx.sign(doc, vm=did + "#" + did.removeprefix("did:key:"), key=endorser)


def test_embedded_endorsements_are_verified_as_warnings_only() -> None:
    good = fx.credential()
    good["endorsement"] = [_endorsement()]
    checks = _verify(fx.sign(good))
    assert "ob3.endorsement.valid" in _ids(checks)
    assert VerificationReport(tuple(checks)).result == "valid"
    bad = fx.credential()
    broken = _endorsement()
    broken["credentialSubject"]["endorsementComment"] = "Changed later."
    bad["endorsement"] = [broken]
    checks = _verify(fx.sign(bad))
    assert "ob3.endorsement.invalid" in _ids(checks)
    assert VerificationReport(tuple(checks)).result == "valid"
