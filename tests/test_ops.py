"""/healthz, /readyz and /metrics: what a load balancer and Prometheus get, against real servers."""

from __future__ import annotations

import re

import pytest

from tests.conftest import make_config
from tests.servers import free_port
from tests.servers import redis_server
from tests.servers import silent_server


def build(tmp_path, **overrides):
    """An app with the tests' configuration and the overrides (tables not created)."""
    from wallet import create_app

    application = create_app(make_config(tmp_path, **overrides))
    application.instance_path = str(tmp_path / "instance")
    return application


def dispose(application) -> None:
    """Close the app's pooled connections."""
    from wallet.extensions import db

    with application.app_context():
        db.engine.dispose()


# --- health and readiness --------------------------------------------------------------------


def test_healthz_answers_without_touching_anything(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok"}
    assert response.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in response.headers


def test_readyz_is_ready_with_a_live_database(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json["status"] == "ready"
    assert response.json["failed"] == []
    assert response.json["checks"]["database"]["ok"] is True
    assert set(response.json["checks"]) == {"database"}  # no Redis configured, none checked
    assert response.headers["Cache-Control"] == "no-store"


def test_a_dead_database_is_not_a_dead_worker(tmp_path):
    port = free_port()  # nothing listens there: the database server is down
    application = build(tmp_path, DATABASE_URL=f"postgresql+psycopg://wallet@127.0.0.1:{port}/w")
    try:
        client = application.test_client()
        assert client.get("/healthz").status_code == 200
        response = client.get("/readyz")
        assert response.status_code == 503
        assert response.json["status"] == "unavailable"
        assert response.json["failed"] == ["database"]
        assert response.json["checks"]["database"]["error"] == "OperationalError"
        # Nothing about where the database is or who connects to it.
        assert str(port) not in response.get_data(as_text=True)
        assert "wallet@" not in response.get_data(as_text=True)
    finally:
        dispose(application)


def test_a_database_that_never_answers_fails_the_deadline_and_piles_up_nothing(tmp_path):
    with silent_server() as port:
        application = build(
            tmp_path,
            DATABASE_URL=f"postgresql+psycopg://wallet@127.0.0.1:{port}/w",
            READY_TIMEOUT=0.3,
        )
        client = application.test_client()
        first = client.get("/readyz")
        assert first.status_code == 503
        assert first.json["checks"]["database"]["error"] == "timeout"
        # The first check still hangs: the next probe does not start another one.
        second = client.get("/readyz")
        assert second.status_code == 503
        assert second.json["checks"]["database"]["error"].startswith("busy")
        assert client.get("/healthz").status_code == 200
    dispose(application)


def test_readyz_names_the_redis_that_is_down(tmp_path):
    port = free_port()
    application = build(
        tmp_path,
        DATABASE_URL=f"sqlite:///{tmp_path / 'r.db'}",
        RATELIMIT_STORAGE_URL=f"redis://127.0.0.1:{port}/0",
    )
    try:
        response = application.test_client().get("/readyz")
        assert response.status_code == 503
        assert response.json["failed"] == ["redis_ratelimit"]
        assert response.json["checks"]["database"]["ok"] is True
        assert response.json["checks"]["redis_ratelimit"]["error"] == "ConnectionError"
    finally:
        dispose(application)


def test_readyz_follows_redis_going_away_at_once(tmp_path):
    with redis_server() as url:
        application = build(
            tmp_path,
            DATABASE_URL=f"sqlite:///{tmp_path / 'r.db'}",
            QUEUE_URL=url,
            RATELIMIT_STORAGE_URL=url,
        )
        client = application.test_client()
        ready = client.get("/readyz")
        assert ready.status_code == 200
        # One Redis for both purposes: checked once, reported under both names.
        assert ready.json["checks"]["redis_queue"]["ok"] is True
        assert ready.json["checks"]["redis_ratelimit"]["ok"] is True
    gone = client.get("/readyz")  # the server was stopped: never a cached answer
    assert gone.status_code == 503
    assert gone.json["failed"] == ["redis_queue", "redis_ratelimit"]
    dispose(application)


def test_health_endpoints_are_not_rate_limited(tmp_path):
    application = build(
        tmp_path,
        DATABASE_URL=f"sqlite:///{tmp_path / 'r.db'}",
        RATELIMIT_ENABLED=True,
        RATELIMIT_DEFAULT="2 per minute",
    )
    try:
        client = application.test_client()
        statuses = [client.get("/auth/login").status_code for _ in range(3)]
        assert statuses[-1] == 429  # the default limit is in force...
        for _ in range(5):  # ...but not for the load balancer's probes
            assert client.get("/healthz").status_code == 200
            assert client.get("/readyz").status_code == 200
    finally:
        dispose(application)


# --- metrics ---------------------------------------------------------------------------------


def test_metrics_are_off_by_default(client):
    assert client.get("/metrics").status_code == 404


def test_metrics_answer_only_to_the_configured_networks(app_config, tmp_path):
    app_config["METRICS_ALLOWED_NETWORKS"] = "10.1.0.0/16, 127.0.0.1/32"
    application = build(tmp_path, **app_config)
    try:
        client = application.test_client()
        inside = client.get("/metrics")
        assert inside.status_code == 200
        assert inside.content_type.startswith("text/plain; version=0.0.4")
        outside = client.get("/metrics", environ_base={"REMOTE_ADDR": "10.2.0.1"})
        assert outside.status_code == 404
        assert client.get("/metrics", environ_base={"REMOTE_ADDR": "10.1.3.4"}).status_code == 200
    finally:
        dispose(application)


def test_behind_a_trusted_proxy_the_client_address_decides(tmp_path):
    application = build(
        tmp_path,
        DATABASE_URL=f"sqlite:///{tmp_path / 'm.db'}",
        METRICS_ALLOWED_NETWORKS="192.0.2.0/24",
        PROXY_FIX=1,
    )
    try:
        client = application.test_client()
        # The proxy (127.0.0.1 here) is not what counts: the client it names is.
        assert client.get("/metrics").status_code == 404
        allowed = {"X-Forwarded-For": "198.51.100.7, 192.0.2.10"}
        assert client.get("/metrics", headers=allowed).status_code == 200
        refused = {"X-Forwarded-For": "192.0.2.10, 198.51.100.7"}  # only the last hop is believed
        assert client.get("/metrics", headers=refused).status_code == 404
    finally:
        dispose(application)


def sample(text: str, name: str, **labels: str) -> float:
    """Return the value of the sample `name{labels}` in an exposition (0 when absent)."""
    for line in text.splitlines():
        if not line.startswith(name + "{") and line.split(" ")[0] != name:
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', line.split("}")[0]))
        if all(found.get(k) == v for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


@pytest.fixture
def metrics_app(app_config, tmp_path):
    """The app with /metrics open to loopback."""
    from wallet.extensions import db

    app_config["METRICS_ALLOWED_NETWORKS"] = "127.0.0.1/32"
    application = build(tmp_path, **app_config)
    with application.app_context():
        db.create_all()
    yield application
    with application.app_context():
        db.session.remove()
        db.drop_all()
        db.engine.dispose()


def test_requests_are_counted_by_endpoint_and_status(metrics_app):
    client = metrics_app.test_client()
    before = client.get("/metrics").get_data(as_text=True)
    for _ in range(3):
        client.get("/auth/login")
    client.get("/no-such-page")
    after = client.get("/metrics").get_data(as_text=True)
    labels = {"endpoint": "auth.login", "method": "GET", "status": "200"}
    assert sample(after, "wallet_http_requests_total", **labels) == (
        sample(before, "wallet_http_requests_total", **labels) + 3
    )
    missing = {"endpoint": "none", "method": "GET", "status": "404"}
    assert sample(after, "wallet_http_requests_total", **missing) == (
        sample(before, "wallet_http_requests_total", **missing) + 1
    )
    bucket = {"endpoint": "auth.login", "method": "GET", "le": "+Inf"}
    assert sample(after, "wallet_http_request_duration_seconds_bucket", **bucket) >= 3


def imported_public_badge(application) -> str:
    """Import a badge for コンクリート 太郎 the way the web does, make it public; its public id."""
    from tests.conftest import make_user
    from tests.public_helpers import assertion
    from tests.public_helpers import baked
    from tests.public_helpers import fetcher_for
    from wallet.services import badge_import
    from wallet.services import badges

    with application.test_request_context("/"):
        user = make_user()
        data = assertion()
        badge = badge_import.import_badge(user, baked(data), fetcher=fetcher_for(data)).badge
        badges.set_visibility(badge, "public")
        return badge.public_id


def test_verification_pages_are_counted_without_their_ids(metrics_app):
    client = metrics_app.test_client()
    public_id = imported_public_badge(metrics_app)
    for _ in range(3):
        assert client.get(f"/b/{public_id}").status_code == 200
    text = client.get("/metrics").get_data(as_text=True)
    assert public_id not in text
    assert "/b/" not in text  # labels are endpoint names, never paths
    page = {"endpoint": "public.show", "method": "GET", "status": "200"}
    assert sample(text, "wallet_http_requests_total", **page) >= 3
    # The first visit renders the page; the later ones come from the page cache.
    assert sample(text, "wallet_cache_lookups_total", cache="verification_pages", result="hit") >= 2
    assert sample(text, "wallet_imports_total", outcome="added") >= 1
    assert sample(text, "wallet_verifications_total", result="valid") >= 1


def test_the_families_are_declared(metrics_app):
    text = metrics_app.test_client().get("/metrics").get_data(as_text=True)
    for family, kind in (
        ("wallet_http_requests_total", "counter"),
        ("wallet_http_request_duration_seconds", "histogram"),
        ("wallet_verifications_total", "counter"),
        ("wallet_imports_total", "counter"),
        ("wallet_mails_total", "counter"),
        ("wallet_jobs_total", "counter"),
        ("wallet_pdf_renders_total", "counter"),
        ("wallet_cache_lookups_total", "counter"),
    ):
        assert f"# TYPE {family} {kind}" in text, family


def test_queue_depth_is_read_from_the_queue(tmp_path):
    with redis_server() as url:
        application = build(
            tmp_path,
            DATABASE_URL=f"sqlite:///{tmp_path / 'q.db'}",
            QUEUE_URL=url,
            METRICS_ALLOWED_NETWORKS="127.0.0.1/32",
        )
        try:
            from wallet.services import jobs

            with application.test_request_context("/"):
                jobs.enqueue("mail.deliver", message=b"Message-ID: <x@y>\n\nhi\n", template="t")
                jobs.enqueue("reverify.badge", badge_id=1)
                jobs.enqueue("reverify.badge", badge_id=2)
            text = application.test_client().get("/metrics").get_data(as_text=True)
            assert sample(text, "wallet_queue_depth", queue="mail") == 1
            assert sample(text, "wallet_queue_depth", queue="default") == 2
            assert sample(text, "wallet_queue_failed_jobs", queue="mail") == 0
        finally:
            dispose(application)
