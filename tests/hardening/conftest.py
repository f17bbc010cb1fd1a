"""Hardening fixtures: a signed-in holder, a network guard and a hostile loopback server."""

from __future__ import annotations

import http.server
import threading
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs
from urllib.parse import urlsplit

import pytest

from tests.conftest import PASSWORD
from tests.conftest import make_user
from tests.hardening.helpers import NetGuard
from tests.hardening.helpers import net_guard


def pytest_configure(config: pytest.Config) -> None:
    """Register the marker that lets the fetcher reach the 127.0.0.1 test servers."""
    config.addinivalue_line(
        "markers", "loopback_allowed: the app's fetcher may reach 127.0.0.1/32 (test servers)"
    )


@pytest.fixture
def app_config(app_config: dict[str, object], request: pytest.FixtureRequest) -> dict[str, object]:
    """Short fetch deadlines and a small cap; loopback only for tests marked loopback_allowed."""
    allowed = request.node.get_closest_marker("loopback_allowed") is not None
    app_config.update(
        FETCH_ALLOWED_NETWORKS=["127.0.0.1/32"] if allowed else [],
        FETCH_TIMEOUT=1.0,
        IMPORT_DEADLINE=1.5,
        FETCH_MAX_BYTES=1024 * 1024,
    )
    return app_config


@pytest.fixture
def holder(app) -> dict[str, Any]:
    """A verified holder (taro@example.com) and another one (jiro@example.com)."""
    with app.app_context():
        taro = make_user()
        jiro = make_user("jiro@example.com", given_name="次郎")
        return {"id": taro.id, "other_id": jiro.id}


@pytest.fixture
def signed_in(app, holder):
    """A client signed in as the holder."""
    client = app.test_client()
    response = client.post("/auth/login", data={"email": "taro@example.com", "password": PASSWORD})
    assert response.status_code in (302, 303)
    return client


@pytest.fixture
def guard(monkeypatch) -> Iterator[NetGuard]:
    """Record (and refuse) every connection but those to registered test servers."""
    with net_guard(monkeypatch) as installed:
        yield installed


class HostileServer:
    """A loopback HTTP server with misbehaving paths; every loop is bounded by time and size."""

    def __init__(self) -> None:
        self.stop = threading.Event()
        self.hits: list[str] = []
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                server.hits.append(self.path)
                parts = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(parts.query).items()}
                handler = getattr(self, "_" + parts.path.strip("/").replace("-", "_"), None)
                try:
                    if handler is None:
                        self._send(404, b"not here")
                    else:
                        handler(query)
                except (
                    BrokenPipeError,
                    ConnectionResetError,
                    ConnectionAbortedError,
                    TimeoutError,
                ):
                    pass

            def _send(
                self, status: int, body: bytes, content_type: str = "application/json"
            ) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _redirect(self, query: dict[str, str]) -> None:
                self.send_response(int(query.get("status", "302")))
                self.send_header("Location", query["to"])
                self.send_header("Content-Length", "0")
                self.end_headers()

            def _loop(self, query: dict[str, str]) -> None:
                self._redirect({"to": "/loop"})

            def _drip(self, query: dict[str, str]) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", "100000")
                self.end_headers()
                for _ in range(200):  # at most 20 s, far beyond the import deadline
                    if server.stop.wait(0.1):
                        return
                    self.wfile.write(b" ")
                    self.wfile.flush()

            def _hang(self, query: dict[str, str]) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.flush()
                server.stop.wait(20)

            def _huge_length(self, query: dict[str, str]) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", "2147483648")
                self.end_headers()
                self.wfile.write(b"{" * 1024)

            def _endless(self, query: dict[str, str]) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                piece = b"[" * 65536
                for _ in range(1024):  # at most 64 MiB
                    if server.stop.is_set():
                        return
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))

            def _gzip(self, query: dict[str, str]) -> None:
                import gzip

                body = gzip.compress(b"\0" * 10_000_000)
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Encoding", "gzip")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _many_headers(self, query: dict[str, str]) -> None:
                self.send_response(200)
                for index in range(5000):
                    self.send_header(f"X-H{index}", "x")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def _html(self, query: dict[str, str]) -> None:
                self._send(200, b"<html><script>alert(1)</script></html>", "text/html")

            def _status(self, query: dict[str, str]) -> None:
                self._send(int(query.get("code", "500")), b"{}")

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def url(self, path: str) -> str:
        """Return the absolute URL of path on this server."""
        return self.base + path


@pytest.fixture
def hostile_server(guard: NetGuard) -> Iterator[HostileServer]:
    """A running HostileServer, registered with the guard as an allowed test server."""
    server = HostileServer()
    guard.allow(("127.0.0.1", server.port))
    server.thread.start()
    try:
        yield server
    finally:
        server.stop.set()
        server.httpd.shutdown()
        server.httpd.server_close()
        server.thread.join(5)
        time.sleep(0)
