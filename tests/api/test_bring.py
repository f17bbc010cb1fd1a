"""Bringing badges from another wallet: what the holder is told when the other host misbehaves."""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from tests.api import helpers as h

# The holder reads Japanese (tests.conftest.user): the messages are checked as shown.
NOT_FOUND = "Open Badges 3.0 API に対応したウォレットが見つかりませんでした"


class FakeHost:
    """An HTTP server on loopback answering discovery and registration as configured."""

    def __init__(self) -> None:
        self.discovery: Any = None
        self.registration_status = 201
        self.registered: list[dict[str, Any]] = []
        host = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _send(self, status: int, body: Any) -> None:
                data = body if isinstance(body, bytes) else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                self._send(200, host.discovery)

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                host.registered.append(json.loads(self.rfile.read(length)))
                self._send(host.registration_status, {"client_id": "c1", "client_secret": "s1"})

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_port}"
        self.discovery = _document(self.url)


def _document(base: str) -> dict[str, Any]:
    return {
        "openapi": "3.0.1",
        "info": {"title": "Other wallet"},
        "servers": [{"url": base + "/ims/ob/v3p0"}],
        "components": {
            "securitySchemes": {
                "OAuth2ACG": {
                    "type": "oauth2",
                    "x-imssf-registrationUrl": base + "/register",
                    "flows": {
                        "authorizationCode": {
                            "authorizationUrl": base + "/authorize",
                            "tokenUrl": base + "/token",
                            "scopes": {h.READ: "read"},
                        }
                    },
                }
            }
        },
    }


@contextmanager
def fake_host() -> Iterator[FakeHost]:
    host = FakeHost()
    thread = threading.Thread(target=host.httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield host
    finally:
        host.httpd.shutdown()
        host.httpd.server_close()
        thread.join(5)


@pytest.fixture
def app_config(app_config):
    return {**app_config, "FETCH_ALLOWED_NETWORKS": ["127.0.0.1/32"]}


def _bring(client, address: str):
    return client.post("/account/bring", data={"address": address})


def _hosts(app) -> int:
    from wallet.extensions import db
    from wallet.models import RemoteHost

    with app.app_context():
        return db.session.scalar(db.select(db.func.count()).select_from(RemoteHost))


def test_discovery_registration_and_the_way_to_the_other_wallet(app, client, auth, user) -> None:
    auth.login()
    with fake_host() as host:
        response = _bring(client, host.url)
        assert response.status_code == 303
        go = client.get(response.headers["Location"])
        html = go.get_data(as_text=True)
        assert host.url + "/authorize?" in html and "code_challenge_method=S256" in html
        [metadata] = host.registered
        assert metadata["redirect_uris"] == ["https://wallet.example.test/account/bring/callback"]
        assert metadata["token_endpoint_auth_method"] == "client_secret_basic"
        assert metadata["scope"] == h.READ
        # a second run reuses the registration
        assert _bring(client, host.url + "/ims/ob/v3p0").status_code == 303
        assert len(host.registered) == 1 and _hosts(app) == 1


@pytest.mark.parametrize(
    ("address", "words"),
    [
        ("https://169.254.169.254", NOT_FOUND),
        ("http://169.254.169.254", "https:// から入力してください"),
        ("https://[::ffff:127.0.0.1]:8080/", NOT_FOUND),
        ("https://10.0.0.1/", NOT_FOUND),
        ("file:///etc/passwd", "https:// から入力してください"),
        ("javascript:alert(1)", "https:// から入力してください"),
        ("https://wallet.example.test", "それはこのウォレットです"),
    ],
)
def test_addresses_that_cannot_be_used(app, client, auth, user, address, words) -> None:
    app.config["FETCH_ALLOWED_NETWORKS"] = []
    auth.login()
    response = _bring(client, address)
    assert response.status_code == 422
    assert words in response.get_data(as_text=True)
    assert _hosts(app) == 0


@pytest.mark.parametrize(
    "document",
    [
        {"openapi": "3.0.1"},
        [],
        b"<html>not an API</html>",
        {**_document("http://127.0.0.1:1"), "servers": [{"url": "javascript:alert(1)"}]},
    ],
)
def test_a_host_without_a_usable_discovery_document(app, client, auth, user, document) -> None:
    auth.login()
    with fake_host() as host:
        host.discovery = document
        response = _bring(client, host.url)
    assert response.status_code == 422
    assert NOT_FOUND in response.get_data(as_text=True)
    assert _hosts(app) == 0


def test_a_host_that_refuses_registration(app, client, auth, user) -> None:
    auth.login()
    with fake_host() as host:
        host.registration_status = 401
        response = _bring(client, host.url)
    assert response.status_code == 422
    assert "連携を受け付けませんでした" in response.get_data(as_text=True)
    assert _hosts(app) == 0


def test_a_return_with_another_state_imports_nothing(app, client, auth, user) -> None:
    auth.login()
    with fake_host() as host:
        assert _bring(client, host.url).status_code == 303
        back = client.get("/account/bring/callback?code=abc&state=forged")
    assert back.status_code == 303 and back.headers["Location"].endswith("/account/bring")


def test_a_denied_consent_is_reported(app, client, auth, user) -> None:
    auth.login()
    with fake_host() as host:
        assert _bring(client, host.url).status_code == 303
        with client.session_transaction() as session:
            state = session["bring"]["state"]
        back = client.get(f"/account/bring/callback?error=access_denied&state={state}")
        report = client.get(back.headers["Location"])
    assert "アクセスが許可されなかった" in report.get_data(as_text=True)
    again = client.get(f"/account/bring/callback?error=access_denied&state={state}")
    assert again.headers["Location"].endswith("/account/bring")  # a state works once


def test_another_holders_report_is_not_found(app, client, auth, user) -> None:
    from tests.conftest import make_user

    auth.login()
    with fake_host() as host:
        _bring(client, host.url)
        with client.session_transaction() as session:
            pending = dict(session["bring"])
        back = client.get(f"/account/bring/callback?error=access_denied&state={pending['state']}")
    report_path = back.headers["Location"]
    with app.app_context():
        make_user("hanako@example.com")
    auth.logout()
    auth.login("hanako@example.com")
    assert client.get(report_path).status_code == 404
    assert client.get(f"/account/bring/{pending['run']}/go").status_code == 404
