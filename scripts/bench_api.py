"""Benchmark the OB 3.0 API: GET /ims/ob/v3p0/credentials of a holder with 1,000 badges.

Usage: .venv/bin/python scripts/bench_api.py [--duration S] [--only sqlite|postgresql]
       [--output PATH]

For each database: seed a holder of 1,000 public OB 3.0 badges (benchlib.seed), register an
application, record the holder's consent and an access token through the services, then measure
one page of 100 credentials (limit=100, offset=0 and a middle page): in process (server time,
SQL statements, response size) and over HTTP (gunicorn -w 2 -k sync in production settings,
wrk -t1 with the bearer token, c=2 and c=8). The per-token rate limit is lifted above the load
(the limiter still runs, so its cost is measured). Prints a table and writes .bench/api.json.
"""

from __future__ import annotations

import argparse
import json
import secrets
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import benchlib as B  # noqa: E402

ROOT = B.ROOT
PAGES = {"first page of 100": "limit=100&offset=0", "middle page of 100": "limit=100&offset=500"}
PATH = "/ims/ob/v3p0/credentials"


def access_token(app: Any, seeded: B.Seeded) -> str:
    """Register an application, record the holder's consent and store a token; return it."""
    from wallet.extensions import db
    from wallet.models import OAuthClient
    from wallet.models import User
    from wallet.services.oauth import clients
    from wallet.services.oauth import grants

    scope = "https://purl.imsglobal.org/spec/ob/v3p0/scope/credential.readonly"
    with app.app_context():
        body = clients.register(
            clients.validate(
                {
                    "client_name": "Bench displayer",
                    "client_uri": "https://displayer.bench.example/",
                    "redirect_uris": ["https://displayer.bench.example/callback"],
                    "scope": scope,
                }
            )
        )
        client = db.session.scalar(
            db.select(OAuthClient).where(OAuthClient.client_id == body["client_id"])
        )
        connection = grants.approve(
            db.session.get(User, seeded.holder_id),
            client,
            code=secrets.token_urlsafe(32),
            scope=scope,
            badges="public",
            badge_ids=[],
            redirect_uri="https://displayer.bench.example/callback",
            code_challenge="x" * 43,
            code_challenge_method="S256",
        )
        token = secrets.token_urlsafe(32)
        grants.save_token(connection, {"access_token": token, "expires_in": 6 * 3600})
        db.session.remove()
    return token


def in_process(app: Any, token: str) -> dict[str, Any]:
    """Server time, SQL statements and size of each page, through the app in process."""
    from wallet.extensions import db

    with app.app_context():
        counter = B.QueryCounter(db.engine)
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    figures: dict[str, Any] = {}
    for label, query in PAGES.items():
        url = f"{PATH}?{query}"
        response = client.get(url, headers=headers)
        body = response.get_json()
        queries = counter.during(lambda u=url: client.get(u, headers=headers))
        timing = B.wall_and_cpu_ms(
            lambda u=url: client.get(u, headers=headers), repeat=30, warmup=3
        )
        figures[label] = {
            "status": response.status_code,
            "credentials": len(body["credential"]) + len(body["compactJwsString"]),
            "total": response.headers.get("X-Total-Count"),
            "bytes": len(response.data),
            "queries": queries,
            "server_ms": timing["wall_ms"],
            "server_cpu_ms": timing["cpu_ms"],
        }
    counter.close()
    return figures


def over_http(database_url: str, token: str, duration: float) -> dict[str, Any]:
    """Serve the app with gunicorn and drive each page with wrk."""
    env = B.app_env(database_url, WALLET_RATELIMIT_API="10000000 per minute")
    headers = {"Authorization": f"Bearer {token}"}
    results: dict[str, Any] = {}
    with B.gunicorn("wsgi:app", env, probe="/ims/ob/v3p0/discovery") as server:
        for label, query in PAGES.items():
            url = f"{server.base}{PATH}?{query}"
            status, _headers, _body = B.request(
                server.base, "GET", f"{PATH}?{query}", headers=headers
            )
            if status != 200:
                raise RuntimeError(f"{url} answered {status}")
            B.warm_up(url, headers=headers, seconds=1.0)
            results[label] = {
                f"c{c}": B.wrk(url, connections=c, duration=duration, headers=headers)
                for c in (2, 8)
            }
    return results


def run_backend(label: str, database_url: str, duration: float) -> dict[str, Any]:
    """Seed one database and measure it."""
    from wallet import create_app

    print(f"== {label}: seeding", file=sys.stderr)
    app = create_app(B.bench_config(database_url))
    seeded = B.seed(app, n_badges=1000)
    token = access_token(app, seeded)
    out: dict[str, Any] = {"database": label, "holder_badges": len(seeded.badge_ids)}
    print(f"== {label}: in process", file=sys.stderr)
    out["in_process"] = in_process(app, token)
    with app.app_context():
        from wallet.extensions import db

        db.engine.dispose()
    if B.have("wrk"):
        print(f"== {label}: gunicorn + wrk", file=sys.stderr)
        out["http"] = over_http(database_url, token, duration)
    return out


def print_table(results: dict[str, Any]) -> None:
    """Print the figures as Markdown tables."""
    for backend in results["backends"]:
        name = backend["database"]
        print(f"\n### OB 3.0 API, {name}: holder of {backend['holder_badges']} badges\n")
        print("| page | credentials | X-Total-Count | bytes | SQL | server ms (CPU ms) |")
        print("|---|---|---|---|---|---|")
        for label, f in backend["in_process"].items():
            print(
                f"| {label} | {f['credentials']} | {f['total']} | {f['bytes']:,} | {f['queries']} "
                f"| {f['server_ms']} ({f['server_cpu_ms']}) |"
            )
        if "http" not in backend:
            print("\n(wrk is not installed: no HTTP figures)")
            continue
        duration = results["duration"]
        print(f"\n| page over HTTP (wrk, {duration:g} s) | c | req/s | p50 | p99 | errors |")
        print("|---|---|---|---|---|---|")
        for label, runs in backend["http"].items():
            for c, f in runs.items():
                figures = f"{f['rps']:.0f} | {f['p50']} ms | {f['p99']} ms | {f['errors']}"
                print(f"| {label} | {c[1:]} | {figures} |")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per wrk run")
    parser.add_argument("--only", choices=("sqlite", "postgresql"))
    parser.add_argument("--output", type=Path, default=ROOT / ".bench" / "api.json")
    args = parser.parse_args()
    results: dict[str, Any] = {"duration": args.duration, "backends": []}
    if args.only != "postgresql":
        folder = Path(tempfile.mkdtemp(prefix="wallet-bench-api."))
        results["backends"].append(
            run_backend("SQLite", f"sqlite:///{folder / 'wallet.db'}", args.duration)
        )
    if args.only != "sqlite":
        with B.postgres() as url:
            if url is None:
                print("PostgreSQL is not installed: SQLite only.", file=sys.stderr)
            else:
                results["backends"].append(run_backend("PostgreSQL", url, args.duration))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=1), encoding="utf-8")
    print_table(results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
