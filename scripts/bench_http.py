"""Benchmark the app over HTTP (gunicorn + wrk) and in process, on SQLite and PostgreSQL.

Usage: .venv/bin/python scripts/bench_http.py [--duration S] [--only sqlite|postgresql]
       [--memory-requests N] [--output PATH]

For each database: seed a holder of 1,000 badges (one real signed OB 3.0 badge, copied with
distinct keys and public ids) and a few public badges of another holder; serve the app with
gunicorn in production settings (-w 2 -k sync, no access log, random secret) on 127.0.0.1 and,
in the same run, a bare Flask "hello" app under the same settings as the baseline; drive both with
wrk (c=2 and c=8). Also: SQL queries per page (SQLAlchemy events, in process), server time of
the pages (in process), PDFs cold/cached, import of a baked OB 3.0 PNG, `wallet award` of 1,000
badges from CSV, and a worker's resident memory over 2 x N requests.
Prints a table and writes .bench/http.json. Needs wrk: `scripts/system_deps.sh wrk` installs it.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import platform
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import benchlib as B  # noqa: E402

ROOT = B.ROOT
CONNECTIONS = (2, 8)


# --- in process ------------------------------------------------------------------------------


def in_process(app: Any, seeded: B.Seeded) -> dict[str, Any]:
    """Queries per page, server time per page, PDFs, import (all through the app in process)."""
    from wallet.extensions import db

    with app.app_context():
        counter = B.QueryCounter(db.engine)
    holder = B.signed_in_client(app)
    anonymous = app.test_client()
    pages = {
        "verification page /b/<id>": (anonymous, f"/b/{seeded.public_ids[10]}"),
        "QR PNG /b/<id>/qr.png": (anonymous, f"/b/{seeded.public_ids[10]}/qr.png"),
        "wallet home (1,000 badges)": (holder, "/"),
        "wallet home, page 20": (holder, "/?page=20"),
        "wallet home, search": (holder, "/?q=%230500"),
        "badge detail": (holder, f"/badges/{seeded.badge_ids[10]}"),
    }
    figures: dict[str, Any] = {}
    for label, (client, path) in pages.items():
        status = client.get(path).status_code
        queries = counter.during(lambda c=client, p=path: c.get(p))
        timing = B.wall_and_cpu_ms(lambda c=client, p=path: c.get(p), repeat=50, warmup=5)
        figures[label] = {"path": path, "status": status, "queries": queries,
                          "server_ms": timing["wall_ms"], "server_cpu_ms": timing["cpu_ms"]}
    counter.close()
    return {
        "pages": figures,
        "pdf": pdf_figures(app, seeded),
        "import": import_figures(app),
    }


def pdf_figures(app: Any, seeded: B.Seeded) -> dict[str, Any]:
    """Time certificate/details/card PDFs, cold (cache emptied) and cached."""
    try:
        from wallet.services import documents
    except ImportError:
        return {"skipped": "the documents feature is not present"}
    from wallet.extensions import db
    from wallet.models import User
    from wallet.services import badges

    out: dict[str, Any] = {}
    with app.test_request_context():
        user = db.session.get(User, seeded.holder_id)
        badge = badges.get_owned(user, seeded.real_badge_id)
        try:
            documents.locate_fonts()
        except documents.DocumentError as exc:
            return {"skipped": f"no PDF font: {exc}"}
        started = time.perf_counter()
        documents.cache_clear()
        documents.build(badge, user, "certificate", "ja")
        out["first_ever_ms"] = round((time.perf_counter() - started) * 1000, 1)
        for kind in ("certificate", "details", "card"):
            def cold(kind: str = kind) -> None:
                documents.cache_clear()
                documents.build(badge, user, kind, "ja")

            cold_ms = B.median_ms(cold, repeat=5, warmup=1)
            documents.build(badge, user, kind, "ja")
            cached_ms = B.median_ms(
                lambda kind=kind: documents.build(badge, user, kind, "ja"), repeat=50, warmup=2
            )
            out[kind] = {"cold_ms": cold_ms, "cached_ms": cached_ms,
                         "bytes": len(documents.build(badge, user, kind, "ja").pdf)}
        db.session.remove()
    return out


def import_figures(app: Any, count: int = 10) -> dict[str, Any]:
    """Time imports of baked OB 3.0 PNGs end to end (read, verify, re-encode image, store)."""
    from tests.badge_factory import ob3_png
    from wallet.extensions import db
    from wallet.services import accounts
    from wallet.services import badge_import

    sources = [ob3_png(email=B.IMPORTER_EMAIL, name=f"取込テスト {i}") for i in range(count + 1)]
    samples = []
    with app.test_request_context():
        user = accounts.find_by_email(B.IMPORTER_EMAIL)
        badge_import.import_badge(user, sources[0])  # warm-up: contexts, keys
        for source in sources[1:]:
            started = time.perf_counter()
            outcome = badge_import.import_badge(user, source)
            samples.append((time.perf_counter() - started) * 1000)
            if not outcome.created:
                raise RuntimeError("import did not create a badge")
        db.session.remove()
    return {"median_ms": round(statistics.median(samples), 1),
            "max_ms": round(max(samples), 1), "runs": count,
            "png_bytes": len(sources[1])}


# --- award -------------------------------------------------------------------------------------


def award_figures(database_url: str, count: int = 1000) -> dict[str, Any]:
    """Time `wallet award ISSUER ACHIEVEMENT CSV --no-mail --json` of `count` rows (one process).

    The institute and its achievement are created in process (same secret as the command's, so
    the sealed signing key opens); the timed part is the command itself, start-up included.
    """
    from wallet import create_app
    from wallet.extensions import db
    from wallet.services import accounts
    from wallet.services.issuing import issuers

    secret = secrets.token_urlsafe(32)
    slug = "bench-" + secrets.token_hex(3)
    operator = f"{slug}@bench.example"  # `wallet award` acts as an operator of the issuer
    app = create_app(B.bench_config(database_url, SECRET_KEY=secret))
    with app.test_request_context():
        owner = accounts.create_user(accounts.Registration(
            operator, "ベンチ", "担当", secrets.token_urlsafe(16)), verified=True)
        issuer = issuers.create_issuer(slug, "ベンチ研究所", "https://bench.example",
                                       "office@bench.example", owner=owner)
        issuers.create_achievement(issuer, "diag", "コンクリート診断士", "Benchmark achievement.",
                                   "Pass the exam.")
        db.session.remove()
        db.engine.dispose()
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["email", "family_name", "given_name", "issue_date", "pass_number"])
    issued = date.today() - timedelta(days=1)
    for i in range(count):
        writer.writerow([f"award{i:04d}@bench.example", "山田", f"太郎{i}", issued.isoformat(),
                         f"P-{i:05d}"])
    with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False, encoding="utf-8") as f:
        f.write(buffer.getvalue())
        path = f.name
    env = B.app_env(database_url, WALLET_SECRET_KEY=secret)
    try:
        started = time.perf_counter()
        done = subprocess.run(
            [str(B.BIN / "wallet"), "award", slug, "diag", path, "--no-mail", "--json",
             "--as", operator],
            capture_output=True, text=True, env=env, timeout=1800,
        )
        seconds = time.perf_counter() - started
    finally:
        os.unlink(path)
    if done.returncode != 0:
        return {"failed": done.stderr[-1500:]}
    report = json.loads(done.stdout)
    return {"badges": count, "created": report.get("created"),
            "problems": len(report.get("problems") or []), "seconds": round(seconds, 2),
            "per_badge_ms": round(seconds * 1000 / count, 2)}


# --- over HTTP ---------------------------------------------------------------------------------


def http_figures(database_url: str, seeded: B.Seeded, duration: float,
                 memory_requests: int) -> dict[str, Any]:
    """Baseline and app under gunicorn, driven by wrk; then worker memory on a fresh server."""
    results: dict[str, Any] = {"endpoints": {}, "baseline": {}}
    with B.gunicorn("hello:app", B.app_env(database_url), chdir=ROOT / "scripts" / "benchlib") \
            as hello:
        B.warm_up(hello.base + "/")
        for c in CONNECTIONS:
            results["baseline"][f"c{c}"] = B.wrk(hello.base + "/", connections=c,
                                                 duration=duration)
    env = B.app_env(database_url)
    with B.gunicorn("wsgi:app", env) as server:
        cookie = B.login(server.base, B.HOLDER_EMAIL, B.PASSWORD)
        public_id = seeded.public_ids[10]
        endpoints = {
            "verification page /b/<id>": (f"/b/{public_id}", None),
            "QR PNG /b/<id>/qr.png": (f"/b/{public_id}/qr.png", None),
            "wallet home (1,000 badges)": ("/", cookie),
            "badge detail": (f"/badges/{seeded.badge_ids[10]}", cookie),
        }
        for label, (path, session) in endpoints.items():
            status, _h, _b = B.request(server.base, "GET", path,
                                       headers={"Cookie": session} if session else None)
            if status != 200:
                raise RuntimeError(f"{path}: HTTP {status}")
            row: dict[str, Any] = {"path": path}
            B.warm_up(server.base + path, headers={"Cookie": session} if session else None)
            for c in CONNECTIONS:
                figures = B.wrk(server.base + path, connections=c, duration=duration,
                                headers={"Cookie": session} if session else None)
                base = results["baseline"][f"c{c}"]
                figures["ratio"] = round(figures["rps"] / base["rps"], 3) if base["rps"] else None
                row[f"c{c}"] = figures
            results["endpoints"][label] = row
    results["memory"] = memory_figures(database_url, seeded, memory_requests)
    return results


def memory_figures(database_url: str, seeded: B.Seeded, requests: int) -> dict[str, Any]:
    """VmRSS of each worker after warm-up, after N and after 2N mixed requests (fresh server)."""
    with B.gunicorn("wsgi:app", B.app_env(database_url)) as server:
        cookie = B.login(server.base, B.HOLDER_EMAIL, B.PASSWORD)
        paths: list[str] = []
        for i, public_id in enumerate(seeded.public_ids):
            paths.append(f"/b/{public_id}")
            paths.append(f"/b/{public_id}/qr.png")
            if i % 5 == 0:
                paths.append(f"/?page={1 + (i // 5) % 42}")
                paths.append(f"/badges/{seeded.badge_ids[i]}")
        paths.append(f"/b/{seeded.other_public_ids[0]}")
        headers = {"Cookie": cookie}
        stop = B.stop_file_path()
        B.wrk(server.base + "/", connections=4, duration=60, headers=headers,
              script=B.counted_paths_script(paths, 200, stop), stop_file=stop)
        workers = server.workers()
        samples = {"warm": {p: B.rss_kb(p) for p in workers}}
        runs = []
        for label in ("after_n", "after_2n"):
            stop = B.stop_file_path()
            figures = B.wrk(server.base + "/", connections=4, duration=240, headers=headers,
                            script=B.counted_paths_script(paths, requests, stop), stop_file=stop)
            runs.append({"requests": figures.get("requests"), "errors": figures["errors"],
                         "rps": figures["rps"], "p99": figures.get("p99")})
            now = server.workers()
            samples[label] = {p: B.rss_kb(p) for p in now}
        restarted = sorted(set(workers) - set(server.workers()))
        log = server.log.read_text()[-2000:] if restarted else ""
    mb = {k: {str(p): round(v / 1024, 1) for p, v in d.items()} for k, d in samples.items()}
    worst = {k: max(d.values()) for k, d in mb.items()}
    return {"requests_per_phase": requests, "rss_mb": mb, "max_rss_mb": worst,
            "growth_second_phase_mb": round(worst["after_2n"] - worst["after_n"], 1),
            "workers_restarted": restarted, "gunicorn_log_tail": log, "runs": runs}


# --- one database ------------------------------------------------------------------------------


def run_backend(label: str, database_url: str, args: argparse.Namespace) -> dict[str, Any]:
    """Every figure for one database."""
    from wallet import create_app

    print(f"== {label}: seeding", file=sys.stderr)
    app = create_app(B.bench_config(database_url, WTF_CSRF_ENABLED=False))
    seeded = B.seed(app, n_badges=1000)
    out: dict[str, Any] = {"database": label, "seed_seconds": seeded.seconds,
                           "holder_badges": len(seeded.badge_ids),
                           "load_average_at_start": os.getloadavg()}
    print(f"== {label}: in process (queries, server time, PDFs, import)", file=sys.stderr)
    out["in_process"] = in_process(app, seeded)
    with app.app_context():
        from wallet.extensions import db

        db.engine.dispose()
    print(f"== {label}: gunicorn + wrk", file=sys.stderr)
    out["http"] = http_figures(database_url, seeded, args.duration, args.memory_requests)
    print(f"== {label}: wallet award of 1,000 badges", file=sys.stderr)
    out["award"] = award_figures(database_url)
    out["load_average_at_end"] = os.getloadavg()
    return out


# --- report ------------------------------------------------------------------------------------


def _fmt(value: Any, unit: str = "") -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:,.1f}{unit}" if value >= 10 else f"{value:.2f}{unit}"
    return f"{value:,}{unit}" if isinstance(value, int) else f"{value}{unit}"


def print_table(results: dict[str, Any]) -> None:
    """Print the figures of every database as Markdown tables."""
    for backend in results["backends"]:
        name = backend["database"]
        if "skipped" in backend:
            print(f"\n### {name}: skipped ({backend['skipped']})")
            continue
        http = backend["http"]
        print(f"\n### {name}: HTTP (gunicorn -w 2 -k sync, wrk -t1, {results['duration']:g} s)\n")
        print("| endpoint | c | req/s | p50 | p99 | ratio to baseline | errors |")
        print("|---|---|---|---|---|---|---|")
        for c in CONNECTIONS:
            base = http["baseline"][f"c{c}"]
            print(f"| baseline hello | {c} | {_fmt(base['rps'])} | {_fmt(base.get('p50'), ' ms')} "
                  f"| {_fmt(base.get('p99'), ' ms')} | 1.00 | {base['errors']} |")
        for label, row in http["endpoints"].items():
            for c in CONNECTIONS:
                f = row[f"c{c}"]
                print(f"| {label} | {c} | {_fmt(f['rps'])} | {_fmt(f.get('p50'), ' ms')} "
                      f"| {_fmt(f.get('p99'), ' ms')} | {f['ratio']:.2f} | {f['errors']} |")
        pages = backend["in_process"]["pages"]
        print(f"\n### {name}: in process (test client; median of 50)\n")
        print("| page | SQL queries | server time (wall) | server time (CPU) |")
        print("|---|---|---|---|")
        for label, f in pages.items():
            print(f"| {label} | {f['queries']} | {_fmt(f['server_ms'], ' ms')} "
                  f"| {_fmt(f['server_cpu_ms'], ' ms')} |")
        print(f"\n### {name}: other figures\n")
        print("| figure | value |")
        print("|---|---|")
        pdf = backend["in_process"]["pdf"]
        if "skipped" in pdf:
            print(f"| PDFs | skipped: {pdf['skipped']} |")
        else:
            print(f"| PDF first ever (fonts, templates) | {_fmt(pdf['first_ever_ms'], ' ms')} |")
            for kind in ("certificate", "details", "card"):
                print(f"| PDF {kind} cold / cached | {_fmt(pdf[kind]['cold_ms'], ' ms')} / "
                      f"{_fmt(pdf[kind]['cached_ms'], ' ms')} |")
        imp = backend["in_process"]["import"]
        print(f"| import of a baked OB 3.0 PNG (median of {imp['runs']}) | "
              f"{_fmt(imp['median_ms'], ' ms')} (max {_fmt(imp['max_ms'], ' ms')}) |")
        award = backend["award"]
        if "skipped" in award or "failed" in award:
            print(f"| award of 1,000 badges from CSV | {award} |")
        else:
            print(f"| `wallet award` of 1,000 badges from CSV | {award['seconds']} s "
                  f"({award['per_badge_ms']} ms per badge, {award['created']} created, "
                  f"{award['problems']} refused) |")
        mem = http["memory"]
        n = mem["requests_per_phase"]
        print(f"| worker RSS warm / after {n:,} / after {2 * n:,} requests (max of 2 workers) | "
              f"{mem['max_rss_mb']['warm']} / {mem['max_rss_mb']['after_n']} / "
              f"{mem['max_rss_mb']['after_2n']} MB |")
        print(f"| seeding (1,000 badges + 5 others) | {backend['seed_seconds']} s |")
        print(f"| load average at start / end (2 cores) | "
              f"{'/'.join(f'{x:.1f}' for x in backend['load_average_at_start'])} → "
              f"{'/'.join(f'{x:.1f}' for x in backend['load_average_at_end'])} |")


def main() -> int:
    """Run the benchmark and write the JSON report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per wrk run")
    parser.add_argument("--memory-requests", type=int, default=10_000)
    parser.add_argument("--only", choices=("sqlite", "postgresql"))
    parser.add_argument("--output", default=str(ROOT / ".bench" / "http.json"))
    args = parser.parse_args()
    if not B.have("wrk"):
        print(
            "wrk is not installed (run scripts/system_deps.sh wrk as root): no HTTP benchmark.",
            file=sys.stderr,
        )
        return 0
    results: dict[str, Any] = {
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "load_average_at_start": os.getloadavg()},
        "duration": args.duration,
        "backends": [],
    }
    started = time.perf_counter()
    if args.only in (None, "sqlite"):
        with tempfile.TemporaryDirectory(prefix="wallet-bench-sqlite.") as tmp:
            results["backends"].append(run_backend("SQLite", f"sqlite:///{tmp}/wallet.db", args))
    if args.only in (None, "postgresql"):
        with B.postgres() as url:
            if url is None:
                results["backends"].append(
                    {"database": "PostgreSQL", "skipped": "PostgreSQL binaries not found"}
                )
            else:
                results["backends"].append(run_backend("PostgreSQL", url, args))
    results["seconds"] = round(time.perf_counter() - started, 1)
    print_table(results)
    output = Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    print(f"\nwritten {output} in {results['seconds']} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
