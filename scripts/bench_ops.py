"""What the request log line and the metrics cost on the verification page, and what /metrics shows.

Seeds a holder of 200 badges on SQLite, then serves the app with gunicorn in production
settings (`gunicorn wsgi:app -w 2 -k sync`, as bench_http.py) three ways: without the request
log line and metrics (WALLET_LOG_REQUESTS=0), with the JSON request log (written to gunicorn's
log file, as to a journal), and with the log and metrics (WALLET_METRICS_ALLOWED_NETWORKS,
multiprocess mode). Each drives /b/<id> with wrk at c=2 and c=8 after a warm-up, in two rounds
(off, log, log+metrics, then again) so that drift in the machine's load shows. Then, against
the last server, the operator commands award (mails queued on a private redis-server and sent
by `wallet worker --burst`), import and render a PDF, and /metrics is read: the families it
shows are listed. Prints a table; writes .bench/ops.json.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import statistics
import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import benchlib as B  # noqa: E402

ROOT = B.ROOT
OUT = ROOT / ".bench" / "ops.json"
CONNECTIONS = (2, 8)
VARIANTS = {
    "off": {"WALLET_LOG_REQUESTS": "0"},
    "log": {"WALLET_LOG_FORMAT": "json"},
    "log+metrics": {"WALLET_LOG_FORMAT": "json", "WALLET_METRICS_ALLOWED_NETWORKS": "127.0.0.1/32"},
}


def measure(env: dict[str, str], path: str, duration: float) -> dict[str, Any]:
    """Serve the app with env, warm /b/<id> up, then run wrk at each concurrency."""
    figures: dict[str, Any] = {}
    with B.gunicorn("wsgi:app", env) as server:
        status, _headers, _body = B.request(server.base, "GET", path)
        if status != 200:
            raise RuntimeError(f"{path}: HTTP {status}")
        B.warm_up(server.base + path)
        for c in CONNECTIONS:
            figures[f"c{c}"] = B.wrk(server.base + path, connections=c, duration=duration)
        log_lines = sum(1 for _ in server.log.open(encoding="utf-8", errors="replace"))
    figures["log_lines"] = log_lines
    return figures


IN_PROCESS = {
    "off": {"LOG_REQUESTS": False},
    "log": {"LOG_FORMAT": "json"},
    "log+metrics": {"LOG_FORMAT": "json", "METRICS_ALLOWED_NETWORKS": "127.0.0.1/32"},
}


def in_process(database_url: str, path: str, requests: int = 2000) -> dict[str, Any]:
    """CPU time per request of the whole WSGI stack for `path`, in this process, per variant.

    CPU time counts the work whatever else the machine runs (wrk's figures on a busy 2-core
    machine drift more than the difference sought). The log lines go to /dev/null (formatted
    and written all the same); the page comes from the page cache, as a repeat visit does.
    """
    from io import BytesIO

    from wallet import create_app

    environ_base = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "bench",
        "SERVER_PORT": "443",
        "wsgi.url_scheme": "https",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "wallet.bench.example",
        "HTTP_ACCEPT_LANGUAGE": "ja",
        "wsgi.input": BytesIO(b""),
        "wsgi.errors": sys.stderr,
    }

    def start_response(status: str, headers: list[Any], exc_info: Any = None) -> None:
        if not status.startswith("200"):
            raise RuntimeError(f"{path}: {status}")

    out: dict[str, Any] = {}
    saved = sys.stderr
    for variant, extra in IN_PROCESS.items():
        app = create_app(B.bench_config(database_url, ENV="production", **extra))
        sys.stderr = open(os.devnull, "w")  # noqa: SIM115 (closed below)
        try:

            def one(app: Any = app) -> None:
                for _ in range(requests):
                    body = app(dict(environ_base), start_response)
                    b"".join(body)

            figures = B.wall_and_cpu_ms(one, repeat=5)
        finally:
            sys.stderr.close()
            sys.stderr = saved
        out[variant] = {k: round(v * 1000 / requests, 2) for k, v in figures.items()}  # µs
        with app.app_context():
            from wallet.extensions import db

            db.engine.dispose()
    return out


def wallet(env: dict[str, str], *args: str) -> str:
    """Run a `wallet` command with env; return its stdout (raise with its stderr on failure)."""
    done = subprocess.run(
        [str(B.BIN / "wallet"), *args], capture_output=True, text=True, env=env, timeout=600
    )
    if done.returncode != 0:
        raise RuntimeError(f"wallet {' '.join(args)}: {done.stderr[-1500:]}")
    return done.stdout


def tour(database_url: str, env: dict[str, str], seeded: B.Seeded) -> dict[str, Any]:
    """Award (queued mails, sent by a worker), import, render; then read /metrics."""
    from wallet import create_app
    from wallet.extensions import db
    from wallet.services import accounts
    from wallet.services.issuing import issuers

    slug = "ops-" + secrets.token_hex(3)
    operator = f"{slug}@bench.example"  # `wallet award` acts as an operator of the issuer
    app = create_app(B.bench_config(database_url, SECRET_KEY=env["WALLET_SECRET_KEY"]))
    with app.test_request_context():
        owner = accounts.create_user(
            accounts.Registration(operator, "ベンチ", "担当", secrets.token_urlsafe(16)),
            verified=True,
        )
        issuer = issuers.create_issuer(
            slug, "ベンチ研究所", "https://bench.example", "office@bench.example", owner=owner
        )
        issuers.create_achievement(issuer, "diag", "コンクリート診断士", "Benchmark.", "Pass.")
        db.session.remove()
        db.engine.dispose()
    with tempfile.TemporaryDirectory(prefix="wallet-bench-ops.") as folder:
        csv_path = Path(folder) / "awards.csv"
        csv_path.write_text(
            "email,family_name,given_name,issue_date\n"
            + "".join(
                f"ops{i}@bench.example,山田,太郎{i},{date.today().isoformat()}\n" for i in range(3)
            ),
            encoding="utf-8",
        )
        wallet(env, "award", slug, "diag", str(csv_path), "--json", "--as", operator)
        wallet(env, "worker", "--burst")
        badge = Path(folder) / "badge.png"
        wallet(env, "badges", "export", seeded.real_public_id, "-o", str(badge))
        wallet(env, "badges", "import", B.HOLDER_EMAIL, str(badge), "--json")
        wallet(
            env,
            "documents",
            "render",
            seeded.real_public_id,
            "certificate",
            "-o",
            str(Path(folder) / "c.pdf"),
        )
    with B.gunicorn("wsgi:app", env) as server:
        B.request(server.base, "GET", f"/b/{seeded.real_public_id}")
        status, _headers, body = B.request(server.base, "GET", "/metrics")
    text = body.decode()
    families = sorted(set(re.findall(r"^# TYPE (wallet_\w+) ", text, re.MULTILINE)))
    return {"status": status, "families": families, "bytes": len(body)}


def summary(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    """Return the median rps/p50/p99 per variant and concurrency over the rounds."""
    out: dict[str, Any] = {}
    for variant in VARIANTS:
        out[variant] = {}
        for c in CONNECTIONS:
            runs = [r[variant][f"c{c}"] for r in rounds]
            out[variant][f"c{c}"] = {
                key: round(statistics.median(run[key] for run in runs), 3)
                for key in ("rps", "p50", "p99")
                if all(key in run for run in runs)
            }
    return out


def main() -> int:
    """Run the comparison and the tour; print a table; write .bench/ops.json."""
    duration = float(os.environ.get("BENCH_OPS_SECONDS", "5"))
    results: dict[str, Any] = {"load_average_at_start": os.getloadavg(), "duration": duration}
    with (
        tempfile.TemporaryDirectory(prefix="wallet-bench-ops-db.") as folder,
        B.redis_server() as redis_url,
    ):
        database_url = f"sqlite:///{folder}/ops.db"
        from wallet import create_app

        app = create_app(B.bench_config(database_url, WTF_CSRF_ENABLED=False))
        seeded = B.seed(app, n_badges=200)
        with app.app_context():
            from wallet.extensions import db

            db.engine.dispose()
        path = f"/b/{seeded.public_ids[10]}"
        print("== in process", file=sys.stderr)
        results["in_process_us_per_request"] = in_process(database_url, path)
        secret = secrets.token_urlsafe(32)
        rounds = []
        for number in range(2):
            row = {}
            for variant, extra in VARIANTS.items():
                env = B.app_env(database_url, WALLET_SECRET_KEY=secret, **extra)
                if "WALLET_METRICS_ALLOWED_NETWORKS" in extra:
                    env["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="wallet-metrics.")
                print(f"== round {number + 1}: {variant}", file=sys.stderr)
                row[variant] = measure(env, path, duration)
            rounds.append(row)
        results["rounds"] = rounds
        results["median"] = summary(rounds)
        tour_env = B.app_env(
            database_url,
            WALLET_SECRET_KEY=secret,
            WALLET_LOG_FORMAT="json",
            WALLET_METRICS_ALLOWED_NETWORKS="127.0.0.1/32",
            WALLET_MAIL_OUTBOX_DIR=tempfile.mkdtemp(prefix="wallet-bench-outbox."),
            PROMETHEUS_MULTIPROC_DIR=tempfile.mkdtemp(prefix="wallet-metrics."),
        )
        if redis_url is not None:
            tour_env["WALLET_QUEUE_URL"] = redis_url
        results["metrics_after_tour"] = tour(database_url, tour_env, seeded)
    results["load_average_at_end"] = os.getloadavg()
    OUT.parent.mkdir(exist_ok=True)
    OUT.write_text(json.dumps(results, indent=2), encoding="utf-8")
    print(
        f"\n### Request log and metrics on {path.split('/')[1]}/<id> "
        f"(gunicorn -w 2, wrk -t1, {duration:g} s, median of 2 rounds)\n"
    )
    print("| variant | c=2 req/s | c=2 p50 | c=2 p99 | c=8 req/s | c=8 p50 | c=8 p99 |")
    print("|---|---|---|---|---|---|---|")
    for variant, figures in results["median"].items():
        cells = []
        for c in CONNECTIONS:
            f = figures[f"c{c}"]
            cells += [f"{f.get('rps', '–')}", f"{f.get('p50', '–')} ms", f"{f.get('p99', '–')} ms"]
        print(f"| {variant} | " + " | ".join(cells) + " |")
    print(
        "\nIn process, whole WSGI stack, per request (median of 5 x 2,000): "
        + "; ".join(
            f"{v}: {f['cpu_ms']} µs CPU ({f['wall_ms']} µs wall)"
            for v, f in results["in_process_us_per_request"].items()
        )
    )
    families = results["metrics_after_tour"]["families"]
    print("\n/metrics after the tour shows: " + ", ".join(families))
    return 0


if __name__ == "__main__":
    sys.exit(main())
