"""Award follow-up: counts and lists by state, search, re-sending, and one reminder on schedule."""

from __future__ import annotations

import json
from datetime import date
from datetime import timedelta

import pytest

from tests.conftest import htmx_headers
from tests.conftest import make_user
from tests.test_issuing import make_issuer
from tests.test_issuing import operator_login
from tests.test_issuing import row


@pytest.fixture
def awarded(app):
    """Four awards of one badge: claimed, revoked, and two unclaimed (notices mailed)."""
    from wallet.services import issuing
    from wallet.services.issuing import claims

    with app.test_request_context():
        _, achievement = make_issuer()
        people = [
            ("claimed@example.com", "受取", "済子", "R-1"),
            ("revoked@example.com", "失効", "太郎", "R-2"),
            ("wait1@example.com", "山田", "花子", "R-3"),
            ("wait2@example.com", "鈴木", "一郎", "R-4"),
        ]
        awards = {}
        for email, family, given, number in people:
            record = issuing.award(
                achievement,
                row(
                    email,
                    family_name=family,
                    given_name=given,
                    identifiers=(("registrationNumber", number),),
                ),
            ).award
            claims.send_notice(record)
            awards[email] = record.id
        holder = make_user("claimed@example.com", family_name="受取", given_name="済子")
        from wallet.extensions import db
        from wallet.models import Award

        claims.claim(db.session.get(Award, awards["claimed@example.com"]), holder)
        issuing.revoke(db.session.get(Award, awards["revoked@example.com"]), "mistake")
        return {"public_id": achievement.public_id, **awards}


def test_counts_and_lists_by_state_and_search(app, awarded) -> None:
    from wallet.services.issuing import followup
    from wallet.services.issuing import issuers

    with app.app_context():
        achievement = issuers.achievement_by_public_id(awarded["public_id"])
        counts = followup.counts(achievement)
        assert (counts.awarded, counts.claimed, counts.unclaimed, counts.revoked) == (4, 1, 2, 1)

        def emails(**kwargs) -> list[str]:
            return sorted(a.email for a in followup.search(achievement, **kwargs)[0])

        assert emails(state="unclaimed") == ["wait1@example.com", "wait2@example.com"]
        assert emails(state="claimed") == ["claimed@example.com"]
        assert emails(state="revoked") == ["revoked@example.com"]
        assert emails(query="山田") == ["wait1@example.com"]  # family name
        assert emails(query="WAIT2@") == ["wait2@example.com"]  # address, any case
        assert emails(query="r-4") == ["wait2@example.com"]  # registration number
        assert emails(query="registration") == [] and emails(query="value") == []
        assert emails(query="山田　花子") == ["wait1@example.com"]  # both names, a wide space
        assert emails(query="山田 一郎") == []  # every word must match
        assert emails(query="%") == [] and emails(query="_") == []  # wildcards are literal
        assert emails(query="R-", state="unclaimed") == ["wait1@example.com", "wait2@example.com"]


def test_the_page_shows_counts_cards_search_and_state_filter(app, client, awarded) -> None:
    operator_login(app, client)
    path = f"/issuing/achievements/{awarded['public_id']}"
    html = client.get(path).get_data(as_text=True)
    for count, label in ((4, "授与"), (1, "受領済み"), (2, "未受領"), (1, "失効済み")):
        assert (
            f'<span class="count">{count}</span> <span class="count-label">{label}</span>' in html
        )
    assert html.count('class="award-card"') == 4
    filtered = client.get(path, query_string={"state": "unclaimed", "q": "R-3"})
    page = filtered.get_data(as_text=True)
    assert page.count('class="award-card"') == 1 and "wait1@example.com" in page
    fragment = client.get(path, query_string={"q": "鈴木"}, headers=htmx_headers("award-list"))
    text = fragment.get_data(as_text=True)
    assert "<html" not in text and "wait2@example.com" in text and "wait1@" not in text
    assert client.get(path, query_string={"state": "bogus"}).status_code == 200


