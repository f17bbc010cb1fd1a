"""Freshness: stale badges are re-verified by `wallet reverify`; visitors see expiry live."""

from __future__ import annotations

import json
from datetime import UTC
from datetime import datetime
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.conftest import make_user
from tests.public_helpers import add_badge
from tests.public_helpers import assertion
from tests.public_helpers import fetcher_for

LONG_AGO = datetime(2024, 1, 1, tzinfo=UTC)


def _badge(app, public_id: str):
    from wallet.extensions import db
    from wallet.models import Badge

    with app.app_context():
        badge = db.session.scalar(select(Badge).where(Badge.public_id == public_id))
        db.session.expunge(badge)
        return badge


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


@pytest.fixture
def holder_id(app) -> int:
    with app.app_context():
        return make_user().id


def test_stale_badges_are_reverified_and_fresh_ones_left_alone(app, holder_id):
    from wallet.services import freshness

    with app.app_context():
        stale = add_badge(holder_id, number=1, verified_at=LONG_AGO).public_id
        fresh = add_badge(holder_id, number=2).public_id
        fresh_checked = _aware(_badge(app, fresh).verified_at)
        fetcher = fetcher_for(assertion(1), assertion(2))
        summary = freshness.reverify_stale(fetcher=fetcher)
    assert summary.checked == 1
    assert summary.changed == [] and summary.failed == []
    assert fetcher.requests and all("/assertions/2" not in url for url in fetcher.requests)
    rechecked = _badge(app, stale)
    assert rechecked.result == "valid"
    assert _aware(rechecked.verified_at) > datetime.now(UTC) - timedelta(minutes=1)
    assert json.loads(rechecked.report_json)  # the new report's checks were stored
    assert _aware(_badge(app, fresh).verified_at) == fresh_checked


def test_revocation_found_by_the_recheck_shows_on_the_public_page(app, client, holder_id):
    from wallet.services import freshness

    with app.app_context():
        public_id = add_badge(holder_id, verified_at=LONG_AGO).public_id
    before = client.get(f"/b/{public_id}", headers={"Accept-Language": "en"})
    assert "state-banner state-valid" in before.get_data(as_text=True)

    revoked = assertion(1, revoked=True, revocationReason="Issued in error")
    with app.app_context():
        summary = freshness.reverify_stale(fetcher=fetcher_for(revoked))
    assert summary.changed == [(public_id, "valid", "revoked")]
    after = client.get(f"/b/{public_id}", headers={"Accept-Language": "en"})
    assert "state-banner state-revoked" in after.get_data(as_text=True)


def test_unreachable_issuer_makes_the_state_unverifiable_not_invalid(app, holder_id):
    from tests.openbadges.fakes import FakeFetcher
    from wallet.services import freshness
    from wallet.services import states

    with app.app_context():
        public_id = add_badge(holder_id, verified_at=LONG_AGO).public_id
        summary = freshness.reverify_stale(fetcher=FakeFetcher())
        badge = _badge(app, public_id)
        assert badge.result == "unverifiable"
        assert states.state_of(badge) == "unverifiable"
    assert summary.changed == [(public_id, "valid", "unverifiable")]


def test_older_than_and_limit(app, holder_id):
    from wallet.services import freshness

    with app.app_context():
        two_hours = datetime.now(UTC) - timedelta(hours=2)
        ids = [
            add_badge(holder_id, number=n, verified_at=two_hours - timedelta(minutes=n)).public_id
            for n in (1, 2, 3)
        ]
        fetcher = fetcher_for(*(assertion(n) for n in (1, 2, 3)))
        assert freshness.reverify_stale(timedelta(hours=3), fetcher=fetcher).checked == 0
        first = freshness.reverify_stale(timedelta(hours=1), fetcher=fetcher, limit=2)
        assert first.checked == 2
        # Oldest check first: badges 3 and 2 were due before badge 1.
        assert _aware(_badge(app, ids[0]).verified_at) < datetime.now(UTC) - timedelta(hours=1)
        assert freshness.reverify_stale(timedelta(hours=1), fetcher=fetcher).checked == 1


def test_default_age_comes_from_the_configuration(app, holder_id):
    from wallet.services import freshness

    with app.app_context():
        add_badge(holder_id, verified_at=datetime.now(UTC) - timedelta(hours=2))
        fetcher = fetcher_for(assertion(1))
        assert freshness.reverify_stale(fetcher=fetcher).checked == 0  # default 24 h
        app.config["VERIFY_MAX_AGE"] = 3600
        assert freshness.reverify_stale(fetcher=fetcher).checked == 1


