"""Running one job: find its function, log under the job's id, count the outcome."""

from __future__ import annotations

import importlib
import logging
import time
from collections.abc import Callable
from typing import Any

from flask import current_app

from wallet.extensions import db
from wallet.services import logs
from wallet.services import metrics
from wallet.services.jobs.table import JOBS
from wallet.services.jobs.table import PERIODIC

log = logging.getLogger("wallet.jobs")


def resolve(name: str) -> Callable[..., Any]:
    """Return the function of job `name` (table.JOBS)."""
    module, _, function = JOBS[name].target.partition(":")
    return getattr(importlib.import_module(module), function)  # type: ignore[no-any-return]


def _describe(error: BaseException) -> str:
    """Return the error's type and message (messages of our errors carry no personal data)."""
    return f"{error.__class__.__name__}: {error}"[:300]


def perform_inline(job_id: str, name: str, kwargs: dict[str, Any]) -> bool:
    """Run a job in this process once, in the caller's context; log and count a failure."""
    with logs.bound_id(logs.CURRENT_ID.get() or job_id):
        started = time.perf_counter()
        try:
            resolve(name)(**kwargs)
        except Exception as error:
            metrics.JOBS.labels(job=name, outcome="failed").inc()
            # Retries need the queue (WALLET_QUEUE_URL); in this process a failure is final.
            log.error(
                "job %s failed in process (not retried): %s",
                name,
                _describe(error),
                extra={"fields": {"job": name, "job_id": job_id, "outcome": "failed"}},
            )
            return False
        metrics.JOBS.labels(job=name, outcome="done").inc()
        log.info(
            "job %s done in %.0f ms",
            name,
            (time.perf_counter() - started) * 1000,
            extra={"fields": {"job": name, "job_id": job_id, "outcome": "done"}},
        )
        return True


def perform(name: str, kwargs: dict[str, Any]) -> None:
    """Run a queued job (the function RQ calls in `wallet worker`); raise to have RQ retry it."""
    from rq import get_current_job

    from wallet.services.jobs import redis_queue

    job = get_current_job()
    job_id = job.id if job is not None else "-"
    request_id = (job.meta.get("request_id") if job is not None else None) or job_id
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    # A request context, as the CLI has: mails are composed with url_for like on the web.
    with app.test_request_context("/"), logs.bound_id(request_id):
        interval = redis_queue.periodic_interval(name) if name in PERIODIC else 0
        if interval:
            if not redis_queue.claim_period(name, interval):
                log.info("job %s already ran in this period: skipped", name)
                return  # a second chain (a worker restarted meanwhile) ends here
            try:
                _perform(name, kwargs, job, job_id)
            finally:
                redis_queue.enqueue(name, kwargs, delay=interval)
        else:
            _perform(name, kwargs, job, job_id)


def _perform(name: str, kwargs: dict[str, Any], job: Any, job_id: str) -> None:
    """Run a queued job once, counting and logging its outcome."""
    started = time.perf_counter()
    try:
        resolve(name)(**kwargs)
    except Exception as error:
        db.session.rollback()
        retries_left = getattr(job, "retries_left", None) or 0
        outcome = "retried" if retries_left > 0 else "failed"
        metrics.JOBS.labels(job=name, outcome=outcome).inc()
        log.warning(
            "job %s %s: %s",
            name,
            "will be retried" if outcome == "retried" else "failed for good",
            _describe(error),
            extra={"fields": {"job": name, "job_id": job_id, "outcome": outcome}},
        )
        raise
    finally:
        db.session.remove()
    metrics.JOBS.labels(job=name, outcome="done").inc()
    log.info(
        "job %s done in %.0f ms",
        name,
        (time.perf_counter() - started) * 1000,
        extra={"fields": {"job": name, "job_id": job_id, "outcome": "done"}},
    )
