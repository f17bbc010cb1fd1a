"""Badge services with the database: import (idempotent, concurrent), recipients, list, status."""

from __future__ import annotations

import threading
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import event
from sqlalchemy import func
from sqlalchemy import select

from tests import badge_factory as bf
from tests.badge_factory import add_badge
from tests.conftest import TEST_DATABASE_URL
from tests.conftest import make_user
from wallet.extensions import db
from wallet.models import Badge
from wallet.models import BadgeContent
from wallet.models import User
from wallet.openbadges import bake_png
from wallet.services import badge_import
from wallet.services import badges
from wallet.services import states


def _count() -> int:
    return db.session.scalar(select(func.count()).select_from(Badge)) or 0


def _content_count() -> int:
    return db.session.scalar(select(func.count()).select_from(BadgeContent)) or 0


def test_import_stores_original_and_details(app) -> None:
    """A valid badge is stored with its original bytes, derived fields and a re-encoded image."""
    with app.app_context():
        user = make_user()
        png = bf.ob3_png(name="Concrete Diagnostician")
        outcome = badge_import.import_badge(user, png, fetcher=bf.DictFetcher())
        assert outcome.created
        badge = badges.get_owned(user, outcome.badge.id)
        assert badge is not None
        assert (badge.spec, badge.format, badge.result) == ("3.0", "png", "valid")
        assert badge.name == "Concrete Diagnostician"
        assert badge.issuer_name == "Japan Concrete Institute"
        assert badge.recipient_confirmed is True
        assert badge.visibility == "public"
        assert badge.content.original == png
        assert badge.content.original_media_type == "image/png"
        assert badge.content.image_png and badge.content.image_png != png
        assert b"openbadgecredential" not in badge.content.image_png
        assert badges.details(badge)["description"].startswith("Passed the")
        assert any(c["status"] == "passed" for c in badges.checks_of(badge))


def test_default_visibility_follows_the_account_setting(app) -> None:
    """New badges take the holder's default visibility."""
    with app.app_context():
        user = make_user()
        user.default_visibility = "private"
        db.session.commit()
        outcome = badge_import.import_badge(user, bf.ob3_json(), fetcher=bf.DictFetcher())
        assert outcome.badge.visibility == "private"


def test_import_is_idempotent(app) -> None:
    """The same badge twice: one row, the second import says it was already there."""
    with app.app_context():
        user = make_user()
        source = bf.ob3_json()
        first = badge_import.import_badge(user, source, fetcher=bf.DictFetcher())
        second = badge_import.import_badge(user, source, fetcher=bf.DictFetcher())
        assert first.created and not second.created
        assert first.badge.id == second.badge.id
        # The same credential in another container (baked PNG of the same JSON) is the same badge.
        again = badge_import.import_badge(
            user,
            bake_png(bf.plain_png(), "openbadgecredential", source.decode()),
            fetcher=bf.DictFetcher(),
        )
        assert not again.created and again.badge.id == first.badge.id
        assert _count() == 1


def test_same_badge_for_two_holders_is_two_rows(app) -> None:
    """Idempotency is per holder: another holder's wallet is separate."""
    with app.app_context():
        taro = make_user()
        hanako = make_user("hanako@example.com")
        badge_import.import_badge(taro, bf.ob3_json(), fetcher=bf.DictFetcher())
        badge_import.import_badge(
            hanako, bf.ob3_json(email="hanako@example.com"), fetcher=bf.DictFetcher()
        )
        assert _count() == 2


@pytest.fixture
def file_db_config(app_config: dict[str, object], tmp_path: Path) -> dict[str, object]:
    """Use a file database for the concurrency test (in-memory SQLite shares one connection)."""
    if TEST_DATABASE_URL.startswith("sqlite"):
        app_config["DATABASE_URL"] = f"sqlite:///{tmp_path / 'race.db'}"
    return app_config


def test_concurrent_imports_of_the_same_badge(
    file_db_config: dict[str, object], request: pytest.FixtureRequest, monkeypatch
) -> None:
    """Two imports racing past the existence check: one row, one created, both see it."""
    app = request.getfixturevalue("app")
    with app.app_context():
        user_id = make_user().id
    source = bf.ob3_json()
    barrier = threading.Barrier(2, timeout=10)
    original_image_for = badge_import._image_for

    def image_after_both_checked(*args, **kwargs):
        # Both threads have looked for an existing row and found none: now race the insert.
        barrier.wait()
        return original_image_for(*args, **kwargs)

    monkeypatch.setattr(badge_import, "_image_for", image_after_both_checked)
    outcomes: list[tuple[bool, int]] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            with app.app_context():
                user = db.session.get(User, user_id)
                outcome = badge_import.import_badge(user, source, fetcher=bf.DictFetcher())
                outcomes.append((outcome.created, outcome.badge.id))
                db.session.remove()
        except BaseException as exc:  # noqa: BLE001 (reported below)
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not errors, errors
    assert sorted(created for created, _ in outcomes) == [False, True]
    assert len({badge_id for _, badge_id in outcomes}) == 1
    with app.app_context():
        assert _count() == 1
        assert _content_count() == 1