def test_one_unreadable_badge_does_not_stop_the_run(app, holder_id, caplog):
    from wallet.extensions import db
    from wallet.models import BadgeContent
    from wallet.services import freshness

    with app.app_context():
        broken = add_badge(holder_id, number=1, verified_at=LONG_AGO)
        content = db.session.get(BadgeContent, broken.id)
        content.payload = "{not json"
        db.session.commit()
        broken_id = broken.public_id
        good = add_badge(holder_id, number=2, verified_at=LONG_AGO).public_id
        summary = freshness.reverify_stale(fetcher=fetcher_for(assertion(1), assertion(2)))
    assert summary.failed == [broken_id]
    assert summary.checked == 1
    assert _aware(_badge(app, good).verified_at) > LONG_AGO
    assert _badge(app, broken_id).result == "valid"  # untouched, still shown with its old date
    assert "re-verification of badge" in caplog.text


# --- the command ------------------------------------------------------------------------------


def test_reverify_command_json_summary(app, runner, holder_id, monkeypatch):
    from wallet.services import badges

    with app.app_context():
        public_id = add_badge(holder_id, verified_at=LONG_AGO).public_id
    monkeypatch.setattr(badges, "make_fetcher", lambda: fetcher_for(assertion(1, revoked=True)))
    result = runner.invoke(args=["reverify", "--older-than", "60", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data == {
        "checked": 1,
        "changed": [{"public_id": public_id, "from": "valid", "to": "revoked"}],
        "failed": [],
    }
    assert "Re-verified 1 badge(s): 1 changed, 0 failed." in result.stderr


def test_reverify_command_without_stale_badges(app, runner, holder_id, monkeypatch):
    from wallet.services import badges

    def no_network():
        raise AssertionError("nothing is stale, nothing may be fetched")

    with app.app_context():
        add_badge(holder_id)
    monkeypatch.setattr(badges, "make_fetcher", no_network)
    result = runner.invoke(args=["reverify"])
    assert result.exit_code == 0
    assert result.stdout == ""
    assert "Re-verified 0 badge(s)" in result.stderr


def test_reverify_command_fails_when_a_badge_cannot_be_rechecked(
    app, runner, holder_id, monkeypatch
):
    from wallet.extensions import db
    from wallet.models import BadgeContent
    from wallet.services import badges

    with app.app_context():
        badge = add_badge(holder_id, verified_at=LONG_AGO)
        db.session.get(BadgeContent, badge.id).payload = "{not json"
        db.session.commit()
    monkeypatch.setattr(badges, "make_fetcher", lambda: fetcher_for())
    result = runner.invoke(args=["reverify", "--older-than", "0"])
    assert result.exit_code == 1
    assert "could not be re-checked" in result.stderr


def test_reverify_command_rejects_a_negative_age(runner):
    result = runner.invoke(args=["reverify", "--older-than", "-5"])
    assert result.exit_code == 2


# --- the live state -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("result", "confirmed", "expires_in", "state"),
    [
        ("valid", True, timedelta(days=400), "valid"),
        ("valid", True, timedelta(days=3), "expiring"),  # the public page words it "Valid"
        ("valid", True, None, "valid"),
        ("valid", True, -timedelta(seconds=1), "expired"),
        ("valid", False, timedelta(days=400), "unconfirmed"),
        ("valid", False, -timedelta(days=1), "expired"),
        ("expired", True, -timedelta(days=1), "expired"),
        ("revoked", True, -timedelta(days=1), "revoked"),
        ("invalid", True, None, "invalid"),
        ("unverifiable", True, timedelta(days=5), "unverifiable"),
        # The verdict's precedence: a check that could not be completed is not "expired".
        ("unverifiable", True, -timedelta(days=5), "unverifiable"),
        ("not_yet_valid", True, None, "not_yet_valid"),
        ("something-new", True, None, "unverifiable"),
    ],
)
def test_state_of(app, result, confirmed, expires_in, state):
    from wallet.models import Badge
    from wallet.services import states

    at = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
    badge = Badge(
        result=result,
        recipient_confirmed=confirmed,
        expires=at + expires_in if expires_in is not None else None,
    )
    with app.app_context():
        assert states.state_of(badge, at) == state


def test_state_of_uses_the_configured_clock_and_naive_database_times(app):
    from wallet.models import Badge
    from wallet.services import states

    badge = Badge(result="valid", recipient_confirmed=True, expires=datetime(2026, 6, 1, 12, 0))
    with app.app_context():
        app.config["VERIFY_NOW"] = datetime(2026, 1, 1, 11, 59, tzinfo=UTC)
        assert states.state_of(badge) == "valid"
        app.config["VERIFY_NOW"] = datetime(2026, 6, 1, 11, 59, tzinfo=UTC)
        assert states.state_of(badge) == "expiring"
        app.config["VERIFY_NOW"] = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
        assert states.state_of(badge) == "expired"


def test_is_stale(app):
    from wallet.models import Badge
    from wallet.services import freshness

    at = datetime(2026, 6, 1, tzinfo=UTC)
    with app.app_context():
        assert freshness.is_stale(Badge(verified_at=at - timedelta(hours=25)), at)
        assert not freshness.is_stale(Badge(verified_at=at - timedelta(hours=23)), at)
        assert freshness.is_stale(
            Badge(verified_at=at - timedelta(minutes=2)), at, older_than=timedelta(minutes=1)
        )
