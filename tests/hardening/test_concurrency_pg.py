"""Concurrency on PostgreSQL: 500 concurrent visibility switches and 100 concurrent imports of
the same badge: no errors, exactly one row, a consistent final state, and once "private" has
returned no visitor sees the badge. Threads each run in their own app context (own session and
connection). ASVS 5.0 2.3.3, 2.3.4, 15.4.2.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func
from sqlalchemy import select

from tests import badge_factory as bf
from tests.conftest import TEST_DATABASE_URL
from tests.hardening.helpers import write_figures

pytestmark = pytest.mark.skipif(
    not TEST_DATABASE_URL.startswith("postgresql"),
    reason="needs WALLET_TEST_DATABASE_URL pointing at PostgreSQL (scripts/pg_throwaway.sh)",
)


@pytest.fixture
def app_config(app_config: dict[str, object]) -> dict[str, object]:
    """A pool large enough for the threads."""
    app_config["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_size": 30, "max_overflow": 30}
    return app_config


def test_500_concurrent_visibility_switches(app, holder) -> None:
    from wallet.extensions import db
    from wallet.models import Badge
    from wallet.services import badges

    with app.app_context():
        badge = bf.add_badge(holder["id"], name="Switched")
        badge_id, public_id = badge.id, badge.public_id
    errors: list[BaseException] = []
    done = []
    lock = threading.Lock()

    def switch(index: int) -> None:
        value = "private" if index % 2 else "public"
        try:
            with app.app_context():
                row = db.session.get(Badge, badge_id)
                badges.set_visibility(row, value)
                db.session.remove()
            with lock:
                done.append(value)
        except BaseException as exc:  # counted and asserted below
            with lock:
                errors.append(exc)

    with ThreadPoolExecutor(max_workers=25) as pool:
        list(pool.map(switch, range(500)))
    assert errors == [] and len(done) == 500

    # The holder makes it private: from the moment that returns, no visitor sees it.
    with app.app_context():
        badges.set_visibility(db.session.get(Badge, badge_id), "private")
    statuses: list[int] = []

    def visit(_: int) -> None:
        client = app.test_client()
        for path in (f"/b/{public_id}", f"/b/{public_id}/image.png", f"/b/{public_id}/qr.svg"):
            statuses.append(client.get(path).status_code)

    with ThreadPoolExecutor(max_workers=20) as pool:
        list(pool.map(visit, range(100)))
    assert set(statuses) == {404}
    with app.app_context():
        rows = db.session.scalars(select(Badge).where(Badge.user_id == holder["id"])).all()
        assert len(rows) == 1 and rows[0].visibility == "private"
    write_figures(
        "concurrency_visibility",
        {"switches": 500, "errors": len(errors), "visitor_gets_after_private": len(statuses)},
    )


def test_100_concurrent_imports_of_the_same_badge(app, holder) -> None:
    from wallet.extensions import db
    from wallet.models import Badge
    from wallet.models import User
    from wallet.services import badge_import

    data = bf.cached_ob3_json()
    barrier = threading.Barrier(20)
    outcomes: list[bool] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def run(index: int) -> None:
        try:
            with app.app_context():
                user = db.session.get(User, holder["id"])
                if index < 20:
                    barrier.wait(10)  # the first twenty start at the same instant
                outcome = badge_import.import_badge(user, data)
                with lock:
                    outcomes.append(outcome.created)
                db.session.remove()
        except BaseException as exc:  # counted and asserted below
            with lock:
                errors.append(exc)

    with ThreadPoolExecutor(max_workers=20) as pool:
        list(pool.map(run, range(100)))
    assert errors == [], errors[:3]
    assert len(outcomes) == 100 and outcomes.count(True) == 1
    with app.app_context():
        count = db.session.scalar(
            select(func.count()).select_from(Badge).where(Badge.user_id == holder["id"])
        )
    assert count == 1
    write_figures(
        "concurrency_imports",
        {"imports": 100, "errors": len(errors), "rows": count, "created": outcomes.count(True)},
    )