def test_resend_to_one_says_to_whom_and_keeps_the_search(app, client, outbox, awarded) -> None:
    operator_login(app, client)
    before = len(outbox.to("wait1@example.com"))
    response = client.post(
        f"/issuing/awards/{awarded['wait1@example.com']}/resend",
        data={"q": "山田", "state": "unclaimed"},
    )
    assert response.status_code == 303
    assert (
        "q=" in response.headers["Location"] and "state=unclaimed" in response.headers["Location"]
    )
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "山田 花子 (wait1@example.com) に通知を再送信しました。" in html
    assert len(outbox.to("wait1@example.com")) == before + 1
    # A received badge gets no notice, and the message says whose it is.
    client.post(f"/issuing/awards/{awarded['claimed@example.com']}/resend")
    html = client.get(f"/issuing/achievements/{awarded['public_id']}").get_data(as_text=True)
    assert "受取 済子 (claimed@example.com) に通知は送られませんでした" in html


def test_resend_to_all_unclaimed_mails_only_them_and_logs_it(app, client, outbox, awarded) -> None:
    operator_login(app, client)
    counts = {e: len(outbox.to(e)) for e in awarded if "@" in e}
    response = client.post(f"/issuing/achievements/{awarded['public_id']}/resend-all")
    assert response.status_code == 303
    for email, count in counts.items():
        expected = count + 1 if email.startswith("wait") else count
        assert len(outbox.to(email)) == expected, email
    log = client.get("/issuing/issuers/jci/log").get_data(as_text=True)
    assert log.count("再送信") >= 2


def age_notices(app, days: int) -> None:
    """Make every notice look `days` old."""
    from sqlalchemy import update

    from wallet.extensions import db
    from wallet.models import Award
    from wallet.models import utcnow

    with app.app_context():
        db.session.execute(update(Award).values(notified_at=utcnow() - timedelta(days=days)))
        db.session.commit()


def set_reminder(app, public_id: str, days: int | None) -> None:
    from wallet.services.issuing import audit
    from wallet.services.issuing import issuers

    with app.app_context():
        issuers.set_reminder(issuers.achievement_by_public_id(public_id), days, audit.SYSTEM)


def test_one_reminder_after_the_configured_days_and_never_twice(app, outbox, awarded) -> None:
    from wallet.services.issuing import followup

    with app.test_request_context():
        assert followup.send_reminders() == {"due": 0, "sent": 0}  # reminders are off
    set_reminder(app, awarded["public_id"], 7)
    age_notices(app, 6)
    with app.test_request_context():
        assert followup.send_reminders() == {"due": 0, "sent": 0}  # not yet
    age_notices(app, 8)
    with app.test_request_context():
        assert followup.send_reminders() == {"due": 2, "sent": 2}
        assert followup.send_reminders() == {"due": 0, "sent": 0}  # idempotent
    for email in ("wait1@example.com", "wait2@example.com"):
        reminder = outbox.to(email)[-1]
        assert "受け取りを待っています" in reminder["Subject"]
        assert "/claim/" in outbox.text(reminder)
    assert all("受け取りを待って" not in m["Subject"] for m in outbox.to("claimed@example.com"))
    assert all("受け取りを待って" not in m["Subject"] for m in outbox.to("revoked@example.com"))


def test_a_reminder_taken_by_another_run_is_not_sent_again(app, outbox, awarded) -> None:
    from wallet.services.issuing import followup

    set_reminder(app, awarded["public_id"], 3)
    age_notices(app, 4)
    with app.test_request_context():
        due = followup.due_reminders()
        assert len(due) == 2
        assert followup.remind(due[0]) is True
        assert followup.remind(due[0]) is False  # a second run racing for the same award


