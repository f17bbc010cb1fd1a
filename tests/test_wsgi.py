"""`gunicorn wsgi:app` serves the application, as the README's production section says."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_gunicorn_serves_wsgi_app(tmp_path):
    port = _free_port()
    env = dict(os.environ)
    env.update(
        WALLET_DATABASE_URL=f"sqlite:///{tmp_path / 'wsgi.db'}",
        WALLET_SECRET_KEY="a-test-secret-that-is-long-enough-for-this",
    )
    gunicorn = Path(sys.executable).with_name("gunicorn")
    server = subprocess.Popen(
        [str(gunicorn), "-w", "1", "-b", f"127.0.0.1:{port}", "wsgi:app"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            assert server.poll() is None, server.stderr.read().decode()[-2000:]
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/auth/login", timeout=5) as r:
                    status, body = r.status, r.read().decode()
                break
            except OSError:
                assert time.monotonic() < deadline, "gunicorn did not answer within 30 s"
                time.sleep(0.2)
        assert status == 200
        assert 'name="password"' in body
    finally:
        server.terminate()
        server.wait(timeout=10)
        server.stderr.close()
