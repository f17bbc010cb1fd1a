"""Scale-out demo: two gunicorn app processes, one PostgreSQL, one Redis, behaving like one.

Usage: .venv/bin/python scripts/bench_scaleout.py [--seconds S] [--output PATH]

Starts a throwaway PostgreSQL cluster and a private redis-server (random loopback port), seeds a
holder of 200 badges, and serves the app twice (two gunicorn masters, -w 2 -k sync each, same
secret, WALLET_RATELIMIT_STORAGE_URL pointing at Redis) on two ports. A small threaded client
alternates every request between the two: public pages, the wallet home, badge details, and
writes (visibility switches through the holder's POST route with the CSRF token, and imports of
baked PNGs through the import form). Then it checks: no response outside 2xx/3xx, no lost write
(the database holds exactly the successful writes), and one rate limit shared by both processes
(sign-in attempts made on one process are refused on the other). Prints a table and writes
.bench/scaleout.json.
"""

from __future__ import annotations

import argparse
import itertools
import json
import secrets
import sys
import threading
import time
import urllib.parse
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import benchlib as B  # noqa: E402

N_BADGES = 200
WRITES = 120  # badges made private, one POST each (each badge at most once)
IMPORTS = 6  # within the import limit (30 per hour per account)
THREADS = 4


def multipart(
    fields: dict[str, str], files: dict[str, tuple[str, bytes, str]]
) -> tuple[bytes, str]:
    """Encode a multipart/form-data body; return it and its Content-Type."""
    boundary = "bench" + secrets.token_hex(12)
    parts: list[bytes] = []
    for name, value in fields.items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
            .encode()
        )
    for name, (filename, data, media_type) in files.items():
        parts.append(
            (f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
             f'filename="{filename}"\r\nContent-Type: {media_type}\r\n\r\n').encode()
            + data + b"\r\n"
        )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


class Load:
    """The alternating client: counts statuses per server and successful writes."""

    def __init__(self, bases: list[str], cookie: str, token: str, seeded: B.Seeded,
                 seconds: float) -> None:
        self.bases = bases
        self.cookie = cookie
        self.token = token
        self.seconds = seconds
        self.lock = threading.Lock()
        self.turn = itertools.count()
        self.statuses: Counter[str] = Counter()
        self.bad: list[str] = []
        self.writes_ok: list[int] = []
        self.imports_ok = 0
        self.requests = 0
        # Writers take badges from the first part; readers read the rest (never made private).
        self.to_write = list(seeded.badge_ids[:WRITES])
        self.read_ids = seeded.badge_ids[WRITES:]
        self.read_public = seeded.public_ids[WRITES:]
        self.imports_left = IMPORTS

    def _base(self) -> str:
        return self.bases[next(self.turn) % len(self.bases)]

    def _send(self, method: str, path: str, body: bytes | None = None,
              content_type: str | None = None) -> int:
        base = self._base()
        headers = {"Cookie": self.cookie}
        if content_type:
            headers["Content-Type"] = content_type
        status, _headers, _body = B.request(base, method, path, body=body, headers=headers)
        with self.lock:
            self.requests += 1
            self.statuses[f"{status // 100}xx"] += 1
            if not 200 <= status < 400:
                self.bad.append(f"{method} {base}{path} -> {status}")
        return status

    def _next_write(self) -> int | None:
        with self.lock:
            return self.to_write.pop() if self.to_write else None

    def _take_import(self) -> bool:
        with self.lock:
            if self.imports_left <= 0:
                return False
            self.imports_left -= 1
            return True

    def worker(self, number: int, png_sources: list[bytes]) -> None:
        """Loop over a mix of reads and writes until the time is up."""
        deadline = time.monotonic() + self.seconds
        step = 0
        while time.monotonic() < deadline:
            step += 1
            pick = (number * 7 + step) % len(self.read_ids)
            self._send("GET", f"/b/{self.read_public[pick]}")
            self._send("GET", "/" if step % 2 else f"/?page={1 + step % 8}")
            self._send("GET", f"/badges/{self.read_ids[pick]}")
            badge_id = self._next_write()
            if badge_id is not None:
                form = urllib.parse.urlencode(
                    {"csrf_token": self.token, "visibility": "private"}
                ).encode()
                status = self._send("POST", f"/badges/{badge_id}/visibility", form,
                                    "application/x-www-form-urlencoded")
                if status in (302, 303):
                    with self.lock:
                        self.writes_ok.append(badge_id)
            if step % 5 == 0 and self._take_import():
                with self.lock:
                    source = png_sources.pop()
                body, content_type = multipart(
                    {"csrf_token": self.token}, {"file": ("badge.png", source, "image/png")}
                )
                status = self._send("POST", "/badges/import", body, content_type)
                if status in (302, 303):
                    with self.lock:
                        self.imports_ok += 1


