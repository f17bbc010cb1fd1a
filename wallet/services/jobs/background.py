"""One thread per process that runs the jobs of finished requests when there is no queue.

Jobs handed over at the end of a request run here, in order, without delaying any response,
whatever the server does with the connection. The thread is started on first use, in the
process that uses it (gunicorn forks its workers first). At exit it is given a few seconds to
finish what it holds; a job still waiting then is lost, as one is when the process is killed,
which is why production runs a queue (WALLET_QUEUE_URL).
"""

from __future__ import annotations

import atexit
import logging
import os
import queue
import threading
from collections.abc import Callable

from wallet.services import logs

log = logging.getLogger("wallet.jobs")
EXIT_GRACE_SECONDS = 10.0

_lock = threading.Lock()
_work: queue.Queue[tuple[Callable[[], None], str | None]] = queue.Queue()
_owner_pid: int | None = None


def submit(task: Callable[[], None]) -> None:
    """Run task on the job thread, under the current request id."""
    global _owner_pid, _work
    with _lock:
        if _owner_pid != os.getpid():  # first use in this process (or a fork of a user)
            _work = queue.Queue()
            threading.Thread(target=_run, args=(_work,), name="wallet-jobs", daemon=True).start()
            if _owner_pid is None:
                atexit.register(drain, EXIT_GRACE_SECONDS)
            _owner_pid = os.getpid()
        _work.put((task, logs.CURRENT_ID.get()))


def _run(work: queue.Queue[tuple[Callable[[], None], str | None]]) -> None:
    """Run tasks as they come (the thread's body)."""
    while True:
        task, request_id = work.get()
        try:
            with logs.bound_id(request_id):
                task()
        except Exception:  # a job's own failures are handled by the runner; this is a bug
            log.exception("job thread: a task failed")
        finally:
            work.task_done()


def drain(timeout: float = 30.0) -> bool:
    """Wait until every submitted task has run; return False if timeout came first."""
    if _owner_pid != os.getpid():
        return True
    done = threading.Event()

    def wait() -> None:
        _work.join()
        done.set()

    threading.Thread(target=wait, daemon=True).start()
    return done.wait(timeout)
