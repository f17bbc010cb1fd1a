"""Readiness: can this process reach its database (and Redis, when configured) right now?

Each dependency is checked in its own thread with a deadline, so a server that accepts the
connection and never answers costs the probe the deadline, not a worker. A check still running
from an earlier probe is not started again (the probe says "busy"): a hung database cannot pile
up threads however often the load balancer asks.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from functools import lru_cache

from redis import Redis
from sqlalchemy import text
from sqlalchemy.engine import Engine

_lock = threading.Lock()
_running: dict[str, Future[None]] = {}


@dataclass(frozen=True)
class Result:
    """The outcome of one check: its name, whether it passed, why not, how long it took."""

    name: str
    ok: bool
    error: str | None
    ms: float

    def as_dict(self) -> dict[str, object]:
        """Return the result as a JSON-ready object (no URL, host or credential in it)."""
        entry: dict[str, object] = {"ok": self.ok, "ms": self.ms}
        if self.error:
            entry["error"] = self.error
        return entry


def ping_database(engine: Engine) -> None:
    """Run SELECT 1 on a pooled connection."""
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))


@lru_cache(maxsize=8)
def _redis(url: str, timeout: float) -> Redis:
    """Return a Redis client for url whose every socket operation gives up after timeout."""
    return Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout)


def ping_redis(url: str, timeout: float) -> None:
    """Send PING to the Redis at url."""
    _redis(url, timeout).ping()


def _start(key: str, check: Callable[[], None]) -> Future[None] | None:
    """Start check in a daemon thread; None while the previous one for key still runs."""
    with _lock:
        previous = _running.get(key)
        if previous is not None and not previous.done():
            return None
        future: Future[None] = Future()
        _running[key] = future

    def run() -> None:
        future.set_running_or_notify_cancel()
        try:
            check()
        except BaseException as exc:  # handed to the waiting probe
            future.set_exception(exc)
        else:
            future.set_result(None)

    # A daemon: a check hung on a dead server must not keep the process from exiting.
    threading.Thread(target=run, name="readiness-check", daemon=True).start()
    return future


def _outcome(name: str, future: Future[None] | None, started: float, until: float) -> Result:
    """Wait for a started check until the monotonic time `until`; return its result."""
    if future is None:
        return Result(name, False, "busy: an earlier check has not finished", 0.0)
    try:
        future.result(timeout=max(0.0, until - time.monotonic()))
    except FutureTimeout:
        error: str | None = "timeout"
    except Exception as exc:  # the type only: messages may hold hosts and user names
        error = exc.__class__.__name__
    else:
        error = None
    return Result(name, error is None, error, round((time.monotonic() - started) * 1000, 1))


def check_all(engine: Engine, redis_urls: dict[str, str], deadline: float) -> list[Result]:
    """Check the database and every named Redis URL (each URL once), all within one deadline."""
    # name -> (what it checks, for the "busy" rule; the check)
    checks: dict[str, tuple[str, Callable[[], None]]] = {
        "database": (f"database {id(engine)}", lambda: ping_database(engine))
    }
    first_name: dict[str, str] = {}  # url -> the name it is checked under
    for name, url in sorted(redis_urls.items()):
        if url not in first_name:
            first_name[url] = name
            checks[name] = (url, lambda url=url: ping_redis(url, deadline))  # type: ignore[misc]
    started = time.monotonic()
    until = started + deadline
    # Start them all, then wait: the checks run side by side within the one deadline.
    futures = {name: _start(key, check) for name, (key, check) in checks.items()}
    results = {name: _outcome(name, future, started, until) for name, future in futures.items()}
    for name, url in redis_urls.items():  # a URL used for two purposes: one check, two names
        twin = results[first_name[url]]
        results[name] = Result(name, twin.ok, twin.error, twin.ms)
    return [results[name] for name in sorted(results, key=lambda n: (n != "database", n))]
