"""`wallet worker` runs the background jobs; `wallet jobs` shows and retries the failed ones."""

from __future__ import annotations

import json

import click
from flask import current_app
from flask.cli import with_appcontext

from wallet.cli.support import fail

NO_QUEUE = (
    "WALLET_QUEUE_URL is not set: jobs run inside the web process after each response, "
    "so there is no queue to work on."
)


@click.command("worker")
@click.option("--burst", is_flag=True, help="Run the jobs waiting now, then exit.")
@with_appcontext
def worker_command(burst: bool) -> None:
    """Run queued jobs (mails, re-verification, award batches) until stopped (SIGTERM)."""
    from rq import Worker

    from wallet.extensions import db
    from wallet.services import jobs
    from wallet.services.jobs import redis_queue
    from wallet.services.jobs.table import PERIODIC
    from wallet.services.jobs.table import QUEUES

    if not jobs.in_background():
        fail(NO_QUEUE, 2)
    try:
        connection = redis_queue.connection()
        connection.ping()
    except Exception as exc:
        fail(f"the queue's Redis does not answer ({exc.__class__.__name__}).", 2)
    for name in PERIODIC:
        if redis_queue.periodic_interval(name):
            redis_queue.enqueue(name, {})  # runs unless another worker's chain ran lately
    # Each job runs in a forked process: none may inherit this process's pooled connections.
    db.engine.dispose()
    worker = Worker([redis_queue.queue(name) for name in QUEUES], connection=connection)
    level = str(current_app.config.get("LOG_LEVEL") or "INFO").upper()
    worker.work(burst=burst, with_scheduler=True, logging_level=level)


@click.group("jobs")
def jobs_group() -> None:
    """Background jobs that failed for good: list them, put them back on the queue."""


@jobs_group.command("failed")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array on stdout.")
@with_appcontext
def failed_command(as_json: bool) -> None:
    """List failed jobs: id, queue, name, when, and the error (never the job's data)."""
    from wallet.services import jobs
    from wallet.services.jobs import redis_queue

    if not jobs.in_background():
        fail(NO_QUEUE, 2)
    found = redis_queue.failed_jobs()
    if as_json:
        click.echo(json.dumps([job.as_dict() for job in found]))
        return
    for job in found:
        when = job.failed_at.isoformat(timespec="seconds") if job.failed_at else "?"
        click.echo(f"{job.id}  {job.queue:8} {job.name:16} {when}  {job.error}")
    click.echo(f"{len(found)} failed job(s).", err=True)


@jobs_group.command("retry")
@click.argument("job_ids", nargs=-1)
@click.option("--all", "retry_all", is_flag=True, help="Every failed job.")
@with_appcontext
def retry_command(job_ids: tuple[str, ...], retry_all: bool) -> None:
    """Put failed jobs (JOB_IDS, or --all) back on their queues."""
    from wallet.services import jobs
    from wallet.services.jobs import redis_queue

    if not jobs.in_background():
        fail(NO_QUEUE, 2)
    if not job_ids and not retry_all:
        fail("name the jobs to retry, or --all.", 2)
    count = redis_queue.requeue(None if retry_all else list(job_ids))
    click.echo(f"{count} job(s) queued again.", err=True)
    if job_ids and count < len(job_ids):
        fail(f"{len(job_ids) - count} of the named jobs are not among the failed ones.", 1)