@pytest.mark.parametrize(
    ("kwargs", "code", "message_id"),
    [
        ({"email": "someone@else.example"}, "not_yours", None),
        ({"valid_until": bf.days(-1)}, "expired", "dates.expired"),
        ({"valid_from": bf.days(3)}, "not_yet_valid", "dates.not_yet_valid"),
    ],
)
def test_refused_badges_store_nothing(app, kwargs, code, message_id) -> None:
    """Someone else's, expired and not-yet-valid badges are refused with a code."""
    with app.app_context():
        user = make_user()
        with pytest.raises(badge_import.ImportFailed) as caught:
            badge_import.import_badge(user, bf.ob3_json(**kwargs), fetcher=bf.DictFetcher())
        assert caught.value.code == code
        assert caught.value.message_id == message_id
        assert _count() == 0 and _content_count() == 0


def test_invalid_signature_is_refused(app) -> None:
    """A credential changed after signing fails with the proof check's message id."""
    with app.app_context():
        user = make_user()
        with pytest.raises(badge_import.ImportFailed) as caught:
            badge_import.import_badge(user, bf.tampered_json(), fetcher=bf.DictFetcher())
        assert caught.value.code == "invalid"
        assert caught.value.message_id == "ob3.proof.bad_signature"
        assert _count() == 0


def test_revoked_and_unverifiable_hosted_badges(app) -> None:
    """OB 2.0 hosted: revoked copy is refused; a copy that cannot be fetched is unverifiable."""
    with app.app_context():
        user = make_user()
        url = "https://issuer.example/assertions/1.json"
        with pytest.raises(badge_import.ImportFailed) as revoked:
            badge_import.import_badge(user, url, fetcher=bf.hosted_fetcher(revoked=True))
        assert revoked.value.code == "revoked"
        assertion = bf.ob2_hosted_files("https://issuer.example")["/assertions/1.json"]
        with pytest.raises(badge_import.ImportFailed) as unverifiable:
            badge_import.import_badge(user, assertion, fetcher=bf.DictFetcher())
        assert unverifiable.value.code == "unverifiable"
        assert _count() == 0


def test_unreadable_inputs(app) -> None:
    """Garbage, a plain PNG and an unreachable URL raise with the library's code."""
    with app.app_context():
        user = make_user()
        for source, code in [
            (b"hello", "input.not_a_badge"),
            (bf.plain_png(), "input.not_a_badge"),
            ("https://nowhere.example/a.json", "fetch.failed"),
        ]:
            with pytest.raises(badge_import.ImportFailed) as caught:
                badge_import.import_badge(user, source, fetcher=bf.DictFetcher())
            assert caught.value.code == code
        assert _count() == 0


def test_unverified_email_cannot_claim_an_email_badge(app) -> None:
    """A badge naming the holder's address needs the address confirmed first."""
    with app.app_context():
        user = make_user(verified=False)
        with pytest.raises(badge_import.ImportFailed) as caught:
            badge_import.import_badge(user, bf.ob3_json(), fetcher=bf.DictFetcher())
        assert caught.value.code == "email_unconfirmed"
        assert _count() == 0


def test_import_gate_refuses_badges_that_are_not_this_holders(app) -> None:
    """Valid badges that name nobody, or someone by another identifier, never enter a wallet."""
    with app.app_context():
        user = make_user()
        cases = {
            "other_identity": bf.ob3_json(email=None, subject_id="did:example:holder"),
            "no_recipient": bf.ob3_json(email=None, pass_number=None),
            "not_yours": bf.ob3_json(email="someone.else@example.com"),
        }
        for code, source in cases.items():
            with pytest.raises(badge_import.ImportFailed) as caught:
                badge_import.import_badge(user, source, fetcher=bf.DictFetcher())
            assert caught.value.code == code
        assert _count() == 0


