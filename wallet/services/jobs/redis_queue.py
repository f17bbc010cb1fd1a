"""The RQ queues on Redis (WALLET_QUEUE_URL): enqueue, sizes, failed jobs, done-markers."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from flask import current_app
from redis import Redis
from rq import Queue
from rq import Retry
from rq.job import Job
from rq.registry import FailedJobRegistry

from wallet.services import logs
from wallet.services.jobs.table import JOBS
from wallet.services.jobs.table import PERIODIC
from wallet.services.jobs.table import QUEUES

PERFORM = "wallet.services.jobs.runner.perform"
DONE_PREFIX = "wallet:done:"
PERIODIC_PREFIX = "wallet:periodic:"
FAILURE_TTL = 30 * 24 * 3600  # failed jobs wait this long for an operator
RESULT_TTL = 3600


@lru_cache(maxsize=4)
def _connection(url: str) -> Redis:
    """Return a Redis client for url (one per URL and process; redis-py pools connections)."""
    return Redis.from_url(url, socket_connect_timeout=5, socket_timeout=30)


def connection() -> Redis:
    """Return the Redis client of the configured queue."""
    return _connection(str(current_app.config["QUEUE_URL"]))


def queue(name: str) -> Queue:
    """Return the RQ queue called name."""
    return Queue(name, connection=connection())


def retry_delays(name: str) -> tuple[int, ...]:
    """Return the delays between attempts of job `name` (from config when the table says so)."""
    kind = JOBS[name]
    if kind.retry_setting:
        value = current_app.config.get(kind.retry_setting) or ""
        if isinstance(value, str):
            return tuple(int(v) for v in value.replace(" ", "").split(",") if v)
        return tuple(int(v) for v in value)
    return kind.retry_delays


def enqueue(name: str, kwargs: dict[str, Any], *, delay: float = 0) -> str:
    """Put job `name` on its queue (after `delay` seconds); return the job id."""
    kind = JOBS[name]
    delays = retry_delays(name)
    options: dict[str, Any] = {
        # The description is what RQ shows and logs: the job's name, never its arguments.
        "description": name,
        "job_timeout": kind.timeout,
        "result_ttl": RESULT_TTL,
        "failure_ttl": FAILURE_TTL,
        "meta": {"request_id": logs.CURRENT_ID.get()},
        "retry": Retry(max=len(delays), interval=list(delays)) if delays else None,
    }
    target = queue(kind.queue)
    if delay > 0:
        from datetime import timedelta

        job = target.enqueue_in(timedelta(seconds=delay), PERFORM, name, kwargs, **options)
    else:
        job = target.enqueue(PERFORM, name, kwargs, **options)
    return str(job.id)


def sizes() -> dict[str, tuple[int, int]]:
    """Return (waiting, failed) per queue."""
    found = {}
    for name in QUEUES:
        waiting = queue(name)
        found[name] = (waiting.count, FailedJobRegistry(queue=waiting).count)
    return found


def done_before(key: str) -> bool:
    """Return whether `key` was marked done."""
    return bool(connection().exists(DONE_PREFIX + key))


def mark_done(key: str, ttl: int) -> None:
    """Mark `key` done for ttl seconds."""
    connection().set(DONE_PREFIX + key, "1", ex=ttl)


def claim_period(name: str, seconds: int) -> bool:
    """Return True for the first caller in each period of `seconds` for periodic job `name`.

    Every worker on every host may try; one wins per period, so a periodic job runs once.
    """
    ttl = max(1, int(seconds * 0.9))  # expire a little early: the next run must find it free
    return bool(connection().set(PERIODIC_PREFIX + name, str(time.time()), nx=True, ex=ttl))


def periodic_interval(name: str) -> int:
    """Return the configured interval of periodic job `name` in seconds (0: off)."""
    return int(current_app.config.get(PERIODIC[name]) or 0)


@dataclass(frozen=True)
class FailedJob:
    """A job that failed for good: what an operator needs, never its arguments."""

    id: str
    queue: str
    name: str
    failed_at: datetime | None
    error: str

    def as_dict(self) -> dict[str, object]:
        """Return the job as a JSON-ready object."""
        failed_at = self.failed_at.isoformat() if self.failed_at else None
        return {
            "id": self.id,
            "queue": self.queue,
            "name": self.name,
            "failed_at": failed_at,
            "error": self.error,
        }


def failed_jobs(limit: int = 100) -> list[FailedJob]:
    """Return up to `limit` failed jobs per queue, newest first."""
    found = []
    for queue_name in QUEUES:
        registry = FailedJobRegistry(queue=queue(queue_name))
        ids = registry.get_job_ids(0, limit - 1)
        for job in Job.fetch_many(ids, connection=connection()):
            if job is None:
                continue
            found.append(
                FailedJob(job.id, queue_name, job.description or "?", job.ended_at, _last_line(job))
            )
    return sorted(found, key=lambda j: j.failed_at or datetime.min, reverse=True)


def _last_line(job: Job) -> str:
    """Return the last line of the job's traceback (the exception), if any."""
    text = ""
    result = job.latest_result()
    if result is not None and result.exc_string:
        text = result.exc_string
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1][:300] if lines else ""


def requeue(job_ids: list[str] | None) -> int:
    """Put failed jobs back on their queues (all of them when job_ids is None); return how many."""
    count = 0
    for queue_name in QUEUES:
        registry = FailedJobRegistry(queue=queue(queue_name))
        wanted = registry.get_job_ids() if job_ids is None else job_ids
        for job_id in wanted:
            if job_id in registry:
                registry.requeue(job_id)
                count += 1
    return count
