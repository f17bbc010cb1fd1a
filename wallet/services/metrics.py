"""Prometheus metrics the application records (prometheus_client; multiprocess under gunicorn).

Labels take values from small fixed sets only (endpoint names, statuses, results, outcome
codes, template and document kinds): never an address, a name or a public id. Under gunicorn
set PROMETHEUS_MULTIPROC_DIR (see deploy/gunicorn.conf.py) so that /metrics adds up the workers.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from collections.abc import Iterator

from prometheus_client import CollectorRegistry
from prometheus_client import Counter
from prometheus_client import Histogram
from prometheus_client import generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import REGISTRY
from prometheus_client.registry import Collector

PREFIX = "wallet"
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

HTTP_REQUESTS = Counter(
    f"{PREFIX}_http_requests",
    "HTTP requests answered, by endpoint, method and status.",
    ("endpoint", "method", "status"),
)
HTTP_LATENCY = Histogram(
    f"{PREFIX}_http_request_duration_seconds",
    "Time to answer an HTTP request, by endpoint and method.",
    ("endpoint", "method"),
    buckets=LATENCY_BUCKETS,
)
VERIFICATIONS = Counter(
    f"{PREFIX}_verifications",
    "Badge verifications run by the app (imports, re-verification), by result.",
    ("result",),
)
IMPORTS = Counter(
    f"{PREFIX}_imports",
    "Badge imports, by outcome (added, already, or the refusal code).",
    ("outcome",),
)
MAILS = Counter(
    f"{PREFIX}_mails",
    "Mails handed to the mail system (sent) or not (failed), by template.",
    ("template", "outcome"),
)
JOBS = Counter(
    f"{PREFIX}_jobs",
    "Background jobs run, by job name and outcome (done, failed, retried).",
    ("job", "outcome"),
)
PDF_RENDERS = Counter(
    f"{PREFIX}_pdf_renders",
    "PDF documents rendered (cache misses), by kind.",
    ("kind",),
)
CACHE_LOOKUPS = Counter(
    f"{PREFIX}_cache_lookups",
    "Lookups in the app's caches (verification pages, PDF documents), by cache and result.",
    ("cache", "result"),
)


def multiprocess_dir() -> str | None:
    """Return the multiprocess directory when this process writes its metrics there."""
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


def exposition(extra: Iterable[Collector] = ()) -> bytes:
    """Return every metric in the Prometheus text format (all processes in multiprocess mode)."""
    if multiprocess_dir():
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = CollectorRegistry()
        registry.register(_Everything())
    for collector in extra:
        registry.register(collector)
    return generate_latest(registry)


class _Everything(Collector):
    """The default registry's metrics, in a registry that may also hold per-scrape collectors."""

    def collect(self) -> Iterator[object]:  # type: ignore[override]
        """Yield the default registry's metric families."""
        yield from REGISTRY.collect()


class QueueCollector(Collector):
    """Queue depth and failed jobs, read from the queue at scrape time."""

    def __init__(self, sizes: dict[str, tuple[int, int]]) -> None:
        self.sizes = sizes  # queue name -> (waiting, failed)

    def collect(self) -> Iterator[GaugeMetricFamily]:  # type: ignore[override]
        """Yield the queue gauges."""
        depth = GaugeMetricFamily(
            f"{PREFIX}_queue_depth", "Jobs waiting in the queue.", labels=("queue",)
        )
        failed = GaugeMetricFamily(
            f"{PREFIX}_queue_failed_jobs",
            "Jobs that failed for good and wait for an operator (wallet jobs failed).",
            labels=("queue",),
        )
        for name, (waiting, failures) in sorted(self.sizes.items()):
            depth.add_metric((name,), waiting)
            failed.add_metric((name,), failures)
        yield depth
        yield failed


CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
