"""The npm OpenID4VCI issuer (tests/interop/oid4vci/issuer.mjs) as a server on 127.0.0.1."""

from __future__ import annotations

import json
import shutil
import subprocess
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

FOLDER = Path(__file__).resolve().parent / "interop" / "oid4vci"


class NpmIssuer:
    """A running issuer: make offers, read what it saw."""

    def __init__(self, port: int, did: str) -> None:
        self.port = port
        self.did = did
        self.base = f"http://127.0.0.1:{port}"

    def _call(self, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            self.base + path, data=data, method="POST" if data else "GET"
        )
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 (loopback)
            return json.loads(response.read())

    def offer(self, **options: Any) -> dict[str, Any]:
        """Create an offer: issuer ("v1" or "draft13"), configurations, tx_code, by_reference,
        stale_nonce, bind_to; return {"offer", "code", "object"}."""
        return self._call("/admin/offers", options)

    def events(self) -> list[dict[str, Any]]:
        """Return what the issuer did so far (tokens, refusals, credentials)."""
        return list(self._call("/admin/events")["events"])


@contextmanager
def npm_issuer() -> Iterator[NpmIssuer]:
    """Start the issuer (installed by scripts/fetch_npm_interop.py) and stop it afterwards."""
    node = shutil.which("node")
    assert node, "Node.js is needed for the OpenID4VCI issuer (it is on the project's machines)"
    assert (FOLDER / "node_modules" / "@openid4vc" / "openid4vci").is_dir(), (
        "the OpenID4VCI issuer is not installed: `make test-deps` (scripts/fetch_npm_interop.py)"
    )
    process = subprocess.Popen(
        [node, str(FOLDER / "issuer.mjs")],
        cwd=FOLDER,
        stdout=subprocess.PIPE,
        # Its errors go to the suite's stderr: a pipe nobody reads could fill and stall it.
        stderr=None,
        text=True,
    )
    try:
        line = process.stdout.readline() if process.stdout else ""
        if not line:
            raise RuntimeError("the npm issuer did not start (its error is on stderr above)")
        started = json.loads(line)
        yield NpmIssuer(int(started["port"]), str(started["issuer"]))
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()