def test_reminders_command_and_job(app, runner, outbox, awarded) -> None:
    from wallet.services.jobs.table import JOBS
    from wallet.services.jobs.table import PERIODIC

    assert "awards.reminders" in JOBS and PERIODIC["awards.reminders"] == "REMINDER_INTERVAL"
    set_reminder(app, awarded["public_id"], 7)
    age_notices(app, 10)
    result = runner.invoke(args=["reminders", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"due": 2, "sent": 2}
    again = runner.invoke(args=["reminders", "--json"])
    assert json.loads(again.stdout) == {"due": 0, "sent": 0}
    from wallet.services import jobs

    with app.test_request_context():
        handle = jobs.enqueue("awards.reminders")
    assert handle.status == "done"


def test_the_reminder_is_set_on_the_page_by_owners(app, client, awarded) -> None:
    from wallet.services.issuing import issuers

    operator_login(app, client)
    path = f"/issuing/achievements/{awarded['public_id']}/reminder"
    assert client.post(path, data={"reminder_days": "14"}).status_code == 303
    with app.app_context():
        assert issuers.achievement_by_public_id(awarded["public_id"]).reminder_days == 14
    client.post(path, data={"reminder_days": "400"})
    client.post(path, data={"reminder_days": ""})
    with app.app_context():
        assert issuers.achievement_by_public_id(awarded["public_id"]).reminder_days is None


def test_follow_up_commands(app, runner, outbox, tmp_path) -> None:
    from tests.test_cli_issuing import OWNER
    from tests.test_cli_issuing import setup_issuer
    from tests.test_issuing import CSV_HEADER

    setup_issuer(runner)
    csv_file = tmp_path / "a.csv"
    csv_file.write_text(
        CSV_HEADER
        + "a@example.com,山田,花子,2025-04-01,,P1,R-1\n"
        + "b@example.com,佐藤,次郎,2025-04-01,,P2,R-2\n",
        "utf-8",
    )
    assert (
        runner.invoke(args=["award", "--as", OWNER, "jci", "gishi", str(csv_file)]).exit_code == 0
    )
    listed = runner.invoke(
        args=["awards", "list", "jci", "gishi", "--search", "R-2", "--as", OWNER, "--json"]
    )
    document = json.loads(listed.stdout)
    assert (document["awarded"], document["unclaimed"], document["matched"]) == (2, 2, 1)
    (award,) = document["awards"]
    assert award["email"] == "b@example.com" and award["identifiers"]["registrationNumber"] == "R-2"
    resent = runner.invoke(
        args=["awards", "resend", "jci", "gishi", "--email", "a@example.com", "--as", OWNER]
    )
    assert resent.exit_code == 0 and len(outbox.to("a@example.com")) == 2
    revoked = runner.invoke(
        args=["awards", "revoke", "jci", award["credential_id"], "--reason", "x", "--as", OWNER]
    )
    assert revoked.exit_code == 0
    listed = runner.invoke(
        args=["awards", "list", "jci", "gishi", "--state", "revoked", "--as", OWNER, "--json"]
    )
    assert [a["email"] for a in json.loads(listed.stdout)["awards"]] == ["b@example.com"]
    assert (
        runner.invoke(args=["awards", "revoke", "jci", "urn:uuid:nothing", "--as", OWNER]).exit_code
        == 1
    )


def test_an_old_batch_stored_before_fields_still_steps(app) -> None:
    """Batches queued by the previous release hold [line, row] pairs (no header, no fields)."""
    from wallet.extensions import db
    from wallet.models import AwardBatch
    from wallet.services.issuing import batches

    with app.test_request_context():
        _, achievement = make_issuer()
        data = {
            "email": "old@example.com",
            "family_name": "古",
            "given_name": "一",
            "issued_on": date(2025, 4, 1).isoformat(),
            "expires_on": None,
            "identifiers": [],
            "language": "ja",
        }
        batch = AwardBatch(
            achievement_id=achievement.id,
            rows_json=json.dumps([[2, data]]),
            problems_json=json.dumps([[3, "email", "oops"]]),
            total=1,
        )
        db.session.add(batch)
        db.session.commit()
        batches.step(batch)
        assert batch.done == 1 and batch.created_count == 1
        assert [p.line for p in batches.problems(batch)] == [3]
        assert batches.header(batch) == ()
