"""Endpoints for load balancers and monitoring: /healthz, /readyz and /metrics.

Cheap and unauthenticated (except /metrics, which answers only to METRICS_ALLOWED_NETWORKS),
never cached, never rate-limited, no session and no cookie.
"""

from __future__ import annotations

import ipaddress
import logging

from flask import Blueprint
from flask import Response
from flask import abort
from flask import current_app
from flask import jsonify
from flask import request

from wallet.extensions import db
from wallet.extensions import limiter
from wallet.services import jobs
from wallet.services import metrics
from wallet.services import readiness

bp = Blueprint("ops", __name__)
limiter.exempt(bp)
log = logging.getLogger(__name__)

REDIS_SCHEMES = ("redis://", "rediss://", "unix://")


@bp.after_request
def _never_cached(response: Response) -> Response:
    """Every answer here is about this moment only."""
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/healthz")
def healthz() -> Response:
    """The process answers (nothing else is checked: a dead database is /readyz's business)."""
    return jsonify(status="ok")


def redis_urls() -> dict[str, str]:
    """Return the Redis URLs this app uses, by purpose."""
    config = current_app.config
    found = {}
    if str(config.get("QUEUE_URL") or "").startswith(REDIS_SCHEMES):
        found["redis_queue"] = str(config["QUEUE_URL"])
    if str(config.get("RATELIMIT_STORAGE_URL") or "").startswith(REDIS_SCHEMES):
        found["redis_ratelimit"] = str(config["RATELIMIT_STORAGE_URL"])
    return found


@bp.get("/readyz")
def readyz() -> tuple[Response, int]:
    """200 when the database (and Redis, when configured) answer in time; else 503 naming them."""
    deadline = float(current_app.config.get("READY_TIMEOUT") or 2.0)
    results = readiness.check_all(db.engine, redis_urls(), deadline)
    failed = [r.name for r in results if not r.ok]
    body = {
        "status": "unavailable" if failed else "ready",
        "failed": failed,
        "checks": {r.name: r.as_dict() for r in results},
    }
    if failed:
        log.warning("not ready: %s", ", ".join(failed))
    return jsonify(body), 503 if failed else 200


def _may_read_metrics() -> bool:
    """Return whether the client's address is in METRICS_ALLOWED_NETWORKS."""
    networks = current_app.config.get("METRICS_ALLOWED_NETWORKS") or []
    try:
        address = ipaddress.ip_address(request.remote_addr or "")
    except ValueError:
        return False
    return any(address in network for network in networks)


@bp.get("/metrics")
def metrics_page() -> Response:
    """The Prometheus exposition, for the configured networks only (404 for everyone else)."""
    if not _may_read_metrics():
        abort(404)
    extra = []
    try:
        sizes = jobs.queue_sizes()
    except Exception as exc:  # the queue being down must not hide the other metrics
        log.warning("queue sizes unavailable: %s", exc.__class__.__name__)
    else:
        if sizes:
            extra.append(metrics.QueueCollector(sizes))
    return Response(metrics.exposition(extra), content_type=metrics.CONTENT_TYPE)
