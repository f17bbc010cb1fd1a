"""`wallet issuers`, `wallet achievements`, `wallet award FILE.csv` and `wallet demo`."""

from __future__ import annotations

import json
import time
from pathlib import Path

from tests.test_issuing import BASE
from tests.test_issuing import CSV_HEADER
from tests.test_issuing import wallet_verify

OWNER = "owner@example.com"


def setup_issuer(runner) -> None:
    """Create the owner's account, issuer `jci` and achievement `gishi` through the commands."""
    from tests.conftest import make_user

    with runner.app.app_context():
        make_user(OWNER, role="operator")
    result = runner.invoke(
        args=[
            "issuers",
            "create",
            "jci",
            "--name",
            "日本コンクリート工学会",
            "--url",
            "https://www.jci-net.or.jp/",
            "--email",
            "badges@example.org",
            "--owner",
            OWNER,
            "--json",
        ]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["id"] == f"{BASE}/issuers/jci"
    result = runner.invoke(
        args=[
            "achievements",
            "create",
            "jci",
            "gishi",
            "--name",
            "コンクリート技士",
            "--description",
            "登録されたことを示します。",
            "--criteria",
            "試験に合格すること。",
            "--validity-days",
            "1460",
            "--as",
            OWNER,
            "--json",
        ]
    )
    assert result.exit_code == 0, result.output


def test_award_command_reports_lines_and_is_idempotent(app, runner, tmp_path: Path) -> None:
    setup_issuer(runner)
    csv_file = tmp_path / "awards.csv"
    csv_file.write_text(
        CSV_HEADER
        + "a@example.com,山田,花子,2025-04-01,,P1,R1\n"
        + "broken,山田,一郎,2025-04-01,,P2,R2\n"
        + "b@example.com,佐藤,次郎,2025-04-01,2029-03-31,P3,R3\n",
        encoding="utf-8",
    )
    result = runner.invoke(args=["award", "--as", OWNER, "jci", "gishi", str(csv_file), "--json"])
    assert result.exit_code == 1  # one line refused; the good ones went through
    assert f"{csv_file}:3: The email address broken is not valid." in result.stderr
    report = json.loads(result.stdout)
    assert (report["created"], report["existing"]) == (2, 0)
    assert [(p["line"], p["code"]) for p in report["problems"]] == [(3, "email")]
    assert [a["line"] for a in report["awards"]] == [2, 4]
    outbox = Path(app.config["MAIL_OUTBOX_DIR"])
    assert len(list(outbox.glob("*.eml"))) == 2

    again = runner.invoke(args=["award", "--as", OWNER, "jci", "gishi", str(csv_file), "--json"])
    assert again.exit_code == 1
    report = json.loads(again.stdout)
    assert (report["created"], report["existing"]) == (0, 2)
    assert len(list(outbox.glob("*.eml"))) == 2  # no second notice for the same award

    unknown = runner.invoke(args=["award", "--as", OWNER, "jci", "nothing", str(csv_file)])
    assert unknown.exit_code == 1 and "no achievement" in unknown.stderr


def test_award_thousand_rows_in_one_command(app, runner, tmp_path: Path) -> None:
    setup_issuer(runner)
    csv_file = tmp_path / "thousand.csv"
    csv_file.write_text(
        CSV_HEADER
        + "".join(
            f"holder{n:04d}@example.com,姓{n},名{n},2025-04-01,,P{n:05d},R{n:05d}\n"
            for n in range(1000)
        ),
        encoding="utf-8",
    )
    started = time.perf_counter()
    result = runner.invoke(args=["award", "--as", OWNER, "jci", "gishi", str(csv_file), "--json"])
    elapsed = time.perf_counter() - started
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["created"] == 1000 and report["problems"] == []
    print(f"\n1,000 awards (signed, baked, mailed to the outbox) in {elapsed:.1f} s")
    outbox = Path(app.config["MAIL_OUTBOX_DIR"])
    assert len(list(outbox.glob("*.eml"))) == 1000
    with app.app_context():
        from wallet.services import issuing
        from wallet.services.issuing import issuers

        issuer = issuers.get_issuer("jci")
        achievement = issuers.get_achievement(issuer, "gishi")
        awards, total = issuing.awards_of(achievement, size=1000)
        assert total == 1000
        assert len({a.status_index for a in awards}) == 1000


def test_award_without_mail(app, runner, tmp_path: Path) -> None:
    setup_issuer(runner)
    csv_file = tmp_path / "one.csv"
    csv_file.write_text(CSV_HEADER + "a@example.com,山田,花子,2025-04-01,,P1,R1\n", "utf-8")
    result = runner.invoke(
        args=["award", "--as", OWNER, "jci", "gishi", str(csv_file), "--no-mail"]
    )
    assert result.exit_code == 0
    assert not list(Path(app.config["MAIL_OUTBOX_DIR"]).glob("*.eml"))


def test_issuer_commands_refuse_bad_input(runner) -> None:
    result = runner.invoke(
        args=["issuers", "create", "Bad Slug", "--name", "N", "--url", "https://x"]
        + ["--email", "a@b.c"]
    )
    assert result.exit_code == 1 and "bad_slug" in result.stderr
    result = runner.invoke(
        args=[
            "achievements",
            "create",
            "none",
            "x",
            "--name",
            "N",
            "--description",
            "D",
            "--criteria",
            "C",
            "--as",
            "nobody@example.com",
        ]
    )
    assert result.exit_code == 1 and "no issuer" in result.stderr


def test_demo_fills_an_empty_database_once(app, runner, tmp_path: Path) -> None:
    result = runner.invoke(args=["demo", "--json"], env={"WALLET_PASSWORD": None})
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["holder"] == "taro@example.com"
    assert "password" in document and document["password"] in result.stderr
    assert "taro@example.com" in result.stderr
    results = sorted(b["result"] for b in document["badges"])
    assert results == ["expired", "revoked", "valid"]
    with app.app_context():
        from wallet.models.names import full_name
        from wallet.services import accounts

        holder = accounts.find_by_email("taro@example.com")
        assert full_name(holder) == "コンクリート 太郎"
        assert accounts.authenticate("taro@example.com", document["password"]) is not None
        operator = accounts.find_by_email(document["operator"])
        assert operator.is_operator

    # The valid demo badge verifies offline from the published documents.
    docs = tmp_path / "docs"
    assert runner.invoke(args=["issuers", "publish", str(docs)]).exit_code == 0
    valid = next(b for b in document["badges"] if b["result"] == "valid")
    exported = tmp_path / "valid.png"
    assert (
        runner.invoke(args=["badges", "export", valid["public_id"], "-o", str(exported)]).exit_code
        == 0
    )
    assert wallet_verify(exported, docs)["result"] == "valid"

    again = runner.invoke(args=["demo"])
    assert again.exit_code == 1 and "not empty" in again.stderr
    quiet = runner.invoke(args=["demo", "--if-empty"])
    assert quiet.exit_code == 0 and quiet.output == ""


def test_a_demo_that_fails_half_way_leaves_the_database_empty(app, runner) -> None:
    from sqlalchemy import func
    from sqlalchemy import select

    from tests.hardening.test_failures import database_fails_on
    from wallet.extensions import db

    with database_fails_on(app, "INSERT INTO awards") as seen:
        failed = runner.invoke(args=["demo"])
    assert seen, "the injected failure did not happen"
    assert failed.exit_code == 1
    assert "could not be created" in failed.output and "Traceback" not in failed.output
    with app.app_context():
        for table in db.metadata.sorted_tables:
            assert db.session.scalar(select(func.count()).select_from(table)) == 0, table.name
    assert runner.invoke(args=["demo"]).exit_code == 0  # and it can simply be run again


def test_demo_if_empty_skips_a_database_with_accounts(app, runner) -> None:
    from tests.conftest import make_user

    with app.app_context():
        make_user()
    result = runner.invoke(args=["demo", "--if-empty"])
    assert result.exit_code == 0 and result.output == ""
    with app.app_context():
        from wallet.services.issuing import issuers

        assert issuers.list_issuers() == []


def test_demo_is_refused_in_production(app, runner) -> None:
    app.config["ENV"] = "production"
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 1
    assert "never created in production" in result.stderr
    skipped = runner.invoke(args=["demo", "--if-empty"])
    assert skipped.exit_code == 0
    with app.app_context():
        from wallet.services import accounts

        assert accounts.find_by_email("taro@example.com") is None