def shared_limit(bases: list[str], limit: int) -> dict[str, Any]:
    """Fail sign-in on server A until refused (429); then ask server B once."""
    status, headers, body = B.request(bases[0], "GET", "/auth/login")
    cookie = B.cookie_of(headers, "wallet_session") or ""
    token = B.csrf_token(body)
    form = urllib.parse.urlencode(
        {"csrf_token": token, "email": "nobody@bench.example", "password": "Wrong-passw0rd"}
    ).encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie}
    attempts_a = 0
    last = 0
    for _ in range(limit + 5):
        last, _h, _b = B.request(bases[0], "POST", "/auth/login", body=form, headers=headers)
        attempts_a += 1
        if last == 429:
            break
    on_b, _h, _b = B.request(bases[1], "POST", "/auth/login", body=form, headers=headers)
    return {"attempts_on_a_until_429": attempts_a, "a_refused": last == 429,
            "status_on_b_next": on_b, "shared": last == 429 and on_b == 429}


def private_everywhere(
    bases: list[str], cookie: str, token: str, seeded: B.Seeded
) -> dict[str, Any]:
    """Let both processes keep a visitor's page of a badge, make it private through process 1,
    then ask every process as a visitor at once: each must answer 404 (no cache shows it)."""
    public_id, badge_id = seeded.public_ids[-1], seeded.badge_ids[-1]
    path = f"/b/{public_id}"
    before = [B.request(base, "GET", path)[0] for base in bases for _ in range(4)]
    form = urllib.parse.urlencode({"csrf_token": token, "visibility": "private"}).encode()
    switched, _h, _b = B.request(
        bases[0], "POST", f"/badges/{badge_id}/visibility", body=form,
        headers={"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"},
    )
    after = [B.request(base, "GET", path)[0] for base in reversed(bases) for _ in range(4)]
    return {"before": before, "switch_status": switched, "after": after,
            "ok": set(before) == {200} and switched in (302, 303) and set(after) == {404}}


