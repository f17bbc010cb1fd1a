"""Issuing: sealed keys, signed OB 3.0 awards that `wallet verify` accepts, CSV, revocation."""

from __future__ import annotations

import json
from datetime import date
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from wallet.models import STATUS_LIST_BITS

BASE = "https://wallet.example.test"

CSV_HEADER = "email,family_name,given_name,issue_date,expiry,pass_number,registration_number\n"


def make_issuer(slug: str = "jci", **kwargs):
    """Create an issuer and one achievement (needs an app context)."""
    from wallet.services.issuing import issuers

    issuer = issuers.create_issuer(
        slug,
        "日本コンクリート工学会",
        "https://www.jci-net.or.jp/",
        "badges@example.org",
        **kwargs,
    )
    achievement = issuers.create_achievement(
        issuer,
        "gishi",
        "コンクリート技士",
        "コンクリート技士として登録されたことを示します。",
        "コンクリート技士試験に合格し、登録すること。",
    )
    return issuer, achievement


def row(email: str = "taro@example.com", **kwargs):
    """Return an AwardRow with sensible defaults."""
    from wallet.services import issuing

    values = {
        "email": email,
        "family_name": "コンクリート",
        "given_name": "太郎",
        "issued_on": date(2025, 4, 1),
        "expires_on": date(2029, 3, 31),
        "identifiers": (("passNumber", "G-2024-01234"), ("registrationNumber", "T-567890")),
    }
    values.update(kwargs)
    return issuing.AwardRow(**values)


def publish(directory: Path) -> Path:
    """Write the portal's public documents under directory (needs an app context)."""
    from wallet.services.issuing import credentials as issuer_documents

    issuer_documents.publish_documents(directory)
    return directory


def wallet_verify(source: Path, docs: Path, *extra: str) -> dict:
    """Run `wallet verify SOURCE --json --offline --url-map BASE/=docs` and return its report."""
    from wallet.cli.verify import verify

    result = CliRunner().invoke(
        verify,
        [str(source), "--json", "--offline", "--url-map", f"{BASE}/={docs}", *extra],
    )
    assert result.exit_code in (0, 1), result.output
    report = json.loads(result.stdout)
    assert (result.exit_code == 0) == (report["result"] == "valid")
    return report


def test_private_key_is_sealed_and_bound_to_the_secret(app) -> None:
    from cryptography.hazmat.primitives import serialization

    from wallet.openbadges.keys import ed25519_multikey
    from wallet.services.issuing import errors as issuing_errors
    from wallet.services.issuing import keys as issuer_keys

    with app.app_context():
        issuer, _ = make_issuer()
        key = issuer_keys.private_key_of(issuer)
        raw = key.private_bytes(
            serialization.Encoding.Raw,
            serialization.PrivateFormat.Raw,
            serialization.NoEncryption(),
        )
        assert raw not in issuer.private_key_sealed
        assert ed25519_multikey(key.public_key()) == issuer.public_key_multibase
        app.config["ISSUER_KEY_SECRET"] = "another secret"
        with pytest.raises(issuing_errors.IssuingError) as failure:
            issuer_keys.private_key_of(issuer)
        assert failure.value.code == "key_unreadable"


def test_issuer_key_secret_takes_precedence_over_secret_key(app) -> None:
    from wallet.services.issuing import keys as issuer_keys

    app.config["ISSUER_KEY_SECRET"] = "issuer-only secret"
    with app.app_context():
        issuer, _ = make_issuer()
        app.config["SECRET_KEY"] = "rotated session secret"
        assert issuer_keys.private_key_of(issuer) is not None


