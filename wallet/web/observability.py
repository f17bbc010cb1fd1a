"""Request telemetry: a request id, one log line and the HTTP metrics per request; a request's
in-process jobs handed to the job thread once it has its response.

The middleware sits outside the page cache (cached verification pages are counted and logged
too) and inside ProxyFix (it sees the client's address). It logs the route pattern
(`/b/<public_id>`), never the path, so no id, token or query string reaches a log line or a
metric label.
"""

from __future__ import annotations

import ipaddress
import logging
import re
import time
import uuid
from collections.abc import Iterable
from typing import Any

from flask import Flask
from flask import Response
from flask import request
from flask import request_started

from wallet.services import jobs
from wallet.services import logs
from wallet.services import metrics

log = logging.getLogger("wallet.request")

REQUEST_ID_HEADER = "X-Request-ID"
REQUEST_ID_ENVIRON = "wallet.request_id"
# Set by a layer that answers without Flask (the page cache): (endpoint, route).
ROUTE_ENVIRON = "wallet.route"
HELD_JOBS_ENVIRON = "wallet.held_jobs"  # starts the request's in-process jobs
VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
QUIET_ENDPOINTS = frozenset({"ops.healthz", "ops.readyz"})  # load balancers poll these


class RequestTelemetry:
    """WSGI middleware: request id in and out, one log line and the metrics per request."""

    def __init__(
        self, wsgi_app: Any, *, trust_request_id: bool, log_requests: bool, measure: bool
    ) -> None:
        self.next = wsgi_app
        self.trust_request_id = trust_request_id
        self.log_requests = log_requests
        self.measure = measure

    def request_id(self, environ: dict[str, Any]) -> str:
        """Return the proxy's request id when it is trusted and well-formed, else a new one."""
        if self.trust_request_id:
            given = environ.get("HTTP_X_REQUEST_ID", "")
            if VALID_REQUEST_ID.fullmatch(given):
                return str(given)
        return uuid.uuid4().hex

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        request_id = self.request_id(environ)
        environ[REQUEST_ID_ENVIRON] = request_id
        sent: dict[str, str] = {}

        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            sent["status"] = status
            headers.append((REQUEST_ID_HEADER, request_id))
            return start_response(status, headers, exc_info)

        started = time.perf_counter()
        with logs.bound_id(request_id):
            try:
                body = self.next(environ, start)
            except Exception:
                self.finish(environ, "500", time.perf_counter() - started)
                raise
            self.finish(environ, sent.get("status", "500"), time.perf_counter() - started)
        start_jobs = environ.pop(HELD_JOBS_ENVIRON, None)
        if start_jobs is None:
            return body
        return _ThenStartJobs(body, lambda: _under_id(request_id, start_jobs))

    def finish(self, environ: dict[str, Any], status: str, seconds: float) -> None:
        """Count the request and log its line."""
        endpoint, route = route_of(environ)
        code = status.split(" ", 1)[0]
        method = environ.get("REQUEST_METHOD", "?")
        if method not in ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"):
            method = "other"  # a label from a fixed set, whatever a client sends
        if self.measure:
            metrics.HTTP_REQUESTS.labels(endpoint=endpoint, method=method, status=code).inc()
            metrics.HTTP_LATENCY.labels(endpoint=endpoint, method=method).observe(seconds)
        if not self.log_requests:
            return
        level = logging.ERROR if code.startswith("5") else logging.INFO
        if endpoint in QUIET_ENDPOINTS and code == "200":
            level = logging.DEBUG
        if log.isEnabledFor(level):
            duration_ms = round(seconds * 1000, 2)
            log.log(
                level,
                "%s %s %s %.1f ms",
                method,
                route,
                code,
                duration_ms,
                extra={
                    "fields": {
                        "method": method,
                        "route": route,
                        "endpoint": endpoint,
                        "status": int(code) if code.isdigit() else code,
                        "duration_ms": duration_ms,
                    }
                },
            )


def route_of(environ: dict[str, Any]) -> tuple[str, str]:
    """Return (endpoint, route pattern) of the request; ("none", "-") when no route matched."""
    return environ.get(ROUTE_ENVIRON) or ("none", "-")  # type: ignore[no-any-return]


def _note_route(sender: Flask, **_extra: Any) -> None:
    """Leave the matched route where the middleware finds it (signal: request_started)."""
    rule = request.url_rule
    if rule is not None:
        request.environ[ROUTE_ENVIRON] = (str(rule.endpoint), str(rule.rule))


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def allowed_networks(value: str | Iterable[str]) -> list[Network]:
    """Parse a comma-separated list (or a list) of CIDRs."""
    items = value.split(",") if isinstance(value, str) else list(value)
    return [ipaddress.ip_network(item.strip(), strict=False) for item in items if item.strip()]


def _defer_jobs() -> None:
    """Hold this request's in-process jobs until its response has been sent."""
    jobs.start_deferring()


def _run_held_jobs_after(response: Response) -> Response:
    """Leave the held jobs for the middleware, which starts them once the body is written."""
    from flask import current_app

    held = jobs.take_deferred()
    if held:
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        request.environ[HELD_JOBS_ENVIRON] = lambda: jobs.run_after_response(app, held)
    return response


def _under_id(request_id: str, start_jobs: Any) -> None:
    """Start the held jobs under their request's id (the body is written outside its scope)."""
    with logs.bound_id(request_id):
        start_jobs()


class _ThenStartJobs:
    """A response body that starts the request's held jobs once its last chunk is written.

    The server asks for the next chunk only after writing the previous one, so the jobs start
    when the answer is out: a request that queues a mail answers as fast as one that does not
    (no address can be told from the clock, issue 15). Not at close(): werkzeug's development
    server may call that long after the client has its answer; close() is only the fallback.
    """

    def __init__(self, body: Iterable[bytes], start_jobs: Any) -> None:
        self.body = body
        self.start_jobs = start_jobs

    def __iter__(self) -> Any:
        yield from self.body
        self._start()

    def _start(self) -> None:
        start, self.start_jobs = self.start_jobs, None
        if start is not None:
            start()

    def close(self) -> None:
        """Close the wrapped body, and start the jobs if iteration did not reach the end."""
        try:
            close = getattr(self.body, "close", None)
            if close is not None:
                close()
        finally:
            self._start()


def install(app: Flask) -> None:
    """Configure logging, wrap app in the telemetry middleware and defer in-process jobs."""
    config = app.config
    kind = config.get("LOG_FORMAT") or ("json" if config["ENV"] == "production" else "text")
    logs.configure(str(kind), config.get("LOG_LEVEL") or "INFO")
    config["METRICS_ALLOWED_NETWORKS"] = allowed_networks(
        config.get("METRICS_ALLOWED_NETWORKS") or ""
    )
    app.wsgi_app = RequestTelemetry(  # type: ignore[method-assign]
        app.wsgi_app,
        trust_request_id=int(config.get("PROXY_FIX") or 0) > 0,
        log_requests=bool(config.get("LOG_REQUESTS", True)),
        measure=bool(config["METRICS_ALLOWED_NETWORKS"]),
    )
    # request_started: sent before any before_request hook can answer (429s get a route too).
    request_started.connect(_note_route, app)
    if not config.get("QUEUE_URL") and config.get("QUEUE_AFTER_RESPONSE", True):
        app.before_request(_defer_jobs)
        app.after_request(_run_held_jobs_after)
