"""Failure handling: the database going away mid-request gives a 503 page and no partial rows;
the SMTP server being down keeps the account and the award and reports the mail as not sent.

The database failure is injected with an engine event that raises the driver's own
OperationalError on a chosen statement (the first INSERT/UPDATE of a table), exactly where a
dropped connection would surface. ASVS 5.0 16.5.2, 16.5.3, 2.3.3.
"""

from __future__ import annotations

import io
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

import pytest
from sqlalchemy import event

from tests import badge_factory as bf
from tests.conftest import PASSWORD
from tests.conftest import registration_form
from tests.hardening.helpers import db_state
from tests.hardening.helpers import error_log


@contextmanager
def database_fails_on(app, prefix: str) -> Iterator[list[str]]:
    """Raise the driver's OperationalError for statements starting with prefix (case-blind)."""
    from wallet.extensions import db

    seen: list[str] = []
    with app.app_context():
        engine = db.engine
    driver_error = engine.dialect.dbapi.OperationalError

    def fail(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith(prefix.upper()):
            seen.append(statement)
            raise driver_error("server closed the connection unexpectedly")

    event.listen(engine, "before_cursor_execute", fail)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", fail)


def _is_503_page(response) -> bool:
    html = response.get_data(as_text=True)
    return (
        response.status_code == 503 and "Traceback" not in html and "OperationalError" not in html
    )


@pytest.mark.parametrize(
    "prefix",
    ["INSERT INTO badge_contents", "INSERT INTO badges", "SELECT badges"],
)
def test_database_gone_during_an_import(app, signed_in, prefix) -> None:
    before = db_state(app)
    with error_log() as log, database_fails_on(app, prefix) as seen:
        response = signed_in.post(
            "/badges/import",
            data={"file": (io.BytesIO(bf.cached_ob3_json()), "b.json")},
            content_type="multipart/form-data",
        )
    assert seen, "the failure was not reached"
    assert _is_503_page(response), response.status_code
    assert db_state(app) == before  # no badge without its content, nothing half-written
    assert all(r.name == "wallet.web.errors" for r in log.tracebacks)
    # The next request works: the session was rolled back, the connection is usable.
    again = signed_in.post(
        "/badges/import",
        data={"file": (io.BytesIO(bf.cached_ob3_json()), "b.json")},
        content_type="multipart/form-data",
    )
    assert again.status_code in (302, 303)


def test_database_gone_during_registration_and_a_switch(app, signed_in, holder) -> None:
    with app.app_context():
        badge_id = bf.add_badge(holder["id"]).id
    before = db_state(app)
    visitor = app.test_client()
    data = registration_form(email="new@example.com", family_name="山田")
    with database_fails_on(app, "INSERT INTO users"):
        response = visitor.post("/auth/register", data=data)
    assert _is_503_page(response)
    with database_fails_on(app, "UPDATE badges"):
        response = signed_in.post(f"/badges/{badge_id}/visibility", data={"visibility": "private"})
        assert _is_503_page(response)
        fragment = signed_in.post(
            f"/badges/{badge_id}/visibility",
            data={"visibility": "private"},
            headers={"HX-Request": "true", "HX-Target": "visibility-switch"},
        )
        assert fragment.status_code == 503 and fragment.headers.get("HX-Retarget") == "#flash"
    with database_fails_on(app, "SELECT"):
        response = visitor.get("/b/abcdefghijklmnopqrst")
        assert _is_503_page(response)
    assert db_state(app) == before


@pytest.fixture
def limit_store_down(app_config) -> int:
    """Rate limits on, counted in a Redis that is down."""
    port = _closed_port()
    app_config.update(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URL=f"redis://127.0.0.1:{port}/0")
    return port


def test_rate_limit_store_down_keeps_verification_pages_and_sign_in_up(
    limit_store_down, app, holder, guard
) -> None:
    guard.allow(("127.0.0.1", limit_store_down))
    with app.app_context():
        public_id = bf.add_badge(holder["id"]).public_id
    visitor = app.test_client()
    for _ in range(2):  # the second visit goes through the page cache's own limit check
        assert visitor.get(f"/b/{public_id}").status_code == 200
    assert visitor.get("/b/abcdefghijklmnopqrst").status_code == 404
    signed_in = app.test_client()
    response = signed_in.post(
        "/auth/login", data={"email": "taro@example.com", "password": PASSWORD}
    )
    assert response.status_code in (302, 303)


def _closed_port() -> int:
    """Return a loopback port nothing listens on (an SMTP server that is down)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_down(app, guard) -> int:
    port = _closed_port()
    guard.allow(("127.0.0.1", port))
    app.config.update(MAIL_BACKEND="smtp", SMTP_HOST="127.0.0.1", SMTP_PORT=port, SMTP_TIMEOUT=2)
    return port


def test_smtp_down_during_registration_keeps_the_account(app, smtp_down, guard) -> None:
    from wallet.services import accounts

    visitor = app.test_client()
    data = registration_form(email="new@example.com", family_name="山田")
    with error_log() as log:
        response = visitor.post("/auth/register", data=data)
    assert response.status_code in (302, 303)  # the same page as always (no enumeration)
    assert guard.connects == [("127.0.0.1", smtp_down)]  # one attempt, to the SMTP server only
    with app.test_request_context():
        user = accounts.find_by_email("new@example.com")
        assert user is not None and not user.is_verified
        # The mail is reported (logged as a failed mail job, with the reason), and can be
        # sent again later.
        assert accounts.send_verification(user) is False
    assert any(
        "mail.deliver" in r.getMessage() and "SMTP delivery failed" in r.getMessage()
        for r in log.records
    )
    signed = visitor.post(
        "/auth/login", data={"email": "new@example.com", "password": "Lantern+orbit7"}
    )
    assert signed.status_code in (302, 303)


def _award(app):
    from wallet.services.issuing import issuers

    with app.app_context():
        issuer = issuers.create_issuer("jci", "JCI", "https://jci.example/", "b@x.org")
        achievement = issuers.create_achievement(issuer, "gishi", "技士", "説明", "基準")
        return achievement.id


def test_smtp_down_during_an_award_keeps_it_and_leaves_it_to_resend(app, smtp_down) -> None:
    from wallet.extensions import db
    from wallet.models import Achievement
    from wallet.models import Award
    from wallet.services.issuing import claims

    achievement_id = _award(app)
    with app.test_request_context(), error_log() as log:
        achievement = db.session.get(Achievement, achievement_id)
        outcome = claims.award_and_notify(
            achievement,
            __import__("wallet.services.issuing", fromlist=["AwardRow"]).AwardRow(
                "hanako@example.com", "山田", "花子", date(2026, 4, 1)
            ),
        )
        assert outcome.created
        award = db.session.get(Award, outcome.award.id)
        assert award is not None and award.claim_state == "pending"
        assert award.notified_at is None  # not marked as notified: a resend will mail it
        assert claims.send_notice(award) is False
    assert any(
        "mail.deliver" in r.getMessage() and "SMTP delivery failed" in r.getMessage()
        for r in log.records
    )
    # Once the SMTP server is back (outbox here), the resend goes out and is recorded.
    app.config["MAIL_BACKEND"] = "outbox"
    with app.test_request_context():
        award = db.session.get(Award, outcome.award.id)
        assert claims.send_notice(award) is True
        assert db.session.get(Award, award.id).notified_at is not None


def test_smtp_down_when_a_holder_claims_keeps_the_badge(app, smtp_down) -> None:
    from wallet.extensions import db
    from wallet.models import Achievement
    from wallet.services import accounts
    from wallet.services import issuing
    from wallet.services.issuing import claims

    achievement_id = _award(app)
    with app.test_request_context():
        achievement = db.session.get(Achievement, achievement_id)
        award = issuing.award(
            achievement, issuing.AwardRow("hanako@example.com", "山田", "花子", date(2026, 4, 1))
        ).award
        user, badge = claims.register_and_claim(
            award,
            accounts.Registration(
                email="ignored@example.com",
                family_name="山田",
                given_name="花子",
                password=PASSWORD,
            ),
        )
        assert badge.id is not None and user.is_verified
        assert db.session.get(type(award), award.id).claim_state == "claimed"