def run(seconds: float) -> dict[str, Any]:
    """Run the whole demo; return the figures."""
    from sqlalchemy import func
    from sqlalchemy import select

    from tests.badge_factory import ob3_png
    from wallet import create_app
    from wallet.extensions import db
    from wallet.models import Badge

    with B.postgres() as database_url, B.redis_server() as redis_url:
        if database_url is None or redis_url is None:
            return {"skipped": "needs PostgreSQL binaries and redis-server "
                               "(scripts/system_deps.sh wrk redis-server)"}
        app = create_app(B.bench_config(database_url, WTF_CSRF_ENABLED=False))
        seeded = B.seed(app, n_badges=N_BADGES, n_other=0)
        with app.app_context():
            db.engine.dispose()
        secret = secrets.token_urlsafe(32)
        env = B.app_env(
            database_url,
            WALLET_SECRET_KEY=secret,
            WALLET_RATELIMIT_STORAGE_URL=redis_url,
        )
        login_limit = 20
        env["WALLET_RATELIMIT_LOGIN_IP"] = f"{login_limit} per 5 minutes"
        pngs = [ob3_png(email=B.HOLDER_EMAIL, name=f"スケール {i}") for i in range(IMPORTS)]
        with B.gunicorn("wsgi:app", env) as one, \
                B.gunicorn("wsgi:app", env) as two:
            bases = [one.base, two.base]
            cookie = B.login(one.base, B.HOLDER_EMAIL, B.PASSWORD)
            # The session made on one process is valid on the other (same secret, no local state).
            status, headers, body = B.request(
                two.base, "GET", f"/badges/{seeded.badge_ids[-1]}", headers={"Cookie": cookie}
            )
            if status != 200:
                raise RuntimeError(f"session from process 1 refused by process 2: {status}")
            cookie = B.cookie_of(headers, "wallet_session") or cookie
            token = B.csrf_token(body)
            load = Load(bases, cookie, token, seeded, seconds)
            threads = [
                threading.Thread(target=load.worker, args=(n, pngs), daemon=True)
                for n in range(THREADS)
            ]
            started = time.perf_counter()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(seconds + 120)
            elapsed = time.perf_counter() - started
            limit = shared_limit(bases, login_limit)
            hidden = private_everywhere(bases, cookie, token, seeded)
        with app.app_context():
            private = set(
                db.session.scalars(
                    select(Badge.id).where(
                        Badge.user_id == seeded.holder_id, Badge.visibility == "private"
                    )
                )
            )
            total = db.session.scalar(
                select(func.count()).select_from(Badge).where(Badge.user_id == seeded.holder_id)
            )
            db.session.remove()
            db.engine.dispose()
    private.discard(seeded.badge_ids[-1])  # made private on purpose by private_everywhere
    lost = sorted(set(load.writes_ok) - private)
    unexpected = sorted(private - set(load.writes_ok))
    return {
        "processes": 2,
        "workers_per_process": 2,
        "seconds": round(elapsed, 1),
        "requests": load.requests,
        "rps": round(load.requests / elapsed, 1),
        "statuses": dict(load.statuses),
        "errors": len(load.bad),
        "error_samples": load.bad[:10],
        "visibility_writes_ok": len(load.writes_ok),
        "private_in_db": len(private),
        "lost_writes": len(lost) + len(unexpected),
        "imports_ok": load.imports_ok,
        "badges_in_db": total,
        "badges_expected": N_BADGES + load.imports_ok,
        "rate_limit": limit,
        "private_everywhere": hidden,
        "ok": (not load.bad and not lost and not unexpected
               and total == N_BADGES + load.imports_ok and limit["shared"] and hidden["ok"]),
    }


def main() -> int:
    """Run the demo, print the table and write the JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--output", default=str(B.ROOT / ".bench" / "scaleout.json"))
    args = parser.parse_args()
    result = run(args.seconds)
    output = Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    print("\n### Scale-out: 2 gunicorn processes x 2 workers, one PostgreSQL, one Redis\n")
    if "skipped" in result:
        print(f"skipped: {result['skipped']}")
        return 0
    limit = result["rate_limit"]
    rows = [
        ("requests (alternating processes)",
         f"{result['requests']:,} in {result['seconds']} s ({result['rps']} req/s)"),
        ("statuses", ", ".join(f"{k}: {v}" for k, v in sorted(result["statuses"].items()))),
        ("responses outside 2xx/3xx", str(result["errors"])),
        ("visibility writes accepted / private in DB",
         f"{result['visibility_writes_ok']} / {result['private_in_db']}"),
        ("imports accepted / badges in DB (expected)",
         f"{result['imports_ok']} / {result['badges_in_db']} ({result['badges_expected']})"),
        ("lost writes", str(result["lost_writes"])),
        ("shared rate limit",
         f"{limit['attempts_on_a_until_429']} sign-in attempts on process 1 until 429; "
         f"next attempt on process 2: {limit['status_on_b_next']}"),
        ("made private on process 1, visitors on both at once",
         f"before: {sorted(set(result['private_everywhere']['before']))}, "
         f"after: {sorted(set(result['private_everywhere']['after']))}"),
        ("verdict", "OK" if result["ok"] else "FAILED"),
    ]
    print("| check | result |\n|---|---|")
    for name, value in rows:
        print(f"| {name} | {value} |")
    for sample in result["error_samples"]:
        print(f"  error: {sample}", file=sys.stderr)
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
