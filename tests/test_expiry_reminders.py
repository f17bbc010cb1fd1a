"""Reminder mails before a badge expires: which badges, once per badge and expiry date, the
holder's language and time zone, the opt-out, failures tried again, the job and the command."""

from __future__ import annotations

import json
import re
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta

import pytest
from sqlalchemy import update

from tests.badge_factory import add_badge
from tests.conftest import make_user

NOW = datetime(2026, 4, 20, 3, 0, tzinfo=UTC)  # 12:00 in Japan


@pytest.fixture
def app_config(app_config):
    """The wallet's clock stands at NOW."""
    app_config["VERIFY_NOW"] = NOW
    return app_config


def _holder(app, email: str = "taro@example.com", **fields):
    from wallet.extensions import db

    with app.app_context():
        user = make_user(email, language=fields.pop("language", "ja"))
        for name, value in fields.items():
            setattr(user, name, value)
        db.session.commit()
        return user.id


def _badge(app, user_id: int, **fields) -> int:
    values = {"name": "コンクリート技士", "issuer_name": "日本コンクリート協会"}
    values.update(fields)
    with app.app_context():
        return add_badge(user_id, **values).id


def _run(app):
    from wallet.services import expiry_reminders

    with app.app_context():
        return expiry_reminders.send_due()


def _day_badge(app, user_id: int, day: date, **fields) -> int:
    """A badge that states its expiry as a calendar day (the last second of it, in Japan)."""
    moment = datetime(day.year, day.month, day.day, 23, 59, 59, tzinfo=UTC) - timedelta(hours=9)
    return _badge(app, user_id, expires=moment, expires_day=day, **fields)


def test_one_mail_per_badge_in_the_holders_language_with_the_stated_day(app, outbox):
    taro = _holder(app)
    _day_badge(app, taro, date(2026, 5, 10))
    summary = _run(app)
    assert len(summary.sent) == 1 and summary.failed == []
    [mail] = outbox.to("taro@example.com")
    assert mail["Content-Language"] == "ja"
    assert "2026年5月10日" in mail["Subject"] and "コンクリート技士" in mail["Subject"]
    text = outbox.text(mail)
    assert "日本コンクリート協会" in text
    assert "https://wallet.example.test/badges/" in text
    assert "https://wallet.example.test/account#expiry-reminders" in text
    # Once: the next runs (cron, a worker, the job twice) send nothing more.
    assert _run(app).sent == [] and _run(app).sent == []
    assert len(outbox.to("taro@example.com")) == 1


def test_a_moment_is_shown_in_the_holders_zone(app, outbox):
    """Expiring at 02:30 UTC on 10 May: in New York that is still 9 May, in Tokyo 10 May."""
    jane = _holder(app, "jane@example.com", language="en", timezone="America/New_York")
    taro = _holder(app)
    moment = datetime(2026, 5, 10, 2, 30, tzinfo=UTC)
    _badge(app, jane, expires=moment, name="Bridge inspection")
    _badge(app, taro, expires=moment)
    _run(app)
    [english] = outbox.to("jane@example.com")
    assert english["Content-Language"] == "en"
    assert "9 May 2026, 22:30" in english["Subject"]
    assert "Bridge inspection" in outbox.text(english)
    [japanese] = outbox.to("taro@example.com")
    assert "2026年5月10日 11:30（日本時間）" in japanese["Subject"]


def test_only_badges_expiring_soon_are_due(app, outbox):
    from wallet.services import expiry_reminders

    taro = _holder(app)
    soon = NOW + timedelta(days=20)
    due = _badge(app, taro, expires=soon)
    _badge(app, taro, expires=soon, visibility="private", name="Private but mine")
    _badge(app, taro, expires=NOW + timedelta(days=31), name="Later")
    _badge(app, taro, expires=NOW - timedelta(days=1), name="Expired")
    _badge(app, taro, expires=soon, result="revoked", name="Revoked")
    _badge(app, taro, expires=soon, result="unverifiable", name="Unverifiable")
    _badge(app, taro, expires=soon, recipient_confirmed=False, name="Unconfirmed")
    _badge(app, taro, expires=None, name="Never expires")
    with app.app_context():
        ids = expiry_reminders.due_ids()
    assert len(ids) == 2 and due in ids
    assert len(_run(app).sent) == 2
    subjects = " ".join(m["Subject"] for m in outbox.to("taro@example.com"))
    assert "Private but mine" in subjects and "Later" not in subjects


