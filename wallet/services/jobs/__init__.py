"""Background jobs: `enqueue(name, **kwargs)` runs work that should not hold a web request.

With WALLET_QUEUE_URL (Redis) jobs go to RQ queues that `wallet worker` runs, with retries and a
failed-job registry (`wallet jobs failed`). Without it (the embedded default) a job runs in this
process: on its job thread once the response is made when enqueued during a web request
(jobs/background.py), at once anywhere else. The
names and functions are listed in jobs/table.py; every job is safe to run twice.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from typing import Any

from flask import current_app
from flask import g

from wallet.services.jobs import runner
from wallet.services.jobs.table import JOBS

log = logging.getLogger(__name__)

DEFERRED = "wallet_deferred_jobs"  # flask.g key: jobs waiting for the end of the response


class QueueUnavailable(RuntimeError):
    """The queue's Redis could not take the job (down, unreachable, refusing)."""


@dataclass(frozen=True)
class Handle:
    """An enqueued job: its id and what is known of it (queued, deferred, done or failed)."""

    id: str
    name: str
    status: str

    @property
    def failed(self) -> bool:
        """Return whether the job is known to have failed for good."""
        return self.status == "failed"


def queue_url() -> str:
    """Return the configured queue URL ("" when jobs run in this process)."""
    return str(current_app.config.get("QUEUE_URL") or "")


def in_background() -> bool:
    """Return whether jobs go to a queue that workers run (not this process)."""
    return bool(queue_url())


def enqueue(name: str, **kwargs: Any) -> Handle:
    """Run job `name` with kwargs in the background (see the module docstring)."""
    if name not in JOBS:
        raise KeyError(f"unknown job {name!r}")
    if in_background():
        from redis.exceptions import RedisError

        from wallet.services.jobs import redis_queue

        try:
            return Handle(redis_queue.enqueue(name, kwargs), name, "queued")
        except RedisError as exc:
            raise QueueUnavailable(
                f"the job queue is unavailable: {exc.__class__.__name__}"
            ) from None
    job_id = uuid.uuid4().hex
    deferred = g.get(DEFERRED)
    if deferred is not None:
        deferred.append((job_id, name, kwargs))
        return Handle(job_id, name, "deferred")
    ok = runner.perform_inline(job_id, name, kwargs)
    return Handle(job_id, name, "done" if ok else "failed")


def start_deferring() -> None:
    """Hold jobs enqueued from now on in this request until run_deferred (web layer)."""
    g.setdefault(DEFERRED, [])


def take_deferred() -> list[tuple[str, str, dict[str, Any]]]:
    """Return and forget the jobs held in this request."""
    held = g.pop(DEFERRED, None) or []
    return list(held)


def run_deferred(app: Any, held: list[tuple[str, str, dict[str, Any]]]) -> None:
    """Run held jobs, each in a fresh request context.

    A request context as the CLI has (mails are composed with url_for); never the finished
    request's, whose session and `g` are gone.
    """
    for job_id, name, kwargs in held:
        with app.test_request_context("/"):
            runner.perform_inline(job_id, name, kwargs)


def run_after_response(app: Any, held: list[tuple[str, str, dict[str, Any]]]) -> None:
    """Hand a finished request's jobs to this process's job thread (they never delay it)."""
    from wallet.services.jobs import background

    background.submit(lambda: run_deferred(app, held))


def drain(timeout: float = 30.0) -> bool:
    """Wait until this process's job thread has run everything handed to it; False on timeout."""
    from wallet.services.jobs import background

    return background.drain(timeout)


def done_before(key: str) -> bool:
    """Return whether a job already recorded `key` as done (always False in this process)."""
    if not in_background():
        return False
    from wallet.services.jobs import redis_queue

    return redis_queue.done_before(key)


def mark_done(key: str, ttl: int = 7 * 24 * 3600) -> None:
    """Record `key` as done for ttl seconds, so that a repeated job skips it."""
    if in_background():
        from wallet.services.jobs import redis_queue

        redis_queue.mark_done(key, ttl)


def queue_sizes() -> dict[str, tuple[int, int]]:
    """Return (waiting, failed) per queue; empty when jobs run in this process."""
    if not in_background():
        return {}
    from wallet.services.jobs import redis_queue

    return redis_queue.sizes()
