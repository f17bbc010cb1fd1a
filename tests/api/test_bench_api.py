"""The API benchmark set-up works; a page of credentials costs the same queries at any size."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))

import bench_api  # noqa: E402
import benchlib  # noqa: E402


def _page(tmp_path: Path, n_badges: int) -> dict:
    from wallet import create_app

    url = f"sqlite:///{tmp_path}/bench-{n_badges}.db"
    app = create_app(
        benchlib.bench_config(
            url,
            TESTING=True,
            PASSWORD_TIME_COST=1,
            PASSWORD_MEMORY_COST=1024,
            PASSWORD_PARALLELISM=1,
        )
    )
    app.instance_path = str(tmp_path / "instance")
    seeded = benchlib.seed(app, n_badges=n_badges, n_other=2)
    token = bench_api.access_token(app, seeded)
    figures = bench_api.in_process(app, token)
    with app.app_context():
        from wallet.extensions import db

        db.engine.dispose()
    return figures["first page of 100"]


def test_a_page_of_credentials_costs_constant_queries(tmp_path: Path) -> None:
    small, large = _page(tmp_path, 20), _page(tmp_path, 150)
    assert small["status"] == large["status"] == 200
    assert (small["credentials"], small["total"]) == (20, "20")
    assert (large["credentials"], large["total"]) == (100, "150")
    assert small["queries"] == large["queries"] <= 4
