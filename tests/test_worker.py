"""The job queue on a real Redis, worked by real `wallet worker` processes: mails are retried
while SMTP is down and never lost, failed jobs wait for an operator, batches and periodic
re-verification run in the worker."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from tests import suite_logs
from tests.conftest import registration_form
from tests.servers import free_port
from tests.servers import redis_server
from tests.test_award_batches import lines
from tests.test_award_batches import upload
from tests.test_issuing import make_issuer
from tests.test_issuing import operator_login
from tests.test_mail import Sink

ROOT = Path(__file__).resolve().parents[1]
WALLET = Path(sys.executable).with_name("wallet")
# What the worker process must share with the app built in the test (WALLET_* variables).
SHARED = (
    "DATABASE_URL",
    "QUEUE_URL",
    "SECRET_KEY",
    "BASE_URL",
    "MAIL_BACKEND",
    "MAIL_OUTBOX_DIR",
    "SMTP_HOST",
    "SMTP_PORT",
    "SMTP_TIMEOUT",
    "MAIL_RETRY_DELAYS",
    "REVERIFY_INTERVAL",
    "PASSWORD_TIME_COST",
    "PASSWORD_MEMORY_COST",
    "PASSWORD_PARALLELISM",
)


@pytest.fixture
def redis_url() -> Iterator[str]:
    with redis_server() as url:
        yield url


@pytest.fixture
def app_config(app_config, tmp_path, redis_url):
    """The queue on the test's own Redis; a database a second process can open."""
    if app_config["DATABASE_URL"] == "sqlite://":
        app_config["DATABASE_URL"] = f"sqlite:///{tmp_path / 'wallet.db'}"
    app_config.update(QUEUE_URL=redis_url, REVERIFY_INTERVAL=0, MAIL_RETRY_DELAYS="1,1,2")
    return app_config


def worker_env(app) -> dict[str, str]:
    """Return the environment of a worker process configured like app."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("WALLET_")}
    for key in SHARED:
        if app.config.get(key) is not None:
            env[f"WALLET_{key}"] = str(app.config[key])
    env.update(WALLET_LOG_FORMAT="json", WALLET_LOG_LEVEL="INFO", PYTHONDONTWRITEBYTECODE="1")
    return env


def burst(app) -> str:
    """Run `wallet worker --burst` (every waiting job, then exit); return its log."""
    log = suite_logs.process_log("worker")
    with log.open("w") as err:
        done = subprocess.run(
            [str(WALLET), "worker", "--burst"],
            cwd=ROOT,
            env=worker_env(app),
            stdout=err,
            stderr=err,
            timeout=120,
        )
    text = log.read_text(encoding="utf-8")
    assert done.returncode == 0, text[-3000:]
    return text


@contextmanager
def running_worker(app) -> Iterator[Path]:
    """Run `wallet worker` until the block ends (SIGTERM, as systemd stops it); yield its log."""
    log = suite_logs.process_log("worker")
    with log.open("w") as err:
        process = subprocess.Popen(
            [str(WALLET), "worker"], cwd=ROOT, env=worker_env(app), stdout=err, stderr=err
        )
        try:
            yield log
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(10)


def wait_until(condition: Callable[[], object], what: str, seconds: float = 60.0) -> None:
    """Poll condition until it holds (the worker runs in its own time)."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting: {what}"
        time.sleep(0.2)


@contextmanager
def smtp_server(port: int) -> Iterator[Sink]:
    """Serve SMTP on port (the server coming back)."""
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield sink
    finally:
        controller.stop()


def use_smtp(app, port: int) -> None:
    app.config.update(MAIL_BACKEND="smtp", SMTP_HOST="127.0.0.1", SMTP_PORT=port, SMTP_TIMEOUT=5)


