"""Timing parity of registration and password reset: an address with an account vs one without.

Serves the app on 127.0.0.1 from a child process (threaded werkzeug, the shipped argon2id cost,
mail over real SMTP to an aiosmtpd server in a third process that takes SMTP_DELAY seconds per
message, as a slow mail relay would) and times N answers of each kind with an HTTP client in this
process. Prints medians and writes .bench/enumeration.json. A figure, never a test assertion:
other work shares the machine.

    .venv/bin/python scripts/bench_enumeration.py [--tries 41] [--smtp-delay 0.2] [--pause 0.6]
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import secrets
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PASSWORD = "Velvet#cactus42"


class SlowHandler:
    """An SMTP sink that takes `delay` seconds to accept each message."""

    def __init__(self, delay: float, count: Any) -> None:
        self.delay = delay
        self.count = count

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        await asyncio.sleep(self.delay)
        with self.count.get_lock():
            self.count.value += 1
        return "250 OK"


def _smtp_sink(port: int, delay: float, count: Any, stop: Any) -> None:
    """Run the slow SMTP sink in its own process (as a mail relay is: not the client's)."""
    from aiosmtpd.controller import Controller

    controller = Controller(SlowHandler(delay, count), hostname="127.0.0.1", port=port)
    controller.start()
    stop.wait()
    controller.stop()


def _serve(config: dict[str, object], folder: Path, ready: Any) -> None:
    """Serve the app from this (child) process: the client must not share its interpreter
    lock, or work the server does after an answer would show in the client's clock."""
    import logging

    from werkzeug.serving import make_server

    from wallet import create_app
    from wallet.extensions import db
    from wallet.services import accounts

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no access log per request
    app = create_app(config)
    app.instance_path = str(folder / "instance")
    with app.app_context():
        db.create_all()
        accounts.create_user(
            accounts.Registration(
                email="known@example.com",
                family_name="Known",
                given_name="Holder",
                password=PASSWORD,
            ),
            verified=True,
        )
    server = make_server("127.0.0.1", 0, app, threaded=True)
    ready.send(server.server_port)
    server.serve_forever()


def _post(conn: http.client.HTTPConnection, path: str, form: dict[str, str]) -> tuple[float, int]:
    """POST a form; return (milliseconds until the whole answer was read, status)."""
    body = urlencode(form)
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    start = time.perf_counter()
    conn.request("POST", path, body=body, headers=headers)
    response = conn.getresponse()
    response.read()
    return (time.perf_counter() - start) * 1000, response.status


def _registration(email: str) -> dict[str, str]:
    return {
        "email": email,
        "family_name": "Bench",
        "given_name": "Mark",
        "name_order": "given-first",
        "language": "en",
        "password": PASSWORD,
        "password_confirm": PASSWORD,
    }


def measure(tries: int, smtp_delay: float, pause: float) -> dict[str, object]:
    """Return the medians (ms) of each kind of answer, interleaved so load drifts hit both."""
    import multiprocessing

    spawn = multiprocessing.get_context("spawn")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        smtp_port = probe.getsockname()[1]
    delivered, stop = spawn.Value("i", 0), spawn.Event()
    smtp = spawn.Process(
        target=_smtp_sink, args=(smtp_port, smtp_delay, delivered, stop), daemon=True
    )
    smtp.start()
    time.sleep(2)  # the sink listens before the first mail
    folder = Path(tempfile.mkdtemp(prefix="wallet-bench-enum."))
    config = {
        "SECRET_KEY": secrets.token_urlsafe(32),
        "DATABASE_URL": f"sqlite:///{folder / 'bench.db'}",
        "BASE_URL": "http://127.0.0.1",
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "MAIL_BACKEND": "smtp",
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": smtp_port,
    }
    receive, send = multiprocessing.Pipe(duplex=False)
    child = spawn.Process(target=_serve, args=(config, folder, send), daemon=True)
    child.start()
    if not receive.poll(120):
        raise SystemExit("the wallet server did not start within 120 s")
    conn = http.client.HTTPConnection("127.0.0.1", receive.recv(), timeout=30)
    timings: dict[str, list[float]] = {
        k: [] for k in ("register_known", "register_new", "reset_known", "reset_unknown")
    }
    try:
        for warm in range(3):  # first requests pay for imports and template compilation
            _post(conn, "/auth/register", _registration(f"warm{warm}@example.com"))
            _post(conn, "/auth/forgot", {"email": "known@example.com"})
        for index in range(tries):
            pairs = [
                ("register_known", "/auth/register", _registration("known@example.com")),
                ("register_new", "/auth/register", _registration(f"new{index}@example.com")),
                ("reset_known", "/auth/forgot", {"email": "known@example.com"}),
                ("reset_unknown", "/auth/forgot", {"email": f"nobody{index}@example.com"}),
            ]
            if index % 2:
                pairs.reverse()  # neither kind always goes first
            for name, path, form in pairs:
                elapsed, status = _post(conn, path, form)
                assert status == 303, (name, status)
                timings[name].append(elapsed)
                # The work queued after each answer (hashing, SMTP) must not land in the next
                # answer's time: wait until it is done (the worker is idle again).
                time.sleep(pause)
        time.sleep(smtp_delay * 4 + 1)  # let the mails queued after the last answers go out
    finally:
        conn.close()
        child.terminate()
        child.join(10)
        stop.set()
        smtp.join(10)
    medians = {name: round(statistics.median(values), 2) for name, values in timings.items()}
    return {
        "tries": tries,
        "pause_s": pause,
        "smtp_delay_ms": round(smtp_delay * 1000),
        "mails_delivered": delivered.value,
        "median_ms": medians,
        "p90_ms": {
            name: round(statistics.quantiles(values, n=10)[-1], 2)
            for name, values in timings.items()
        },
        "difference_ms": {
            "register": round(medians["register_new"] - medians["register_known"], 2),
            "reset": round(medians["reset_known"] - medians["reset_unknown"], 2),
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tries", type=int, default=41)
    parser.add_argument("--smtp-delay", type=float, default=0.2)
    parser.add_argument("--pause", type=float, default=0.6, help="seconds between requests")
    args = parser.parse_args()
    result = measure(args.tries, args.smtp_delay, args.pause)
    out = ROOT / ".bench" / "enumeration.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    medians = result["median_ms"]
    print(
        f"timing parity, median of {args.tries} answers (ms), SMTP {args.smtp_delay * 1000:.0f} ms"
    )
    for kind, known, other in (("register", "known", "new"), ("reset", "known", "unknown")):
        a, b = medians[f"{kind}_{known}"], medians[f"{kind}_{other}"]
        print(f"  {kind:9} {known} address {a:8.2f}   {other} address {b:8.2f}")
    print(f"  mails delivered after the answers: {result['mails_delivered']}")
    print(f"wrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
