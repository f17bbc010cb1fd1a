"""Pooled connections are pinged only after sitting idle, and a dead idle one is replaced."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlalchemy import text
from sqlalchemy.engine import Engine

from tests.conftest import TEST_DATABASE_URL
from wallet.web.db_pool import ping_when_idle

pytestmark = pytest.mark.db  # runs on PostgreSQL too


@pytest.fixture
def engine(tmp_path: Path):
    """An engine on the test database (a file for SQLite, so reconnecting finds the same data)."""
    url = TEST_DATABASE_URL
    if url.startswith("sqlite"):
        url = f"sqlite:///{tmp_path / 'pool.db'}"
    engine = create_engine(url, pool_size=1, max_overflow=0)
    yield engine
    engine.dispose()


def count_pings(engine: Engine) -> list[int]:
    """Record each ping the dialect makes (the real ping still runs)."""
    pings: list[int] = []
    real = engine.dialect.do_ping

    def counted(dbapi_connection):
        pings.append(1)
        return real(dbapi_connection)

    engine.dialect.do_ping = counted  # type: ignore[method-assign]
    return pings


def driver_connection_of(engine: Engine):
    """Return the driver connection the pool hands out next (checked out and returned)."""
    with engine.connect() as connection:
        return connection.connection.driver_connection


def test_a_connection_used_a_moment_ago_is_not_pinged(engine) -> None:
    ping_when_idle(engine, idle_seconds=3600)
    pings = count_pings(engine)
    for _ in range(5):
        with engine.connect() as connection:
            assert connection.execute(text("SELECT 1")).scalar() == 1
    assert pings == []


def test_an_idle_connection_is_pinged_before_use(engine) -> None:
    ping_when_idle(engine, idle_seconds=0)
    pings = count_pings(engine)
    driver_connection_of(engine)  # a fresh connection counts as just used
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))
    assert len(pings) >= 1


def test_a_dead_idle_connection_is_replaced_before_the_request_sees_it(engine) -> None:
    ping_when_idle(engine, idle_seconds=0)
    dead = driver_connection_of(engine)
    dead.close()  # what a server restart or an idle timeout leaves in the pool
    with engine.connect() as connection:
        assert connection.execute(text("SELECT 1")).scalar() == 1
        assert connection.connection.driver_connection is not dead
