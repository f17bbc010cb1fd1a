"""Helpers of the HTTP and scale-out benchmarks: databases, servers, wrk, sign-in, seeding."""

from __future__ import annotations

import http.client
import os
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Callable
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
BIN = ROOT / ".venv" / "bin"
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

HOLDER_EMAIL = "holder@bench.example"
IMPORTER_EMAIL = "importer@bench.example"
VISITOR_EMAIL = "other@bench.example"
PASSWORD = "Bench-Passw0rd"


# --- small utilities ---------------------------------------------------------------------------


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def median_ms(action: Callable[[], Any], repeat: int, warmup: int = 1) -> float:
    """Run action warm-up times, then repeat times; return the median wall time in ms."""
    for _ in range(warmup):
        action()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        samples.append((time.perf_counter() - started) * 1000)
    return round(statistics.median(samples), 2)


def wall_and_cpu_ms(action: Callable[[], Any], repeat: int, warmup: int = 1) -> dict[str, float]:
    """Return the median wall time and the median CPU time (this process) of action, in ms.

    CPU time is the work done whatever else runs on the machine; wall time includes waiting
    for a core when the machine is busy (compare both before trusting a wall figure).
    """
    for _ in range(warmup):
        action()
    wall, cpu = [], []
    for _ in range(repeat):
        started, started_cpu = time.perf_counter(), time.process_time()
        action()
        cpu.append((time.process_time() - started_cpu) * 1000)
        wall.append((time.perf_counter() - started) * 1000)
    return {
        "wall_ms": round(statistics.median(wall), 2),
        "cpu_ms": round(statistics.median(cpu), 2),
    }


