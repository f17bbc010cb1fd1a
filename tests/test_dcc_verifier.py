"""What the portal issues verifies with software we did not write, before and after key rotation.

The Digital Credentials Consortium's verifier libraries (@digitalcredentials/vc 10.0.2 with
DataIntegrityProof / eddsa-rdfc-2022 and the bitstring status list; pinned by version and
sha512 in tests/interop/dcc/package-lock.json, installed by scripts/fetch_dcc_verifier.py from
`make test-deps`) run offline in Node: tests/interop/dcc/verify.mjs says how our published
documents reach its document loader.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest

from tests.test_issuing import BASE
from tests.test_issuing import make_issuer
from tests.test_issuing import publish
from tests.test_issuing import row
from tests.test_issuing import wallet_verify

ROOT = Path(__file__).resolve().parents[1]
DCC = ROOT / "tests" / "interop" / "dcc"
CONTEXTS = ROOT / "wallet" / "openbadges" / "contexts"


def dcc_verify(credential: Path, docs: Path) -> dict:
    """Run the DCC verifier on a credential with the portal's documents; return its report."""
    node = shutil.which("node")
    assert node, "Node.js is needed for the DCC verifier (it is on the project's machines)"
    assert (DCC / "node_modules" / "@digitalcredentials" / "vc").is_dir(), (
        "the DCC verifier is not installed: run `make test-deps` (scripts/fetch_dcc_verifier.py)"
    )
    result = subprocess.run(
        [node, str(DCC / "verify.mjs"), str(credential), BASE, str(docs), str(CONTEXTS)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout)


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.slow
def test_badges_issued_before_a_key_rotation_still_verify_with_ours_and_dccs(
    app, tmp_path: Path
) -> None:
    from wallet.services import issuing
    from wallet.services.issuing import audit
    from wallet.services.issuing import rotation

    with app.app_context():
        issuer, achievement = make_issuer()
        before = write(
            tmp_path, "before.json", issuing.award(achievement, row()).award.credential_json
        )
        old_method = json.loads(before.read_text())["proof"]["verificationMethod"]
        rotation.rotate(issuer, audit.SYSTEM)
        after_award = issuing.award(achievement, row(issued_on=date(2025, 4, 2)))
        after = write(tmp_path, "after.json", after_award.award.credential_json)
        docs = publish(tmp_path / "docs")
    new_method = json.loads(after.read_text())["proof"]["verificationMethod"]
    assert new_method != old_method
    profile = json.loads((docs / "issuers" / "jci").read_text())
    assert profile["assertionMethod"] == [new_method, old_method]
    for credential in (before, after):
        assert wallet_verify(credential, docs)["result"] == "valid"
        report = dcc_verify(credential, docs)
        assert report["verified"] is True, report["errors"]
        assert report["revoked"] == [False]
    # The DCC verifier really read our keys and status list, not something else.
    assert old_method in dcc_verify(before, docs)["loaded"]
    assert f"{BASE}/status/jci/1" in dcc_verify(after, docs)["loaded"]


@pytest.mark.slow
def test_dcc_sees_a_tampered_or_revoked_badge_or_a_key_that_was_never_published(
    app, tmp_path: Path
) -> None:
    from wallet.services import issuing
    from wallet.services.issuing import audit
    from wallet.services.issuing import rotation

    with app.app_context():
        issuer, achievement = make_issuer()
        record = issuing.award(achievement, row()).award
        good = write(tmp_path, "good.json", record.credential_json)
        tampered = json.loads(record.credential_json)
        tampered["name"] = "別の資格"
        tampered_file = write(tmp_path, "tampered.json", json.dumps(tampered, ensure_ascii=False))
        rotation.rotate(issuer, audit.SYSTEM)
        issuing.revoke(record, "test")
        docs = publish(tmp_path / "docs")
    assert dcc_verify(tampered_file, docs)["verified"] is False
    revoked = dcc_verify(good, docs)
    assert revoked["verified"] is False and revoked["revoked"] == [True]
    assert wallet_verify(good, docs)["result"] == "revoked"
    # A profile that dropped the old key: neither verifier accepts the old badge.
    profile_path = docs / "issuers" / "jci"
    profile = json.loads(profile_path.read_text())
    profile["verificationMethod"] = profile["verificationMethod"][:1]
    profile["assertionMethod"] = profile["assertionMethod"][:1]
    profile_path.write_text(json.dumps(profile))
    assert dcc_verify(good, docs)["verified"] is False
    assert wallet_verify(good, docs)["result"] == "invalid"


@pytest.mark.slow
def test_a_key_the_issuer_never_published_is_refused_by_dcc_and_by_us(app, tmp_path: Path) -> None:
    """Issue 14's classes 1 and 2 against the portal's real issuer: both verifiers refuse."""
    from cryptography.hazmat.primitives.asymmetric import ed25519

    from wallet.openbadges.keys import did_key_for
    from wallet.openbadges.keys import ed25519_multikey
    from wallet.openbadges.signing import sign_eddsa_rdfc_2022
    from wallet.services import issuing

    with app.app_context():
        _, achievement = make_issuer()
        genuine = json.loads(issuing.award(achievement, row()).award.credential_json)
        docs = publish(tmp_path / "docs")
    attacker = ed25519.Ed25519PrivateKey.generate()
    did = did_key_for(attacker.public_key())
    multikey = ed25519_multikey(attacker.public_key())
    unsigned = {name: value for name, value in genuine.items() if name != "proof"}
    issuer_id = genuine["issuer"]["id"]
    created = genuine["proof"]["created"]
    # DCC's reason for each: its controller rule, and no such key in the issuer's profile.
    forgeries = {
        "class 1: the attacker's did:key": (f"{did}#{multikey}", "must match the verification"),
        "class 2: the issuer's id with the attacker's key as fragment": (
            f"{issuer_id}#{multikey}",
            "NotFoundError",
        ),
    }
    for case, (method, reason) in forgeries.items():
        forged = sign_eddsa_rdfc_2022(unsigned, attacker, method, created)
        path = write(tmp_path, "forged.json", json.dumps(forged, ensure_ascii=False))
        report = dcc_verify(path, docs)
        assert report["verified"] is False, case
        assert any(reason in error for error in report["errors"]), (case, report["errors"])
        assert wallet_verify(path, docs)["result"] == "invalid", case
    # The same credential signed by the published key: both accept it (the refusals are the key's).
    path = write(tmp_path, "genuine.json", json.dumps(genuine, ensure_ascii=False))
    assert dcc_verify(path, docs)["verified"] is True
    assert wallet_verify(path, docs)["result"] == "valid"
