"""The jobs the app runs in the background: name, function, queue, retries and time limit."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class JobKind:
    """How one kind of job runs."""

    target: str  # "module:function", called with the job's keyword arguments
    queue: str = "default"
    timeout: int = 300  # seconds before the worker stops the job
    # Seconds between attempts after a failure (a config key holding a comma-separated list,
    # or the delays themselves); empty: a failure is final.
    retry_setting: str | None = None
    retry_delays: tuple[int, ...] = ()


# Names are stable: queued jobs outlive a release. Functions are named by string so that this
# table imports nothing (the services that enqueue import this package).
JOBS: dict[str, JobKind] = {
    "mail.deliver": JobKind(
        "wallet.services.mail:deliver_job",
        queue="mail",
        timeout=120,
        retry_setting="MAIL_RETRY_DELAYS",
    ),
    "reverify.stale": JobKind("wallet.services.freshness:enqueue_stale", timeout=600),
    "reverify.badge": JobKind(
        "wallet.services.freshness:reverify_job", timeout=120, retry_delays=(300, 3600)
    ),
    # Reminder mails before badges expire (also `wallet expiry-reminders` from cron).
    "badges.expiry_reminders": JobKind(
        "wallet.services.expiry_reminders:send_due_job", timeout=1800
    ),
    "awards.batch": JobKind(
        "wallet.services.issuing.batches:run_job", timeout=6 * 3600, retry_delays=(60, 600)
    ),
    # One notice mailed again ("re-send to all unclaimed" queues one job per award).
    "awards.resend": JobKind("wallet.services.issuing.followup:resend_job", timeout=120),
    # The due reminders of unclaimed awards (also `wallet reminders` from cron).
    "awards.reminders": JobKind("wallet.services.issuing.followup:reminders_job", timeout=1800),
}
QUEUES = ("mail", "default")  # a worker takes mail first: a long award batch never holds it up

# Jobs a worker enqueues by itself every N seconds (the config key holding N; 0: never).
PERIODIC: dict[str, str] = {
    "reverify.stale": "REVERIFY_INTERVAL",
    "awards.reminders": "REMINDER_INTERVAL",
    "badges.expiry_reminders": "EXPIRY_REMINDER_INTERVAL",
}
