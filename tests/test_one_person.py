"""One address, one person: per issuer, in a CSV, across CSVs, on the web form, against the
wallet account that owns the address; both recipients shown, and how the operator resolves it."""

from __future__ import annotations

import io
import json
from datetime import date
from pathlib import Path

from tests.conftest import make_user
from tests.test_issuing import CSV_HEADER
from tests.test_issuing import make_issuer
from tests.test_issuing import operator_login
from tests.test_issuing import row

SHARED = (
    "shared@example.com,山田,花子,2025-04-01,,P1,R1\n"
    "solo@example.com,佐藤,次郎,2025-04-01,,P2,R2\n"
    "Shared@Example.com,山田,一郎,2025-04-02,,P3,R3\n"
)


def test_a_file_that_gives_one_address_to_two_people_refuses_both_lines(app) -> None:
    from wallet.services.issuing import csv_awards

    with app.test_request_context():
        _, achievement = make_issuer()
        report = csv_awards.award_csv(achievement, (CSV_HEADER + SHARED).encode())
    assert [line for line, _ in report.created] == [3]
    assert [(p.line, p.code) for p in report.problems] == [
        (2, "address_shared"),
        (4, "address_shared"),
    ]
    # Both recipients are listed on each refused line, with their line numbers.
    assert report.problems[0].value == "2 (山田 花子), 4 (山田 一郎)"
    assert "Lines 2 (山田 花子), 4 (山田 一郎) give this address" in report.problems[1].message
    assert report.lines == 3


def test_the_same_person_twice_in_a_file_and_spelling_variants_are_one_person(app) -> None:
    from wallet.services.issuing import csv_awards

    lines = (
        "same@example.com,山田,花子,2025-04-01,,P1,R1\n"
        "same@example.com,山田,花子,2025-04-02,,P1,R1\n"
        "wide@example.com,ﾔﾏﾀﾞ,ﾊﾅｺ,2025-04-01,,,\n"
        "wide@example.com,ヤマダ, ハナコ,2025-04-02,,,\n"
    )
    with app.test_request_context():
        _, achievement = make_issuer()
        report = csv_awards.award_csv(achievement, (CSV_HEADER + lines).encode())
    assert report.ok, [p.message for p in report.problems]
    assert len(report.created) == 4


def test_a_later_file_and_another_badge_of_the_issuer_are_checked_too(app) -> None:
    from wallet.services.issuing import csv_awards
    from wallet.services.issuing import issuers

    with app.test_request_context():
        issuer, achievement = make_issuer()
        first = csv_awards.award_csv(
            achievement, (CSV_HEADER + "a@example.com,山田,花子,2025-04-01,,P1,R1\n").encode()
        )
        assert first.ok
        later = csv_awards.award_csv(
            achievement, (CSV_HEADER + "A@example.com,山田,一郎,2025-06-01,,P9,R9\n").encode()
        )
        other = issuers.create_achievement(issuer, "shunin", "主任技士", "d", "c")
        elsewhere = csv_awards.award_csv(
            other, (CSV_HEADER + "a@example.com,鈴木,三郎,2025-06-01,,,\n").encode()
        )
        # The same person may hold another badge of the issuer with its own register number.
        same = csv_awards.award_csv(
            other, (CSV_HEADER + "a@example.com,山田,花子,2025-06-01,,S1,Q1\n").encode()
        )
        another_issuer = issuers.create_issuer("x", "X", "https://x.example/", "x@example.org")
        free = issuers.create_achievement(another_issuer, "b", "B", "d", "c")
        per_issuer = csv_awards.award_csv(
            free, (CSV_HEADER + "a@example.com,鈴木,三郎,2025-06-01,,,\n").encode()
        )
    (problem,) = later.problems
    assert (problem.line, problem.code) == (2, "address_award")
    assert problem.value == "山田 花子 (コンクリート技士, 2025-04-01)"
    assert "山田 花子 (コンクリート技士, 2025-04-01)" in problem.message
    assert elsewhere.problems[0].code == "address_award"
    assert same.ok and per_issuer.ok  # the rule holds per institute