def failed_jobs(app) -> list[dict]:
    result = app.test_cli_runner().invoke(args=["jobs", "failed", "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_a_requests_mail_waits_for_the_worker(app, client, outbox) -> None:
    response = client.post("/auth/register", data=registration_form())
    assert response.status_code == 303
    assert outbox.messages() == []  # queued, not sent by the web process
    log = burst(app)
    (message,) = outbox.to("hanako@example.com")
    assert "/auth/verify/" in outbox.text(message)
    # The worker's lines carry the id of the request that queued the mail.
    entries = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    done = [e for e in entries if e.get("job") == "mail.deliver" and e.get("outcome") == "done"]
    assert [e["request_id"] for e in done] == [response.headers["X-Request-ID"]]


def test_mail_keeps_flowing_when_smtp_is_down_for_a_while(app, client) -> None:
    port = free_port()  # the SMTP server is down: nothing listens there yet
    use_smtp(app, port)
    app.config["MAIL_RETRY_DELAYS"] = "1,2,2,4,8"
    assert client.post("/auth/forgot", data={"email": "nobody@example.com"}).status_code == 303
    client.post("/auth/register", data=registration_form())  # one mail, queued
    with running_worker(app) as log:
        wait_until(lambda: "will be retried" in log.read_text(), "a failed first attempt")
        with smtp_server(port) as sink:
            wait_until(lambda: sink.received, "the mail after SMTP came back")
    (got,) = sink.received
    assert got.rcpt_tos == ["hanako@example.com"]
    assert failed_jobs(app) == []


def test_a_mail_that_never_gets_through_waits_for_an_operator(app, client) -> None:
    port = free_port()
    use_smtp(app, port)
    app.config["MAIL_RETRY_DELAYS"] = "1"
    client.post("/auth/register", data=registration_form())
    with running_worker(app):
        wait_until(lambda: failed_jobs(app), "the job in the failed registry")
    (job,) = failed_jobs(app)
    assert job["name"] == "mail.deliver" and job["queue"] == "mail"
    assert job["error"] == "wallet.services.mail.MailError: SMTP delivery failed: " + (
        "ConnectionRefusedError"
    )
    listing = app.test_cli_runner().invoke(args=["jobs", "failed"])
    assert job["id"] in listing.stdout and "hanako" not in listing.output
    with smtp_server(port) as sink:
        retried = app.test_cli_runner().invoke(args=["jobs", "retry", "--all"])
        assert retried.exit_code == 0 and "1 job(s) queued again" in retried.output
        burst(app)
    assert [r.rcpt_tos for r in sink.received] == [["hanako@example.com"]]
    assert failed_jobs(app) == []


def test_retrying_a_job_that_did_not_fail_is_an_error(app) -> None:
    result = app.test_cli_runner().invoke(args=["jobs", "retry", "0123456789abcdef"])
    assert result.exit_code == 1
    assert "not among the failed ones" in result.output
    assert app.test_cli_runner().invoke(args=["jobs", "retry"]).exit_code == 2


def test_a_delivered_mail_is_not_delivered_again(app) -> None:
    from tests.conftest import make_user
    from wallet.services import mail

    port = free_port()
    use_smtp(app, port)
    with smtp_server(port) as sink, app.test_request_context("/"):
        message = mail.compose(
            "taro@example.com",
            "verify_email",
            "en",
            user=make_user(),
            verify_url="https://wallet.example.test/x",
        )
        mail.deliver_job(bytes(message), "verify_email")
        mail.deliver_job(bytes(message), "verify_email")  # the job, run a second time
    assert len(sink.received) == 1


def test_an_uploaded_csv_is_awarded_by_the_worker(app, client, outbox) -> None:
    with app.app_context():
        _, achievement = make_issuer()
        path = f"/issuing/achievements/{achievement.public_id}"
    operator_login(app, client)
    response = upload(client, path, lines(3))
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "バックグラウンドで授与しています" in page
    assert "/step" not in page  # the page watches; it does not award
    assert outbox.to("r0@example.com") == []
    burst(app)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "すべての行を処理しました" in page
    for n in range(3):
        assert len(outbox.to(f"r{n}@example.com")) == 1


def test_a_worker_reverifies_stale_badges_once_per_period(app) -> None:
    from tests.badge_factory import cached_ob3_json
    from tests.conftest import make_user
    from wallet.extensions import db
    from wallet.models import Badge
    from wallet.models import utcnow
    from wallet.services import badge_import

    app.config["REVERIFY_INTERVAL"] = 3600
    long_ago = utcnow() - timedelta(days=30)
    with app.test_request_context("/"):
        user = make_user()
        badge = badge_import.import_badge(user, cached_ob3_json()).badge
        badge.verified_at = long_ago
        db.session.commit()
        badge_id = badge.id
    log = burst(app)
    assert "queued 1 stale badge(s)" in log
    with app.app_context():
        checked = db.session.get(Badge, badge_id).verified_at
        assert checked.replace(tzinfo=None) > long_ago.replace(tzinfo=None)
        db.session.get(Badge, badge_id).verified_at = long_ago
        db.session.commit()
    # A second worker started within the period: the periodic job does not run again.
    log = burst(app)
    assert "already ran in this period" in log and "stale badge(s)" not in log
    with app.app_context():
        assert db.session.get(Badge, badge_id).verified_at.replace(tzinfo=None) == (
            long_ago.replace(tzinfo=None)
        )


def test_without_a_queue_there_is_no_worker(app) -> None:
    app.config["QUEUE_URL"] = ""
    result = app.test_cli_runner().invoke(args=["worker", "--burst"])
    assert result.exit_code == 2
    assert "WALLET_QUEUE_URL is not set" in result.output