def test_credential_has_the_ob3_shape(app) -> None:
    from wallet.services import issuing

    with app.app_context():
        issuer, achievement = make_issuer()
        award = issuing.award(achievement, row(email="Taro@Example.com")).award
        credential = json.loads(award.credential_json)
        slug_url = f"{BASE}/issuers/jci"
    assert credential["@context"] == [
        "https://www.w3.org/ns/credentials/v2",
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
    ]
    assert credential["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert credential["id"].startswith("urn:uuid:")
    assert credential["issuer"]["id"] == slug_url
    assert credential["issuer"]["type"] == ["Profile"]
    assert credential["issuer"]["name"] == "日本コンクリート工学会"
    # Local (Tokyo) calendar days: valid from the first second of the issue day, all expiry day,
    # written in the portal's own offset so that every wallet can print the same calendar day.
    assert credential["validFrom"] == "2025-04-01T00:00:00+09:00"
    assert credential["awardedDate"] == "2025-04-01T00:00:00+09:00"
    assert credential["validUntil"] == "2029-03-31T23:59:59+09:00"
    subject = credential["credentialSubject"]
    assert subject["type"] == ["AchievementSubject"]
    email_id, pass_id, registration_id = subject["identifier"]
    assert email_id["identityType"] == "emailAddress"
    assert email_id["hashed"] is True
    assert email_id["identityHash"].startswith("sha256$")
    assert "taro" not in json.dumps(credential).lower()
    assert pass_id == {
        "type": "IdentityObject",
        "identityType": "ext:passNumber",
        "hashed": False,
        "identityHash": "G-2024-01234",
    }
    assert registration_id["identityType"] == "ext:registrationNumber"
    achievement_doc = subject["achievement"]
    assert achievement_doc["type"] == ["Achievement"]
    narrative = "コンクリート技士試験に合格し、登録すること。"
    assert achievement_doc["criteria"] == {"narrative": narrative}
    assert achievement_doc["image"]["id"].endswith(".png")
    status = credential["credentialStatus"]
    assert status["type"] == "BitstringStatusListEntry"
    assert status["statusPurpose"] == "revocation"
    assert status["statusListCredential"] == f"{BASE}/status/jci/1"
    proof = credential["proof"]
    assert proof["cryptosuite"] == "eddsa-rdfc-2022"
    assert proof["verificationMethod"] == f"{slug_url}#{issuer.public_key_multibase}"


def test_recipient_and_identifiers_read_back_by_the_wallet(app) -> None:
    from wallet.openbadges import read
    from wallet.openbadges.recipient import recipient_matches
    from wallet.services import issuing
    from wallet.services.issuing import credentials as issuer_documents

    with app.app_context():
        _, achievement = make_issuer()
        award = issuing.award(achievement, row(email="Taro@Example.com")).award
        loaded = read(award.baked_png, fetcher=issuer_documents.PortalFetcher())
    from wallet.openbadges.v3 import parse_v3

    credential = parse_v3(loaded.payload, format="png", original=award.baked_png)
    assert recipient_matches(credential.recipient, ["taro@example.com"]) is True
    assert recipient_matches(credential.recipient, ["jiro@example.com"]) is False
    assert [(i.label, i.value) for i in credential.identifiers] == [
        ("passNumber", "G-2024-01234"),
        ("registrationNumber", "T-567890"),
    ]


def test_issued_badge_verifies_and_fails_when_tampered_revoked_or_expired(
    app, tmp_path: Path
) -> None:
    from wallet.services import issuing
    from wallet.services.issuing import claims

    with app.app_context():
        _, achievement = make_issuer()
        award = issuing.award(achievement, row()).award
        png = tmp_path / "badge.png"
        png.write_bytes(award.baked_png)
        credential_text = award.credential_json
        docs = publish(tmp_path / "docs")

        assert wallet_verify(png, docs)["result"] == "valid"
        assert wallet_verify(png, docs, "--now", "2029-03-31T14:59:00Z")["result"] == "valid"
        assert wallet_verify(png, docs, "--now", "2029-04-01T00:00:00Z")["result"] == "expired"

        # One byte of the subject changed: the pass number 01234 -> 01235.
        assert credential_text.count("G-2024-01234") == 1
        tampered = tmp_path / "tampered.json"
        tampered.write_text(credential_text.replace("G-2024-01234", "G-2024-01235"), "utf-8")
        original = tmp_path / "original.json"
        original.write_text(credential_text, "utf-8")
        assert wallet_verify(original, docs)["result"] == "valid"
        report = wallet_verify(tampered, docs)
        assert report["result"] == "invalid"
        assert any(c["id"] == "proof" and c["status"] == "failed" for c in report["checks"])

        with app.test_request_context():
            assert claims.revoke(award) is True
            assert claims.revoke(award) is False
        docs = publish(tmp_path / "docs-after")
        assert wallet_verify(png, docs)["result"] == "revoked"


def test_every_award_of_a_csv_verifies(app, tmp_path: Path) -> None:
    from wallet.services.issuing import csv_awards

    lines = [CSV_HEADER] + [
        f"user{n}@example.com,姓{n},名{n},2025-04-01,2029-03-31,P{n},R{n}\n" for n in range(5)
    ]
    with app.app_context():
        _, achievement = make_issuer()
        report = csv_awards.award_csv(achievement, "".join(lines).encode())
        assert len(report.created) == 5 and report.ok
        docs = publish(tmp_path / "docs")
        for line, award in report.created:
            path = tmp_path / f"{line}.png"
            path.write_bytes(award.baked_png)
            assert wallet_verify(path, docs)["result"] == "valid", line


def test_status_indexes_are_drawn_at_random_and_a_half_full_list_is_followed_by_a_new_one(
    app,
) -> None:
    from wallet.extensions import db
    from wallet.services import issuing

    with app.app_context():
        _, achievement = make_issuer()
        awards = [
            issuing.award(achievement, row(email=f"r{n}@example.com")).award for n in range(20)
        ]
        indexes = [a.status_index for a in awards]
        assert len(set(indexes)) == 20
        assert sorted(indexes) != list(range(min(indexes), min(indexes) + 20))  # not a run
        status_list = awards[0].status_list
        assert status_list.number == 1 and status_list.next_index == 20
        status_list.next_index = STATUS_LIST_BITS // 2
        db.session.commit()
        later = issuing.award(achievement, row(email="later@example.com")).award
        assert later.status_list.number == 2
        assert later.status_list.next_index == 1


def test_status_list_credential_is_signed_and_long_enough(app) -> None:
    from datetime import UTC
    from datetime import datetime

    from wallet.openbadges.status import Signer
    from wallet.openbadges.status import status_checks
    from wallet.services import issuing
    from wallet.services.issuing import credentials as issuer_documents

    with app.app_context():
        _, achievement = make_issuer()
        awards = [
            issuing.award(achievement, row(email=f"u{n}@example.com")).award for n in range(3)
        ]
        indexes = [a.status_index for a in awards]
        assert len(set(indexes)) == 3 and all(0 <= i < STATUS_LIST_BITS for i in indexes)
        issuing.revoke(awards[1])
        fetcher = issuer_documents.PortalFetcher()
        results = []
        for award in awards:
            credential = json.loads(award.credential_json)
            # No signing key passed: the list's key must be proven by the published profile.
            signer = Signer(credential["issuer"]["id"])
            (check,) = status_checks(
                credential, fetcher=fetcher, now=datetime.now(UTC), signer=signer
            )
            results.append(check.message_id)
        status_list = awards[0].status_list
        assert len(status_list.bitstring) * 8 == 131_072
        revoked = awards[1].status_index
        set_bits = [i for i in range(131_072) if status_list.bitstring[i // 8] & (0x80 >> i % 8)]
        assert set_bits == [revoked]
    assert results == ["ob3.status.not_revoked", "ob3.status.revoked", "ob3.status.not_revoked"]


def test_published_documents_are_public_json_ld_with_cors(app, client) -> None:
    from wallet.services import issuing
    from wallet.services.issuing import credentials as issuer_documents

    with app.app_context():
        issuer, achievement = make_issuer()
        issuing.award(achievement, row())
        public_id = achievement.public_id
        method = issuer_documents.verification_method(issuer)
    response = client.get("/issuers/jci")
    assert response.status_code == 200
    assert response.mimetype == "application/ld+json"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    profile = response.get_json(force=True)
    assert profile["id"] == f"{BASE}/issuers/jci"
    assert profile["assertionMethod"] == [method]
    assert profile["verificationMethod"][0]["controller"] == profile["id"]
    assert profile["verificationMethod"][0]["type"] == "Multikey"
    assert "private" not in json.dumps(profile).lower()

    response = client.get("/status/jci/1")
    assert response.status_code == 200
    assert response.mimetype == "application/vc+ld+json"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "BitstringStatusListCredential" in response.get_json(force=True)["type"]

    response = client.get(f"/achievements/{public_id}")
    assert response.get_json(force=True)["type"] == ["Achievement"]
    for path in ("/issuers/jci.png", f"/achievements/{public_id}.png"):
        response = client.get(path)
        assert response.mimetype == "image/png"
        assert response.data.startswith(b"\x89PNG")
    for path in ("/issuers/nobody", "/status/jci/2", "/status/nobody/1", "/achievements/zz"):
        assert client.get(path).status_code == 404


def test_award_is_idempotent_per_achievement_address_and_day(app) -> None:
    from wallet.services import issuing

    with app.app_context():
        _, achievement = make_issuer()
        first = issuing.award(achievement, row())
        again = issuing.award(achievement, row(email="TARO@example.com"))
        later = issuing.award(achievement, row(issued_on=date(2025, 5, 1)))
        assert first.created and not again.created and later.created
        assert again.award.id == first.award.id


def test_validity_days_give_the_default_expiry(app) -> None:
    from wallet.services import issuing
    from wallet.services.issuing import issuers

    with app.app_context():
        issuer, _ = make_issuer()
        limited = issuers.create_achievement(
            issuer, "limited", "期限付き", "説明", "基準", validity_days=30
        )
        award = issuing.award(limited, row(expires_on=None)).award
        assert award.expires_on == date(2025, 5, 1)
        unlimited = issuing.award(
            issuers.get_achievement(issuer, "gishi"), row(expires_on=None)
        ).award
        assert unlimited.expires_on is None
        assert "validUntil" not in json.loads(unlimited.credential_json)


def test_csv_reports_bad_lines_with_numbers_and_awards_the_good_ones(app) -> None:
    from wallet.services import issuing
    from wallet.services.issuing import csv_awards

    future = (date.today() + timedelta(days=30)).isoformat()
    data = (
        CSV_HEADER
        + "good1@example.com,山田,花子,2025-04-01,2029-03-31,P1,R1\n"  # line 2
        + "not-an-address,山田,一郎,2025-04-01,,P2,R2\n"  # 3
        + "good2@example.com,,一郎,2025-04-01,,P3,R3\n"  # 4
        + "good3@example.com,佐藤,次郎,2025-13-01,,P4,R4\n"  # 5
        + f"good4@example.com,佐藤,三郎,{future},,P5,R5\n"  # 6
        + "good5@example.com,佐藤,四郎,2025-04-01,2025-03-01,P6,R6\n"  # 7
        + "good1@example.com,山田,花子,2025-04-01,,P1,R1\n"  # 8: repeats line 2
        + "good6@example.com,佐藤,五郎,2025-04-01\n"  # 9: too few fields
        + "\n"
        + "good7@example.com,鈴木,六郎,2025/4/1,2030/3/31,,R9\n"  # 11
        + "good8@example.com,鈴木,七郎,2020-04-01,2024-03-31,,\n"  # 12: expired already
    ).encode()
    with app.app_context():
        _, achievement = make_issuer()
        report = csv_awards.award_csv(achievement, data)
        problems = [(p.line, p.code) for p in report.problems]
        assert problems == [
            (3, "email"),
            (4, "family_name"),
            (5, "issue_date"),
            (6, "issue_date_future"),
            (7, "expiry_order"),
            (8, "repeated"),
            (9, "columns"),
            (12, "expiry_past"),
        ]
        assert report.problems[5].message.endswith("appear on line 2.")
        assert [(line, a.email) for line, a in report.created] == [
            (2, "good1@example.com"),
            (11, "good7@example.com"),
        ]
        last = report.created[1][1]
        assert (last.issued_on, last.expires_on) == (date(2025, 4, 1), date(2030, 3, 31))
        assert json.loads(last.identifiers_json) == [{"type": "registrationNumber", "value": "R9"}]

        again = csv_awards.award_csv(achievement, data)
        assert again.created == []
        assert [line for line, _ in again.existing] == [2, 11]
        assert len(again.problems) == 8
        assert issuing.awards_of(achievement)[1] == 2


def test_csv_header_problems_refuse_the_file(app) -> None:
    from wallet.services import issuing
    from wallet.services.issuing import csv_awards

    with app.app_context():
        _, achievement = make_issuer()
        missing = csv_awards.award_csv(achievement, b"email,given_name\na@example.com,A\n")
        assert [(p.line, p.code, p.value) for p in missing.problems] == [
            (1, "missing_column", "family_name")
        ]
        bad = csv_awards.award_csv(
            achievement, "email,family_name,given_name,受験番号\na@example.com,A,B,1\n".encode()
        )
        assert [(p.line, p.code) for p in bad.problems] == [(1, "bad_column")]
        assert csv_awards.award_csv(achievement, b"").problems[0].code == "empty"
        assert csv_awards.award_csv(achievement, b"\xff\xfe\x00\x81").problems[0].code == "encoding"
        assert issuing.awards_of(achievement)[1] == 0


def test_csv_with_japanese_headers_in_shift_jis_and_extra_columns(app) -> None:
    from wallet.services.issuing import csv_awards

    text = (
        "メールアドレス,姓,名,発行日,有効期限,合格番号,登録番号,certificate_number\n"
        "taro@example.com,コンクリート,太郎,2025-04-01,2029-03-31,G-1,T-2,C-3\n"
    )
    with app.app_context():
        _, achievement = make_issuer()
        report = csv_awards.award_csv(achievement, text.encode("cp932"))
        assert report.ok, [p.message for p in report.problems]
        ((line, award),) = report.created
        assert (line, award.family_name, award.given_name) == (2, "コンクリート", "太郎")
        identifiers = json.loads(award.credential_json)["credentialSubject"]["identifier"]
        assert [i["identityType"] for i in identifiers[1:]] == [
            "ext:passNumber",
            "ext:registrationNumber",
            "ext:certificateNumber",
        ]


def test_issuer_and_achievement_validation(app) -> None:
    from wallet.services.issuing import errors as issuing_errors
    from wallet.services.issuing import issuers

    with app.app_context():
        make_issuer()
        with pytest.raises(issuing_errors.IssuingError, match="exists"):
            make_issuer()
        for slug, url, email in (
            ("Bad Slug", "https://a.example", "a@example.org"),
            ("ok", "javascript:alert(1)", "a@example.org"),
            ("ok", "https://a.example", "not an address"),
        ):
            with pytest.raises(issuing_errors.IssuingError):
                issuers.create_issuer(slug, "Name", url, email)
        with pytest.raises(issuing_errors.IssuingError) as failure:
            issuers.create_issuer(
                "ok", "Name", "https://a.example", "a@example.org", image=b"<svg/>"
            )
        assert failure.value.code == "bad_image"


def test_portal_fetcher_answers_only_the_portal(app) -> None:
    from wallet.openbadges.errors import FetchError
    from wallet.services.issuing import credentials as issuer_documents

    with app.app_context():
        make_issuer()
        fetcher = issuer_documents.PortalFetcher()
        assert fetcher.fetch(f"{BASE}/issuers/jci#key").status == 200
        assert fetcher.fetch(f"{BASE}/issuers/none").status == 404
        with pytest.raises(FetchError):
            fetcher.fetch("https://elsewhere.example/issuers/jci")


# --- operator pages ------------------------------------------------------------------------------


def grant(app, email: str, slug: str, role: str = "owner") -> None:
    """Give the account at email a role for the issuer slug (no audit line: test set-up)."""
    from wallet.extensions import db
    from wallet.models import IssuerRole
    from wallet.services import accounts
    from wallet.services.issuing import issuers

    with app.app_context():
        user = accounts.find_by_email(email)
        issuer = issuers.get_issuer(slug)
        db.session.add(IssuerRole(issuer_id=issuer.id, user_id=user.id, role=role))
        db.session.commit()


def operator_login(
    app, client, email: str = "operator@example.com", *, role: str | None = "owner"
) -> None:
    """Create a portal administrator, make it ``role`` of every issuer there is, sign it in."""
    from tests.conftest import PASSWORD
    from tests.conftest import make_user
    from wallet.services.issuing import issuers

    with app.app_context():
        make_user(email, role="operator")
        slugs = [issuer.slug for issuer in issuers.list_issuers()]
    for slug in slugs if role else ():
        grant(app, email, slug, role)
    response = client.post("/auth/login", data={"email": email, "password": PASSWORD})
    assert response.status_code in (302, 303)


def test_issuing_pages_are_404_for_everyone_but_operators(app, client, auth) -> None:
    from tests.conftest import make_user
    from wallet.services import issuing

    with app.app_context():
        _, achievement = make_issuer()
        award_id = issuing.award(achievement, row()).award.id
        public_id = achievement.public_id
        make_user("holder@example.com")
    paths = [
        ("get", "/issuing/"),
        ("post", "/issuing/"),
        ("get", "/issuing/issuers/jci"),
        ("post", "/issuing/issuers/jci"),
        ("get", f"/issuing/achievements/{public_id}"),
        ("post", f"/issuing/achievements/{public_id}/award"),
        ("post", f"/issuing/achievements/{public_id}/csv"),
        ("get", f"/issuing/awards/{award_id}/revoke"),
        ("post", f"/issuing/awards/{award_id}/revoke"),
        ("post", f"/issuing/awards/{award_id}/resend"),
        ("get", "/issuing/nothing-here"),
    ]
    for method, path in paths:
        assert getattr(client, method)(path).status_code == 404, (method, path)
    auth.login("holder@example.com")
    for method, path in paths:
        response = getattr(client, method)(path)
        assert response.status_code == 404, (method, path)
        assert "コンクリート" not in response.get_data(as_text=True)
    auth.logout()
    operator_login(app, client)
    assert client.get("/issuing/").status_code == 200
    assert client.get("/issuing/issuers/jci").status_code == 200
    assert client.get(f"/issuing/achievements/{public_id}").status_code == 200
    assert client.get("/issuing/issuers/none").status_code == 404
    assert client.get("/issuing/achievements/none").status_code == 404
    assert client.get("/issuing/awards/99999/revoke").status_code == 404


def test_operator_creates_issuer_and_badge_and_uploads_a_csv(app, client, outbox) -> None:
    import io

    operator_login(app, client)
    response = client.post(
        "/issuing/",
        data={
            "name": "日本コンクリート工学会",
            "url": "https://www.jci-net.or.jp/",
            "email": "badges@example.org",
        },
    )
    assert response.status_code == 303
    # The short name in URLs comes from the web site; a second issuer there gets its own.
    assert response.headers["Location"] == "/issuing/issuers/jci-net"
    again = client.post(
        "/issuing/",
        data={"name": "X", "url": "https://www.jci-net.or.jp/x", "email": "x@example.org"},
    )
    assert again.headers["Location"] == "/issuing/issuers/jci-net-2"
    bad = client.post("/issuing/", data={"name": "X", "url": "ftp://x", "email": "x@example.org"})
    assert bad.status_code == 422
    response = client.post(
        "/issuing/issuers/jci-net",
        data={
            "name": "コンクリート技士",
            "description": "説明",
            "criteria": "基準",
            "validity_days": "1460",
        },
    )
    assert response.status_code == 303
    achievement_path = response.headers["Location"]
    csv_text = (
        CSV_HEADER
        + "a@example.com,山田,花子,2025-04-01,,P1,R1\n"
        + "oops,山田,一郎,2025-04-01,,P2,R2\n"
    )
    response = client.post(
        achievement_path + "/csv",
        data={"file": (io.BytesIO(csv_text.encode()), "awards.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 303
    batch_path = response.headers["Location"]
    assert batch_path.startswith("/issuing/batches/")
    html = client.get(batch_path).get_data(as_text=True)
    assert "3 行目" in html and "oops" in html  # refused at upload
    assert client.post(batch_path + "/step").status_code == 303
    html = client.get(batch_path).get_data(as_text=True)
    assert "ファイルの 2 行：1 件を授与、0 行は授与済み、1 行は受け付けませんでした。" in html
    assert len(outbox.to("a@example.com")) == 1
    missing = client.post(achievement_path + "/csv", data={}, content_type="multipart/form-data")
    assert missing.status_code == 422


def test_operator_awards_one_revokes_and_resends(app, client, outbox) -> None:
    from wallet.extensions import db
    from wallet.models import Award

    with app.app_context():
        _, achievement = make_issuer()
        public_id = achievement.public_id
    operator_login(app, client)
    base = f"/issuing/achievements/{public_id}"
    data = {
        "email": "b@example.com",
        "family_name": "佐藤",
        "given_name": "次郎",
        "issue_date": "2025-04-01",
        "pass_number": "P-9",
        "language": "en",
    }
    assert client.post(base + "/award", data=data).status_code == 303
    assert outbox.to("b@example.com")[0]["Content-Language"] == "en"
    bad = client.post(
        base + "/award",
        data={**data, "expiry": "2020-01-01"},
        headers={"HX-Request": "true", "HX-Target": "award-form"},
    )
    assert bad.status_code == 422 and "<html" not in bad.get_data(as_text=True)
    with app.app_context():
        award_id = db.session.scalar(db.select(Award.id))
    assert client.post(f"/issuing/awards/{award_id}/resend").status_code == 303
    assert len(outbox.to("b@example.com")) == 2
    confirm = client.get(f"/issuing/awards/{award_id}/revoke")
    assert confirm.status_code == 200 and "b@example.com" in confirm.get_data(as_text=True)
    assert client.post(f"/issuing/awards/{award_id}/revoke").status_code == 303
    with app.app_context():
        assert db.session.get(Award, award_id).revoked_at is not None
    assert client.post(f"/issuing/awards/{award_id}/resend").status_code == 303
    assert len(outbox.to("b@example.com")) == 2  # no notice for a revoked award