def test_a_second_registration_number_for_the_same_badge_is_another_person(app) -> None:
    from wallet.services import issuing
    from wallet.services.issuing import recipients

    with app.app_context():
        _, achievement = make_issuer()
        issuing.award(achievement, row(identifiers=(("registrationNumber", "T-1"),)))
        try:
            issuing.award(
                achievement,
                row(issued_on=date(2025, 5, 1), identifiers=(("registrationNumber", "T-2"),)),
            )
        except recipients.AddressTaken as exc:
            assert exc.conflict.kind == "award"
        else:
            raise AssertionError("a second registration number was accepted")


def test_a_revoked_award_frees_the_address(app) -> None:
    from wallet.services import issuing

    with app.app_context():
        _, achievement = make_issuer()
        wrong = issuing.award(achievement, row()).award
        issuing.revoke(wrong, "wrong person")
        right = issuing.award(achievement, row(given_name="花子", issued_on=date(2025, 4, 2)))
    assert right.created


def test_the_wallet_account_of_the_address_is_one_person(app) -> None:
    from wallet.services import issuing
    from wallet.services.issuing import recipients

    with app.app_context():
        make_user("taro@example.com", family_name="コンクリート", given_name="太朗")
        _, achievement = make_issuer()
        try:
            issuing.award(achievement, row())
        except recipients.AddressTaken as exc:
            assert exc.conflict.kind == "account" and exc.code == "address_account"
        else:
            raise AssertionError("an award to another person's account was accepted")
        # Confirmed by the operator: the same person, whose name differs (changed).
        confirmed = issuing.award(achievement, row(), same_person=True)
        assert confirmed.created
        # From then on the issuer's latest award says whose the address is.
        later = issuing.award(achievement, row(issued_on=date(2025, 4, 2)))
        assert later.created
        try:
            issuing.award(achievement, row(given_name="次郎", issued_on=date(2025, 4, 3)))
        except recipients.AddressTaken as exc:
            assert exc.conflict.kind == "award"
        else:
            raise AssertionError("a second person was given the address")


def test_the_web_form_refuses_with_the_earlier_award_keeps_the_form_and_allows_confirming(
    app, client, outbox
) -> None:
    from wallet.services import issuing

    with app.app_context():
        _, achievement = make_issuer()
        issuing.award(achievement, row("family@example.com", given_name="花子"))
        public_id = achievement.public_id
    operator_login(app, client)
    data = {
        "email": "family@example.com",
        "family_name": "コンクリート",
        "given_name": "次郎",
        "issue_date": "2025-05-01",
        "language": "ja",
    }
    refused = client.post(f"/issuing/achievements/{public_id}/award", data=data)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert (
        "以前に別の人へ授与されています：コンクリート 花子 (コンクリート技士, 2025-04-01)" in html
    )
    assert 'value="次郎"' in html and 'value="family@example.com"' in html  # kept filled
    assert outbox.to("family@example.com") == []
    english = client.post(
        f"/issuing/achievements/{public_id}/award",
        data=data,
        headers={"Accept-Language": "en", "HX-Request": "true", "HX-Target": "award-form"},
        query_string={"lang": "en"},
    )
    assert english.status_code == 422 and "<html" not in english.get_data(as_text=True)
    confirmed = client.post(
        f"/issuing/achievements/{public_id}/award", data={**data, "same_person": "y"}
    )
    assert confirmed.status_code == 303
    assert len(outbox.to("family@example.com")) == 1
    page = client.get(f"/issuing/achievements/{public_id}").get_data(as_text=True)
    assert "コンクリート 次郎 (family@example.com)" in page  # the flash names whom


