"""gunicorn settings for the wallet: `gunicorn -c deploy/gunicorn.conf.py wsgi:app`.

Environment: WALLET_* (README, Configuration), GUNICORN_BIND (default 127.0.0.1:8000),
GUNICORN_WORKERS (default 2 per core) and PROMETHEUS_MULTIPROC_DIR, a directory only this
server writes (systemd: RuntimeDirectory), so that /metrics adds up every worker's counts.
"""

import os
import shutil
from pathlib import Path

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS") or 2 * (os.cpu_count() or 1))
worker_class = "sync"  # requests never wait on the network (README, Running in production)
timeout = 30  # above the URL-import deadline (WALLET_IMPORT_DEADLINE, 15 s)
graceful_timeout = 30
# No access log: the app writes one JSON line per request (route pattern, status, duration,
# request id); gunicorn's would carry full URLs with their tokens.
accesslog = None
errorlog = "-"
loglevel = "info"


def on_starting(server):
    """Empty the metrics directory: counts of a previous run's workers must not add up."""
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder:
        path = Path(folder)
        if path.is_dir():
            for entry in path.iterdir():
                if entry.is_dir():
                    shutil.rmtree(entry)
                else:
                    entry.unlink()
        path.mkdir(parents=True, exist_ok=True)


def child_exit(server, worker):
    """Let the metrics of a worker that exited stop counting as live (gauges)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
