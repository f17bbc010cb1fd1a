"""Jobs without a queue (the embedded default): at once outside a request, after the response
inside one; failures logged and counted, never raised at the caller."""

from __future__ import annotations

import asyncio
import http.client
import json
import threading
import time
import urllib.parse
from datetime import timedelta

import pytest

from tests.conftest import make_user
from tests.conftest import registration_form


def test_outside_a_request_a_job_runs_at_once(app, outbox):
    from wallet.services import jobs
    from wallet.services import mail

    with app.test_request_context("/"):
        assert not jobs.in_background()
        message = mail.compose(
            "taro@example.com",
            "verify_email",
            "en",
            user=make_user(),
            verify_url="https://wallet.example.test/v",
        )
        handle = jobs.enqueue("mail.deliver", message=bytes(message), template="verify_email")
        assert handle.status == "done" and not handle.failed
    assert [m["To"] for m in outbox.messages()] == ["taro@example.com"]


def test_a_failing_job_is_logged_and_counted_not_raised(app, caplog):
    from wallet.services import jobs
    from wallet.services import metrics

    app.config["MAIL_BACKEND"] = "carrier-pigeon"
    failed = metrics.JOBS.labels(job="mail.deliver", outcome="failed")
    before = failed._value.get()
    with app.test_request_context("/"):
        handle = jobs.enqueue("mail.deliver", message=b"Message-ID: <a@b>\n\nx\n", template="t")
    assert handle.failed
    assert failed._value.get() == before + 1
    (record,) = [r for r in caplog.records if r.name == "wallet.jobs"]
    assert record.levelname == "ERROR"
    assert "mail.deliver" in record.getMessage() and "not retried" in record.getMessage()


def test_an_unknown_job_is_a_programming_error(app):
    from wallet.services import jobs

    with app.test_request_context("/"), pytest.raises(KeyError):
        jobs.enqueue("mail.send_everything")


@pytest.fixture
def app_config(app_config):
    """The production default: a request's jobs run after its response."""
    app_config["QUEUE_AFTER_RESPONSE"] = True
    return app_config


class HeldSink:
    """An SMTP server that keeps each message waiting until the test lets it through."""

    def __init__(self) -> None:
        self.go = threading.Event()
        self.received: list[list[str]] = []

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 (aiosmtpd API)
        """Wait for the test, then accept."""
        await asyncio.get_running_loop().run_in_executor(None, self.go.wait, 30)
        self.received.append(list(envelope.rcpt_tos))
        return "250 OK"


def test_a_requests_mail_never_holds_its_response(app, client, caplog):
    from aiosmtpd.controller import Controller

    from tests.servers import free_port
    from wallet.services import jobs

    sink = HeldSink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    app.config.update(MAIL_BACKEND="smtp", SMTP_HOST="127.0.0.1", SMTP_PORT=port, SMTP_TIMEOUT=30)
    try:
        response = client.post("/auth/register", data=registration_form())
        # The client reads the whole answer (which starts the job); the SMTP server holds the mail.
        assert response.status_code == 303
        response.get_data()
        assert sink.received == []
        sink.go.set()
        assert jobs.drain(30)
        assert sink.received == [["hanako@example.com"]]
    finally:
        sink.go.set()
        controller.stop()
    done = [r for r in caplog.records if r.name == "wallet.jobs"]
    assert done and done[0].request_id == response.headers["X-Request-ID"]


def test_a_real_server_sends_the_mail_once_the_client_has_its_answer(app, outbox):
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        connection = http.client.HTTPConnection("127.0.0.1", server.server_port, timeout=30)
        body = urllib.parse.urlencode(registration_form())
        connection.request(
            "POST",
            "/auth/register",
            body=body.encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert connection.getresponse().status == 303
        connection.close()
        deadline = time.monotonic() + 10
        while not outbox.to("hanako@example.com"):
            assert time.monotonic() < deadline, "the mail was never sent"
            time.sleep(0.05)
    finally:
        server.shutdown()
        thread.join(5)


def test_stale_badges_are_reverified_in_process_without_a_queue(app):
    from tests.badge_factory import cached_ob3_json
    from wallet.extensions import db
    from wallet.models import Badge
    from wallet.models import utcnow
    from wallet.services import badge_import
    from wallet.services import freshness

    long_ago = utcnow() - timedelta(days=30)
    with app.test_request_context("/"):
        badge = badge_import.import_badge(make_user(), cached_ob3_json()).badge
        badge.verified_at = long_ago
        db.session.commit()
        assert freshness.enqueue_stale() == 1
        db.session.expire_all()
        checked = db.session.get(Badge, badge.id).verified_at
    assert checked.replace(tzinfo=None) > long_ago.replace(tzinfo=None)


def test_nothing_is_queued_or_remembered_without_a_queue(app):
    from wallet.services import jobs

    with app.app_context():
        assert jobs.queue_sizes() == {}
        jobs.mark_done("mail:x")
        assert jobs.done_before("mail:x") is False
    assert json.loads(app.test_client().get("/readyz").data)["failed"] == []


def test_a_mail_that_cannot_be_queued_is_reported_and_the_request_goes_on(tmp_path, caplog):
    from sqlalchemy import func
    from sqlalchemy import select

    from tests.conftest import make_config
    from tests.servers import free_port
    from wallet import create_app
    from wallet.extensions import db
    from wallet.models import User

    queue_down = f"redis://127.0.0.1:{free_port()}/0"
    application = create_app(
        make_config(tmp_path, DATABASE_URL=f"sqlite:///{tmp_path / 'q.db'}", QUEUE_URL=queue_down)
    )
    with application.app_context():
        db.create_all()
    try:
        client = application.test_client()
        response = client.post("/auth/register", data=registration_form())
        assert response.status_code == 303  # the account is made; the mail can be asked again
        with application.app_context():
            assert db.session.scalar(select(func.count()).select_from(User)) == 1
        messages = [r.getMessage() for r in caplog.records if r.name == "wallet.services.mail"]
        assert messages == [
            "mail (template verify_email) could not be queued: "
            "the job queue is unavailable: ConnectionError"
        ]
        ready = client.get("/readyz")
        assert ready.status_code == 503 and ready.json["failed"] == ["redis_queue"]
    finally:
        with application.app_context():
            db.engine.dispose()