def test_a_duplicate_award_keeps_the_form_filled(app, client) -> None:
    from wallet.services import issuing

    with app.app_context():
        _, achievement = make_issuer()
        issuing.award(achievement, row("dup@example.com"))
        public_id = achievement.public_id
    operator_login(app, client)
    again = client.post(
        f"/issuing/achievements/{public_id}/award",
        data={
            "email": "dup@example.com",
            "family_name": "コンクリート",
            "given_name": "太郎",
            "issue_date": "2025-04-01",
            "pass_number": "G-1",
            "language": "ja",
        },
    )
    html = again.get_data(as_text=True)
    assert again.status_code == 422
    assert "この日付でこのバッジを授与済みです（コンクリート 太郎）" in html
    assert 'value="G-1"' in html and 'value="2025-04-01"' in html


def test_the_upload_page_refuses_shared_lines_with_reasons_and_a_csv_to_correct(
    app, client
) -> None:
    with app.app_context():
        _, achievement = make_issuer()
        public_id = achievement.public_id
    operator_login(app, client)
    response = client.post(
        f"/issuing/achievements/{public_id}/csv",
        data={"file": (io.BytesIO((CSV_HEADER + SHARED).encode()), "awards.csv")},
        content_type="multipart/form-data",
    )
    batch_path = response.headers["Location"]
    client.post(batch_path + "/step")
    html = client.get(batch_path).get_data(as_text=True)
    assert "ファイルの 3 行：1 件を授与、0 行は授与済み、2 行は受け付けませんでした。" in html
    assert html.count("2 (山田 花子), 4 (山田 一郎)") == 2
    assert "solo@example.com" in html  # the awarded people are listed
    download = client.get(batch_path + "/refused.csv")
    assert download.status_code == 200 and "attachment" in download.headers["Content-Disposition"]
    text = download.get_data(as_text=True).lstrip("\ufeff")
    lines = text.splitlines()
    assert lines[0] == CSV_HEADER.strip() + ",problem"
    assert lines[1].startswith("shared@example.com,山田,花子,2025-04-01,,P1,R1,")
    assert lines[2].startswith("Shared@Example.com,山田,一郎,2025-04-02,,P3,R3,")
    # Corrected, the file goes in again: the problem column is ignored.
    corrected = text.replace("Shared@Example.com", "ichiro@example.com").replace(
        "shared@example.com", "hanako@example.com"
    )
    again = client.post(
        f"/issuing/achievements/{public_id}/csv",
        data={"file": (io.BytesIO(corrected.encode()), "fixed.csv")},
        content_type="multipart/form-data",
    )
    client.post(again.headers["Location"] + "/step")
    html = client.get(again.headers["Location"]).get_data(as_text=True)
    assert "ファイルの 2 行：2 件を授与" in html


def test_the_award_command_refuses_shared_lines_in_english(app, runner, tmp_path: Path) -> None:
    from tests.test_cli_issuing import OWNER
    from tests.test_cli_issuing import setup_issuer

    setup_issuer(runner)
    csv_file = tmp_path / "shared.csv"
    csv_file.write_text(CSV_HEADER + SHARED, "utf-8")
    result = runner.invoke(args=["award", "--as", OWNER, "jci", "gishi", str(csv_file), "--json"])
    assert result.exit_code == 1
    assert f"{csv_file}:2: Lines 2 (山田 花子), 4 (山田 一郎) give this address" in result.stderr
    document = json.loads(result.stdout)
    assert document["lines"] == 3 and document["created"] == 1
    assert [p["code"] for p in document["problems"]] == ["address_shared", "address_shared"]
    later = tmp_path / "later.csv"
    later.write_text(CSV_HEADER + "solo@example.com,佐藤,花子,2025-05-01,,,\n", "utf-8")
    result = runner.invoke(args=["award", "--as", OWNER, "jci", "gishi", str(later)])
    assert result.exit_code == 1
    assert (
        "given to another person before: 佐藤 次郎 (コンクリート技士, 2025-04-01)" in result.stderr
    )
