"""Key rotation: the new key signs, the old one stays published and retired, what it signed before
still verifies, and what it would sign after its retirement does not."""

from __future__ import annotations

import json
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric import ed25519

from tests.test_issuing import BASE
from tests.test_issuing import make_issuer
from tests.test_issuing import operator_login
from tests.test_issuing import publish
from tests.test_issuing import row
from tests.test_issuing import wallet_verify
from wallet.openbadges.keys import ed25519_multikey
from wallet.openbadges.listing import retirement


def test_rotation_keeps_the_old_key_published_and_retired(app) -> None:
    from wallet.services import issuing
    from wallet.services.issuing import audit
    from wallet.services.issuing import credentials
    from wallet.services.issuing import keys
    from wallet.services.issuing import rotation

    with app.app_context():
        issuer, achievement = make_issuer()
        issuing.award(achievement, row())  # a status list to re-sign
        old = issuer.public_key_multibase
        retired = rotation.rotate(issuer, audit.SYSTEM)
        new = issuer.public_key_multibase
        profile = credentials.profile_document(issuer)
        assert new != old and retired.public_key_multibase == old
        # The new key is the one that can be unsealed; the old private key is gone.
        assert ed25519_multikey(keys.private_key_of(issuer).public_key()) == new
        status = json.loads(credentials.status_list_by_number(issuer, 1).credential_json)
    ids = [m["id"] for m in profile["verificationMethod"]]
    assert ids == [f"{BASE}/issuers/jci#{new}", f"{BASE}/issuers/jci#{old}"]
    assert profile["assertionMethod"] == ids
    assert "retiredAt" not in profile["verificationMethod"][0]
    assert profile["verificationMethod"][1]["retiredAt"].endswith("Z")
    assert "revoked" not in profile["verificationMethod"][1]
    assert status["proof"]["verificationMethod"] == ids[0]  # status lists re-signed at once


def test_a_retired_key_confirms_only_what_it_signed_before_its_retirement() -> None:
    key = ed25519.Ed25519PrivateKey.generate().public_key()
    multikey = ed25519_multikey(key)
    method = f"https://issuer.example/p#{multikey}"
    profile = {
        "id": "https://issuer.example/p",
        "verificationMethod": [
            {
                "id": method,
                "type": "Multikey",
                "controller": "https://issuer.example/p",
                "publicKeyMultibase": multikey,
                "retiredAt": "2026-01-01T00:00:00Z",
            }
        ],
        "assertionMethod": [method],
    }
    before = datetime(2025, 12, 31, tzinfo=UTC)
    after = datetime(2026, 1, 1, 0, 0, 1, tzinfo=UTC)
    assert retirement(profile, key, method, before) is None
    late = retirement(profile, key, method, after)
    assert late is not None and late.ownership == "contradicted"
    undated = retirement(profile, key, method, None)
    assert undated is not None and undated.ownership == "unconfirmed"
    profile["verificationMethod"][0]["retiredAt"] = "whenever"
    unreadable = retirement(profile, key, method, before)
    assert unreadable is not None and unreadable.ownership == "contradicted"
    del profile["verificationMethod"][0]["retiredAt"]
    assert retirement(profile, key, method, after) is None


def test_our_verifier_refuses_a_badge_the_retired_key_signs_after_its_retirement(
    app, tmp_path: Path
) -> None:
    from wallet.models import utcnow
    from wallet.openbadges.signing import sign_eddsa_rdfc_2022
    from wallet.services import issuing
    from wallet.services.issuing import audit
    from wallet.services.issuing import credentials
    from wallet.services.issuing import keys
    from wallet.services.issuing import rotation

    with app.app_context():
        issuer, achievement = make_issuer()
        stolen = keys.private_key_of(issuer)  # as someone who kept the old key would
        record = issuing.award(achievement, row()).award
        rotation.rotate(issuer, audit.SYSTEM)
        unsigned = json.loads(record.credential_json)
        del unsigned["proof"]
        unsigned["id"] = "urn:uuid:00000000-0000-4000-8000-000000000001"
        method = credentials.verification_method(issuer, ed25519_multikey(stolen.public_key()))
        late = sign_eddsa_rdfc_2022(unsigned, stolen, method, utcnow() + timedelta(seconds=5))
        early = sign_eddsa_rdfc_2022(unsigned, stolen, method, utcnow() - timedelta(days=1))
        docs = publish(tmp_path / "docs")
    (tmp_path / "late.json").write_text(json.dumps(late, ensure_ascii=False))
    (tmp_path / "early.json").write_text(json.dumps(early, ensure_ascii=False))
    report = wallet_verify(tmp_path / "late.json", docs)
    assert report["result"] == "invalid"
    (check,) = [c for c in report["checks"] if c["id"] == "issuer_key"]
    assert check["status"] == "failed" and "retired" in check["detail"]
    # Back-dated, it passes: `created` is the signer's word (README, "Key rotation").
    assert wallet_verify(tmp_path / "early.json", docs)["result"] == "valid"


def test_a_csv_run_that_outlives_a_rotation_signs_with_the_new_key(app) -> None:
    from wallet.services import issuing
    from wallet.services.issuing import audit
    from wallet.services.issuing import keys
    from wallet.services.issuing import rotation

    with app.app_context():
        issuer, achievement = make_issuer()
        old_key = keys.private_key_of(issuer)  # unsealed once at the start of a run
        rotation.rotate(issuer, audit.SYSTEM)
        record = issuing.award(achievement, row(issued_on=date(2025, 4, 3)), key=old_key).award
        method = json.loads(record.credential_json)["proof"]["verificationMethod"]
        assert method.endswith("#" + issuer.public_key_multibase)


def test_owner_rotates_on_the_page_and_the_log_says_so(app, client) -> None:
    from tests.conftest import make_user
    from tests.test_issuing import grant

    with app.app_context():
        make_issuer()
        make_user("i@example.com", family_name="発行", given_name="担当")
    grant(app, "i@example.com", "jci", "issuer")
    operator_login(app, client)
    page = client.get("/issuing/issuers/jci/key").get_data(as_text=True)
    assert "新しい鍵に切り替える" in page and "z6Mk" not in page  # no raw key on the page
    response = client.post("/issuing/issuers/jci/key")
    assert response.status_code == 303
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "以前の鍵 1 個を「使用終了」として公開しています。" in html
    assert "署名鍵の切り替え" in client.get("/issuing/issuers/jci/log").get_data(as_text=True)
    client.post("/auth/logout")
    from tests.conftest import PASSWORD

    client.post("/auth/login", data={"email": "i@example.com", "password": PASSWORD})
    assert client.post("/issuing/issuers/jci/key").status_code == 404


def test_rotate_key_command(app, runner, tmp_path: Path) -> None:
    from tests.test_cli_issuing import OWNER
    from tests.test_cli_issuing import setup_issuer

    setup_issuer(runner)
    result = runner.invoke(args=["issuers", "rotate-key", "jci", "--as", OWNER, "--json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["verification_method"] != document["retired"]
    assert document["retired"].startswith(f"{BASE}/issuers/jci#z6Mk")
    with app.app_context():
        from tests.conftest import make_user

        make_user("v@example.com")
    refused = runner.invoke(args=["issuers", "rotate-key", "jci", "--as", "v@example.com"])
    assert refused.exit_code == 1 and "no issuer" in refused.stderr
