"""Instances of this app served on loopback ports, for tests that need real HTTP between them."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass
class LiveApp:
    """One app on http://127.0.0.1:<port> with its own database and outbox."""

    app: Any
    url: str
    outbox_dir: Path

    def context(self) -> Any:
        """Return an app context of this instance."""
        return self.app.app_context()


@contextmanager
def live_app(base: Path, name: str, **overrides: Any) -> Iterator[LiveApp]:
    """Serve a fresh instance (SQLite file, CSRF on, loopback fetches allowed) until exit."""
    from werkzeug.serving import make_server

    from tests.conftest import CHEAP_HASHING
    from wallet import create_app
    from wallet.extensions import db

    folder = base / name
    folder.mkdir(parents=True, exist_ok=True)
    app = create_app(
        {
            "SECRET_KEY": f"live-{name}-secret-key",
            "DATABASE_URL": f"sqlite:///{folder / 'wallet.db'}",
            "MAIL_BACKEND": "outbox",
            "MAIL_OUTBOX_DIR": str(folder / "outbox"),
            "RATELIMIT_ENABLED": False,
            "FETCH_ALLOWED_NETWORKS": ["127.0.0.1/32"],
            # Both instances live on 127.0.0.1: cookies do not tell ports apart.
            "SESSION_COOKIE_NAME": f"wallet_{name}",
            "BASE_URL": "http://127.0.0.1",
            **CHEAP_HASHING,
            **overrides,
        }
    )
    app.instance_path = str(folder / "instance")
    with app.app_context():
        db.create_all()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    url = f"http://127.0.0.1:{server.server_port}"
    app.config["BASE_URL"] = url
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    try:
        yield LiveApp(app, url, folder / "outbox")
    finally:
        server.shutdown()
        thread.join(5)
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def csrf_token(html: str) -> str:
    """Return the CSRF token of the first form on a page."""
    match = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html)
    if match is None:
        match = re.search(r'id="csrf_token" name="csrf_token" type="hidden" value="([^"]+)"', html)
    assert match is not None, "no CSRF token on the page"
    return match.group(1)


def sign_in(session: Any, base: str, email: str, password: str) -> None:
    """Sign in through the real form with a requests session."""
    page = session.get(base + "/auth/login")
    response = session.post(
        base + "/auth/login",
        data={"email": email, "password": password, "csrf_token": csrf_token(page.text)},
        allow_redirects=False,
    )
    assert response.status_code in (302, 303), response.text[:500]


def approve_consent(holder: Any, base: str, url: str) -> str:
    """Approve on the consent page as the signed-in holder; return the redirect to the client."""
    from html import unescape

    page = holder.get(url)
    assert page.status_code == 200, page.text[:500]
    action = re.search(r'<form id="consent-form" method="post" action="([^"]+)"', page.text)
    assert action is not None
    response = holder.post(
        base + unescape(action.group(1)),
        data={"decision": "approve", "badges": "public", "csrf_token": csrf_token(page.text)},
        allow_redirects=False,
    )
    assert response.status_code == 302, response.text[:500]
    return response.headers["Location"]


SCHEMATHESIS_CHECKS = (
    "not_a_server_error,status_code_conformance,content_type_conformance,"
    "response_headers_conformance,response_schema_conformance,negative_data_rejection,"
    "ignored_auth,unsupported_method"
)


def schemathesis_command() -> str | None:
    """Return the schemathesis command installed with the test dependencies, if any."""
    local = Path(sys.executable).with_name("schemathesis")
    return str(local) if local.exists() else shutil.which("schemathesis")


def run_schemathesis(command: str, description_url: str, token: str, cwd: Path) -> Any:
    """Run Schemathesis against an API description with a bearer token; return the process."""
    return subprocess.run(
        [
            command,
            "run",
            description_url,
            "--checks",
            SCHEMATHESIS_CHECKS,
            "--header",
            f"Authorization: Bearer {token}",
            "--phases",
            "examples,coverage,fuzzing",
            "--max-examples",
            "25",
            "--workers",
            "1",
            "--seed",
            "1",
            "--request-timeout",
            "20",
        ],
        capture_output=True,
        text=True,
        timeout=500,
        cwd=cwd,
    )