def test_hosted_badge_is_imported_with_its_image(app) -> None:
    """OB 2.0 by URL: fields from the BadgeClass and Issuer, the issuer image re-encoded."""
    with app.app_context():
        user = make_user()
        fetcher = bf.hosted_fetcher()
        outcome = badge_import.import_badge(
            user, "https://issuer.example/assertions/1.json", fetcher=fetcher
        )
        badge = badges.get_owned(user, outcome.badge.id)
        assert (badge.spec, badge.format, badge.name) == ("2.0", "url", "Concrete Technician")
        assert badge.source_url == "https://issuer.example/assertions/1.json"
        assert "https://issuer.example/badges/b.png" in fetcher.requests
        assert badge.content.image_png and badge.content.image_png.startswith(b"\x89PNG")


# --- list and status --------------------------------------------------------------------------


def test_list_runs_a_constant_number_of_queries(app) -> None:
    """3 badges or 30: the same number of statements (no N+1 on content or user)."""
    with app.app_context():
        user = make_user()
        statements: list[str] = []

        def count(conn, cursor, statement, parameters, context, executemany):
            statements.append(statement)

        def run() -> int:
            statements.clear()
            db.session.expire_all()
            event.listen(db.engine, "before_cursor_execute", count)
            try:
                items, _more = badges.list_for(user)
                [(b.name, b.issuer_name, states.state_of(b), b.visibility) for b in items]
            finally:
                event.remove(db.engine, "before_cursor_execute", count)
            return len(statements)

        for i in range(3):
            add_badge(user.id, name=f"b{i}")
        few = run()
        for i in range(27):
            add_badge(user.id, name=f"c{i}")
        many = run()
        assert few == many <= 2


def test_list_newest_first_paginated_and_private_to_owner(app) -> None:
    """Newest first, PAGE_SIZE per page, has_more; another holder's badges never appear."""
    with app.app_context():
        user = make_user()
        other = make_user("other@example.com")
        start = datetime(2025, 1, 1, tzinfo=UTC)
        for i in range(badges.PAGE_SIZE + 2):
            add_badge(user.id, name=f"n{i:02d}", created_at=start + timedelta(minutes=i))
        add_badge(other.id, name="foreign")
        first, more = badges.list_for(user)
        assert more and len(first) == badges.PAGE_SIZE
        assert first[0].name == f"n{badges.PAGE_SIZE + 1:02d}"
        second, more2 = badges.list_for(user, page=2)
        assert not more2 and [b.name for b in second] == ["n01", "n00"]
        assert all(b.user_id == user.id for b in first + second)


def test_list_search_and_filters(app) -> None:
    """Search by name or issuer (wildcards literal); each status filter picks its badges."""
    with app.app_context():
        user = make_user()
        now = datetime.now(UTC)
        add_badge(user.id, name="Valid one", issuer_name="Alpha")
        add_badge(user.id, name="Soon", expires=now + timedelta(days=5))
        add_badge(user.id, name="Old", expires=now - timedelta(days=5))
        add_badge(user.id, name="Gone", result="revoked")
        add_badge(user.id, name="DID", recipient_confirmed=False)
        add_badge(user.id, name="100% hidden", visibility="private", issuer_name="Beta")

        def names(**kwargs) -> set[str]:
            return {b.name for b in badges.list_for(user, **kwargs)[0]}

        assert names(query="alpha") == {"Valid one"}
        assert names(query="BETA") == {"100% hidden"}
        assert names(query="%") == {"100% hidden"}
        assert names(query="_") == set()
        assert names(status="valid") == {"Valid one", "100% hidden"}
        assert names(status="expiring") == {"Soon"}
        assert names(status="expired") == {"Old"}
        assert names(status="revoked") == {"Gone"}
        assert names(status="unverifiable") == {"DID"}
        assert names(visibility="private") == {"100% hidden"}
        assert len(names(visibility="public")) == 5
        assert names(status="valid", visibility="public") == {"Valid one"}
        assert names(status="expired", visibility="private") == set()