def rss_kb(pid: int) -> int:
    """Return the resident set size of a process in KiB (VmRSS of /proc/<pid>/status)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def children(pid: int) -> list[int]:
    """Return the child processes of pid (gunicorn's workers)."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        found.extend(int(p) for p in text)
    return sorted(found)


def have(command: str) -> bool:
    """Return whether a program is on PATH."""
    return shutil.which(command) is not None


# --- databases and Redis -----------------------------------------------------------------------


@contextmanager
def postgres() -> Iterator[str | None]:
    """Yield the URL of a throwaway PostgreSQL cluster (scripts/pg_throwaway.sh), or None."""
    if not list(Path("/usr/lib/postgresql").glob("*/bin/initdb")):
        yield None
        return
    base = tempfile.mkdtemp(prefix="wallet-bench-pg.")
    port = free_port()
    try:
        url = subprocess.run(
            ["bash", str(ROOT / "scripts" / "pg_throwaway.sh"), "start", base, str(port)],
            check=True, capture_output=True, text=True, timeout=120,
        ).stdout.strip().splitlines()[-1]
        yield url
    finally:
        subprocess.run(
            ["bash", str(ROOT / "scripts" / "pg_throwaway.sh"), "stop", base],
            capture_output=True, timeout=60,
        )


@contextmanager
def redis_server() -> Iterator[str | None]:
    """Yield the URL of a private redis-server on a random loopback port (no persistence)."""
    if not have("redis-server"):
        yield None
        return
    port = free_port()
    process = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--daemonize", "no", "--loglevel", "warning"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(16).startswith(b"+PONG"):
                        break
            except OSError:
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()


# --- gunicorn ----------------------------------------------------------------------------------


@dataclass
class Server:
    """One gunicorn master on 127.0.0.1."""

    port: int
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def base(self) -> str:
        """Return the server's base URL."""
        return f"http://127.0.0.1:{self.port}"

    def workers(self) -> list[int]:
        """Return the pids of the worker processes."""
        return children(self.process.pid)


def app_env(database_url: str, **extra: str) -> dict[str, str]:
    """Return the environment of the app in production settings against database_url."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("WALLET_")}
    env.update(
        {
            "WALLET_ENV": "production",
            "WALLET_SECRET_KEY": extra.pop("WALLET_SECRET_KEY", secrets.token_urlsafe(32)),
            "WALLET_DATABASE_URL": database_url,
            "WALLET_BASE_URL": "https://wallet.bench.example",
            # The load comes from one address: lift the per-address miss limit above the load
            # (the limiter still runs, so its cost is measured).
            "WALLET_RATELIMIT_PUBLIC_MISSES": "10000000 per minute",
            "PYTHONDONTWRITEBYTECODE": "1",
        }
    )
    env.update(extra)
    return env


@contextmanager
def gunicorn(
    app_spec: str, env: dict[str, str], *, workers: int = 2, chdir: Path | None = None,
    probe: str = "/",
) -> Iterator[Server]:
    """Serve app_spec with `gunicorn -w N -k sync` on a random loopback port, no access log.

    The app's own log lines (one per request in production) go to the log file, as they would
    to the journal, not to this terminal (--capture-output).
    """
    port = free_port()
    log = Path(tempfile.mkstemp(prefix="wallet-bench-gunicorn.", suffix=".log")[1])
    command = [
        str(BIN / "gunicorn"), "-w", str(workers), "-k", "sync", "-b", f"127.0.0.1:{port}",
        "--error-logfile", str(log), "--log-level", "warning", "--capture-output",
    ]
    if chdir is not None:
        command += ["--chdir", str(chdir)]
    command.append(app_spec)
    process = subprocess.Popen(command, env=env, cwd=str(ROOT))
    server = Server(port, process, log)
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {log.read_text()[-2000:]}")
            try:
                status, _headers, _body = request(server.base, "GET", probe)
                if status < 500 and len(server.workers()) >= workers:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn did not answer: {log.read_text()[-2000:]}")
            time.sleep(0.1)
        yield server
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
        log.unlink(missing_ok=True)


# --- HTTP client -------------------------------------------------------------------------------


def request(
    base: str, method: str, path: str, *, body: bytes | None = None,
    headers: dict[str, str] | None = None, timeout: float = 30.0,
) -> tuple[int, http.client.HTTPMessage, bytes]:
    """Send one request (no redirects followed); return status, headers and body."""
    parts = urllib.parse.urlsplit(base)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.headers, response.read()
    finally:
        connection.close()


def cookie_of(headers: http.client.HTTPMessage, name: str) -> str | None:
    """Return 'name=value' from the Set-Cookie headers, if set."""
    for value in headers.get_all("Set-Cookie") or []:
        pair = value.split(";", 1)[0]
        if pair.startswith(name + "="):
            return pair
    return None


CSRF_INPUT = re.compile(r'<input[^>]*name="csrf_token"[^>]*>')
VALUE = re.compile(r'value="([^"]+)"')


def csrf_token(html: bytes) -> str:
    """Return the CSRF token of the first form on a page."""
    match = CSRF_INPUT.search(html.decode("utf-8", "replace"))
    if match is None:
        raise RuntimeError("no csrf_token on the page")
    value = VALUE.search(match.group(0))
    if value is None:
        raise RuntimeError("csrf_token without a value")
    return value.group(1)


def login(base: str, email: str, password: str) -> str:
    """Sign in through the real form (CSRF on); return the session 'Cookie' header value."""
    status, headers, body = request(base, "GET", "/auth/login")
    if status != 200:
        raise RuntimeError(f"GET /auth/login: {status}")
    cookie = cookie_of(headers, "wallet_session")
    form = urllib.parse.urlencode(
        {"csrf_token": csrf_token(body), "email": email, "password": password, "next": ""}
    ).encode()
    status, headers, body = request(
        base, "POST", "/auth/login", body=form,
        headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie or ""},
    )
    signed_in = cookie_of(headers, "wallet_session")
    if status not in (302, 303) or signed_in is None:
        raise RuntimeError(f"sign-in failed: {status} {body[:200]!r}")
    return signed_in


# --- wrk ---------------------------------------------------------------------------------------

UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip())
    if match is None:
        return float("nan")
    return round(float(match[1]) * UNITS[match[2]], 3)


def parse_wrk(output: str) -> dict[str, Any]:
    """Return requests/s, latency percentiles and error counts from wrk --latency output."""
    result: dict[str, Any] = {"errors": 0, "non_2xx_3xx": 0, "socket_errors": 0}
    for line in output.splitlines():
        line = line.strip()
        if line.startswith("Requests/sec:"):
            result["rps"] = round(float(line.split()[1]), 1)
        elif re.match(r"^(50|75|90|99)%\s", line):
            pct, value = line.split()
            result["p" + pct.rstrip("%")] = _ms(value)
        elif line.startswith("Non-2xx or 3xx responses:"):
            result["non_2xx_3xx"] = int(line.split(":")[1])
        elif line.startswith("Socket errors:"):
            result["socket_errors"] = sum(int(n) for n in re.findall(r"\d+", line))
        elif re.match(r"^\d+ requests in", line):
            result["requests"] = int(line.split()[0])
    result["errors"] = result["non_2xx_3xx"] + result["socket_errors"]
    return result


def wrk(
    url: str, *, connections: int, duration: float, headers: dict[str, str] | None = None,
    script: str | None = None, stop_file: str | None = None,
) -> dict[str, Any]:
    """Run wrk (one thread) against url for at most `duration` seconds; return parsed figures."""
    command = ["wrk", "-t1", f"-c{connections}", f"-d{duration:g}s", "--latency", "--timeout", "5s"]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    script_path = None
    if script is not None:
        fd, script_path = tempfile.mkstemp(suffix=".lua", prefix="wallet-bench.")
        with os.fdopen(fd, "w") as handle:
            handle.write(script)
        command += ["-s", script_path]
    command.append(url)
    try:
        process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        deadline = time.monotonic() + duration + 30
        # A counted script (counted_paths_script) writes its stop file when done: interrupt wrk
        # then (it prints its summary on SIGINT) rather than leaving idle connections open until
        # -d runs out, which would hold a sync worker in recv() until gunicorn kills it.
        while process.poll() is None and time.monotonic() < deadline:
            if stop_file is not None and os.path.exists(stop_file):
                process.send_signal(signal.SIGINT)
                break
            time.sleep(0.05)
        try:
            stdout, stderr = process.communicate(timeout=max(5.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            stdout, stderr = process.communicate()
    finally:
        if script_path:
            os.unlink(script_path)
        if stop_file is not None and os.path.exists(stop_file):
            os.unlink(stop_file)
    done = subprocess.CompletedProcess(command, process.returncode, stdout, stderr)
    figures = parse_wrk(done.stdout)
    if "rps" not in figures:
        raise RuntimeError(f"wrk failed: {done.stdout} {done.stderr}")
    figures["connections"] = connections
    return figures


def warm_up(url: str, headers: dict[str, str] | None = None, seconds: float = 2.0) -> None:
    """Load url briefly and discard the figures, so that the measured run is the steady state.

    Each gunicorn worker compiles its templates and fills its caches on its first requests
    (tens of ms); without this, those first requests land in the measured p99.
    """
    wrk(url, connections=8, duration=seconds, headers=headers)


def counted_paths_script(paths: list[str], limit: int, stop_file: str) -> str:
    """Return a wrk Lua script cycling through paths; after `limit` responses it stops and
    creates stop_file (wrk(stop_file=...) then interrupts wrk)."""
    quoted = ",".join('"' + p.replace('"', "") + '"' for p in paths)
    return (
        f"local paths = {{{quoted}}}\n"
        "local i = 0\nlocal done = 0\n"
        f"local limit = {int(limit)}\n"
        "request = function()\n  i = i + 1\n"
        "  return wrk.format('GET', paths[(i % #paths) + 1])\nend\n"
        "response = function(status, headers, body)\n  done = done + 1\n"
        "  if done == limit then\n"
        f"    local f = io.open('{stop_file}', 'w'); if f then f:close() end\n"
        "    wrk.thread:stop()\n  end\nend\n"
    )


def stop_file_path() -> str:
    """Return a fresh path for a counted run's stop file (not created)."""
    return os.path.join(tempfile.gettempdir(), f"wallet-bench-stop-{secrets.token_hex(8)}")


# --- seeding -----------------------------------------------------------------------------------


@dataclass
class Seeded:
    """What the seeding put in the database."""

    holder_id: int
    real_badge_id: int
    real_public_id: str
    badge_ids: list[int] = field(default_factory=list)
    public_ids: list[str] = field(default_factory=list)
    other_public_ids: list[str] = field(default_factory=list)
    seconds: float = 0.0


def bench_config(database_url: str, **overrides: Any) -> dict[str, Any]:
    """Return the in-process configuration used for seeding and in-process measurements."""
    config: dict[str, Any] = {
        "DATABASE_URL": database_url,
        "SECRET_KEY": "bench-in-process-" + secrets.token_hex(8),
        "BASE_URL": "https://wallet.bench.example",
        "RATELIMIT_ENABLED": False,
        "MAIL_BACKEND": "outbox",
        "MAIL_OUTBOX_DIR": tempfile.mkdtemp(prefix="wallet-bench-outbox."),
    }
    config.update(overrides)
    return config


def _user(email: str, family: str, given: str) -> Any:
    from wallet.services import accounts

    return accounts.create_user(
        accounts.Registration(
            email=email, family_name=family, given_name=given, password=PASSWORD,
            name_order="family-first", language="ja",
        ),
        verified=True,
    )


def seed(app: Any, n_badges: int = 1000, n_other: int = 5) -> Seeded:
    """Create the tables and a holder of n_badges (one real signed badge copied), plus others.

    The copies share the real badge's signed content but get distinct credential keys, public
    ids, names and dates, inserted in bulk (executemany with RETURNING).
    """
    from sqlalchemy import insert
    from sqlalchemy import select

    from tests.badge_factory import ob3_png
    from wallet.extensions import db
    from wallet.models import Badge
    from wallet.models import BadgeContent
    from wallet.models import new_public_id
    from wallet.openbadges.fetch import OfflineFetcher
    from wallet.services import badge_import

    started = time.perf_counter()
    try:  # the issuing tables, when that feature is present
        import wallet.models  # noqa: F401
    except ImportError:
        pass
    with app.app_context():
        db.create_all()
        holder = _user(HOLDER_EMAIL, "コンクリート", "太郎")
        other = _user(VISITOR_EMAIL, "鈴木", "花子")
        _user(IMPORTER_EMAIL, "佐藤", "次郎")
        with app.test_request_context():
            real = badge_import.import_badge(
                holder, ob3_png(email=HOLDER_EMAIL), fetcher=OfflineFetcher()
            )
        badge = real.badge
        content = db.session.get(BadgeContent, badge.id)
        seeded = Seeded(holder.id, badge.id, badge.public_id)
        template = {
            column.key: getattr(badge, column.key)
            for column in Badge.__table__.columns
            if column.key not in ("id", "public_id", "credential_key", "name", "created_at",
                                  "user_id")
        }
        blob = {
            column.key: getattr(content, column.key)
            for column in BadgeContent.__table__.columns
            if column.key != "badge_id"
        }
        base_time = datetime.now(UTC) - timedelta(days=3 * n_badges)

        def rows(user_id: int, count: int, label: str) -> list[dict[str, Any]]:
            return [
                {
                    **template,
                    "user_id": user_id,
                    "public_id": new_public_id(),
                    "credential_key": secrets.token_hex(32),
                    "name": f"{badge.name} {label}{i:04d}",
                    "created_at": base_time + timedelta(days=3 * i),
                }
                for i in range(count)
            ]

        for user_id, count, label in ((holder.id, n_badges - 1, "#"), (other.id, n_other, "O")):
            if count <= 0:
                continue
            ids = list(
                db.session.scalars(
                    insert(Badge).returning(Badge.id, sort_by_parameter_order=True),
                    rows(user_id, count, label),
                )
            )
            if ids:
                db.session.execute(
                    insert(BadgeContent), [{**blob, "badge_id": i} for i in ids]
                )
        db.session.commit()
        listed = db.session.execute(
            select(Badge.id, Badge.public_id, Badge.user_id).order_by(Badge.id)
        ).all()
        seeded.badge_ids = [r.id for r in listed if r.user_id == holder.id]
        seeded.public_ids = [r.public_id for r in listed if r.user_id == holder.id]
        seeded.other_public_ids = [r.public_id for r in listed if r.user_id == other.id]
        db.session.remove()
    seeded.seconds = round(time.perf_counter() - started, 2)
    return seeded


class QueryCounter:
    """Count SQL statements sent through an engine (before_cursor_execute)."""

    def __init__(self, engine: Any) -> None:
        from sqlalchemy import event

        self.count = 0
        self.engine = engine
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, *args: Any) -> None:
        self.count += 1

    def close(self) -> None:
        """Stop counting."""
        from sqlalchemy import event

        event.remove(self.engine, "before_cursor_execute", self._seen)

    def during(self, action: Callable[[], Any]) -> int:
        """Return how many statements action sent."""
        before = self.count
        action()
        return self.count - before


def signed_in_client(app: Any, email: str = HOLDER_EMAIL) -> Any:
    """Return a test client signed in as email (CSRF must be off in that app)."""
    client = app.test_client()
    response = client.post("/auth/login", data={"email": email, "password": PASSWORD})
    if response.status_code not in (302, 303):
        raise RuntimeError(f"in-process sign-in failed: {response.status_code}")
    return client