def test_turned_off_no_mail_and_turning_on_again_sends_what_is_due(app, client, auth, outbox):
    from wallet.services import states

    taro = _holder(app)
    _badge(app, taro, expires=NOW + timedelta(days=5))
    auth.login()
    off = client.post("/account/reminders", data={})
    assert off.status_code == 303 and off.headers["Location"].endswith("#expiry-reminders")
    assert _run(app).sent == []
    page = client.get("/account").get_data(as_text=True)
    assert 'name="expiry_reminders"' in page
    hint = re.search(r'id="expiry-reminders-hint">([^<]*)<', page)
    assert hint and str(states.EXPIRING_SOON.days) in hint.group(1)  # the rule in force
    client.post("/account/reminders", data={"expiry_reminders": "on"})
    assert len(_run(app).sent) == 1


def test_a_new_expiry_date_gets_its_own_reminder(app, outbox):
    from wallet.extensions import db
    from wallet.models import Badge

    taro = _holder(app)
    badge_id = _badge(app, taro, expires=NOW + timedelta(days=5))
    _run(app)
    with app.app_context():
        db.session.execute(
            update(Badge).where(Badge.id == badge_id).values(expires=NOW + timedelta(days=25))
        )
        db.session.commit()
    assert len(_run(app).sent) == 1
    assert len(outbox.to("taro@example.com")) == 2


def test_a_mail_that_could_not_be_sent_is_tried_again(app, outbox):
    from tests.servers import free_port

    taro = _holder(app)
    _badge(app, taro, expires=NOW + timedelta(days=5))
    # Nothing listens there: delivery fails at once (outside a request, no queue).
    app.config.update(MAIL_BACKEND="smtp", SMTP_HOST="127.0.0.1", SMTP_PORT=free_port())
    first = _run(app)
    assert first.sent == [] and len(first.failed) == 1
    app.config.update(MAIL_BACKEND="outbox")
    assert len(_run(app).sent) == 1
    assert len(outbox.to("taro@example.com")) == 1


def test_delivered_through_a_real_smtp_server(app):
    from aiosmtpd.controller import Controller

    from tests.servers import free_port
    from tests.test_mail import Sink

    taro = _holder(app, "taro@example.com", language="en")
    _day_badge(app, taro, date(2026, 4, 23), name="Bridge inspection")
    sink = Sink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        app.config.update(MAIL_BACKEND="smtp", SMTP_HOST="127.0.0.1", SMTP_PORT=port)
        assert len(_run(app).sent) == 1
    finally:
        controller.stop()
    [received] = sink.received
    assert received.rcpt_tos == ["taro@example.com"]
    assert received.message["Subject"] == "Your badge “Bridge inspection” expires on 23 April 2026"


def test_two_runs_at_once_send_one_mail(app, outbox):
    """A worker and cron picked the same badge: the claim lets one of them send."""
    from wallet.services import expiry_reminders

    taro = _holder(app)
    badge_id = _badge(app, taro, expires=NOW + timedelta(days=5))
    with app.app_context():
        [due] = expiry_reminders.due_ids()
        assert expiry_reminders.remind(due) is not None
        assert expiry_reminders.remind(badge_id) is None
    assert len(outbox.to("taro@example.com")) == 1


def test_the_periodic_job_and_the_command(app, runner, outbox):
    from wallet.services import jobs
    from wallet.services.jobs.table import JOBS
    from wallet.services.jobs.table import PERIODIC

    assert PERIODIC["badges.expiry_reminders"] == "EXPIRY_REMINDER_INTERVAL"
    assert app.config["EXPIRY_REMINDER_INTERVAL"] == 3600
    assert JOBS["badges.expiry_reminders"].queue == "default"
    taro = _holder(app)
    _badge(app, taro, expires=NOW + timedelta(days=5))
    _badge(app, taro, expires=NOW + timedelta(days=6), name="Second")
    with app.app_context():
        assert not jobs.enqueue("badges.expiry_reminders").failed
    assert len(outbox.to("taro@example.com")) == 2
    _badge(app, taro, expires=NOW + timedelta(days=7), name="Third")
    result = runner.invoke(args=["expiry-reminders", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"sent": 1, "failed": []}
    again = runner.invoke(args=["expiry-reminders", "--json"])
    assert json.loads(again.stdout) == {"sent": 0, "failed": []}


def test_the_command_exits_1_when_a_mail_failed(app, runner):
    from tests.servers import free_port

    taro = _holder(app)
    _badge(app, taro, expires=NOW + timedelta(days=5))
    app.config.update(MAIL_BACKEND="smtp", SMTP_HOST="127.0.0.1", SMTP_PORT=free_port())
    result = runner.invoke(args=["expiry-reminders"])
    assert result.exit_code == 1
    assert "could not be sent" in result.stderr and "Traceback" not in result.output