def test_list_puts_usable_badges_first_and_ended_ones_last(app) -> None:
    """Valid, expiring, then the ones needing a look, then expired and revoked; newest first
    within a state; the same order on every page; the CLI's newest-first order on request."""
    with app.app_context():
        user = make_user()
        now = datetime.now(UTC)
        start = now - timedelta(days=30)
        made = [
            ("revoked-new", {"result": "revoked"}),
            ("expired", {"expires": now - timedelta(days=5)}),
            ("valid-old", {}),
            ("unverifiable", {"result": "unverifiable"}),
            ("expiring", {"expires": now + timedelta(days=5)}),
            ("invalid", {"result": "invalid"}),
            ("unconfirmed", {"recipient_confirmed": False}),
            ("valid-new", {"expires": now + timedelta(days=400)}),
            ("expired-by-result", {"result": "expired"}),
        ]
        for i, (name, fields) in enumerate(made):
            add_badge(user.id, name=name, created_at=start + timedelta(hours=i), **fields)
        expected = [
            "valid-new",
            "valid-old",
            "expiring",
            "unconfirmed",
            "unverifiable",
            "invalid",
            "expired-by-result",
            "expired",
            "revoked-new",
        ]
        assert [b.name for b in badges.list_for(user)[0]] == expected
        assert [states.state_of(b) for b in badges.list_for(user)[0]] == [
            "valid", "valid", "expiring", "unconfirmed", "unverifiable", "invalid",
            "expired", "expired", "revoked",
        ]  # fmt: skip
        original = badges.PAGE_SIZE
        badges.PAGE_SIZE = 4
        try:
            pages = [badges.list_for(user, page=n) for n in (1, 2, 3)]
        finally:
            badges.PAGE_SIZE = original
        assert [more for _items, more in pages] == [True, True, False]
        assert [b.name for items, _more in pages for b in items] == expected
        newest = [b.name for b in badges.list_for(user, by_state=False)[0]]
        assert newest == [name for name, _fields in reversed(made)]


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({}, "valid"),
        ({"expires": 40}, "valid"),
        ({"expires": 10}, "expiring"),
        ({"expires": -1}, "expired"),
        ({"result": "expired"}, "expired"),
        ({"result": "revoked", "expires": -1}, "revoked"),
        ({"result": "invalid"}, "invalid"),
        ({"result": "unverifiable"}, "unverifiable"),
        ({"recipient_confirmed": False}, "unconfirmed"),
        ({"recipient_confirmed": False, "expires": -1}, "expired"),
        ({"recipient_confirmed": False, "expires": 10}, "unconfirmed"),
        # A check that could not be completed never reads "expired" (that would say it was valid).
        ({"result": "unverifiable", "expires": -1}, "unverifiable"),
        ({"result": "invalid", "expires": -1}, "invalid"),
        ({"result": "not_yet_valid"}, "not_yet_valid"),
        ({"result": "something-new"}, "unverifiable"),
    ],
)
def test_status_of(fields, expected) -> None:
    """The one state from result, expiry and recipient confirmation (states.state_of)."""
    at = datetime(2026, 1, 1, tzinfo=UTC)
    values = {"result": "valid", "recipient_confirmed": True, "expires": None}
    values.update(fields)
    if isinstance(values["expires"], int):
        values["expires"] = at + timedelta(days=values["expires"])
    badge = Badge(**values)
    assert states.state_of(badge, at) == expected


def test_status_of_naive_database_datetimes() -> None:
    """SQLite gives back naive datetimes: they are taken as UTC."""
    at = datetime(2026, 1, 1, tzinfo=UTC)
    badge = Badge(result="valid", recipient_confirmed=True, expires=datetime(2025, 12, 31))
    assert states.state_of(badge, at) == "expired"


def test_visibility_reverify_delete(app) -> None:
    """Visibility switches at once; re-verify records a fresh time; delete removes content too."""
    with app.app_context():
        user = make_user()
        outcome = badge_import.import_badge(user, bf.ob3_json(), fetcher=bf.DictFetcher())
        badge = badges.get_owned(user, outcome.badge.id)
        badges.set_visibility(badge, "private")
        assert not badges.is_public(badge.public_id)
        with pytest.raises(ValueError):
            badges.set_visibility(badge, "friends")
        badge = badges.get_owned(user, outcome.badge.id)
        before = badge.verified_at
        report = badges.reverify(badge, fetcher=bf.DictFetcher())
        assert report.result == "valid"
        badge = badges.get_owned(user, outcome.badge.id)
        assert badge.verified_at >= before
        badges.delete(badge)
        assert _count() == 0 and _content_count() == 0


def test_get_owned_is_scoped_to_the_holder(app) -> None:
    """Another holder's id gives None (the views answer 404)."""
    with app.app_context():
        taro = make_user()
        hanako = make_user("hanako@example.com")
        outcome = badge_import.import_badge(taro, bf.ob3_json(), fetcher=bf.DictFetcher())
        assert badges.get_owned(hanako, outcome.badge.id) is None
        assert badges.get_owned(taro, outcome.badge.id + 1000) is None
