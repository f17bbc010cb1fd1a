"""The benchmark's seeding works, and a wallet page costs the same number of queries at any size."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))

import benchlib  # noqa: E402


def _queries(app, client, path: str) -> int:
    from wallet.extensions import db

    with app.app_context():
        counter = benchlib.QueryCounter(db.engine)
    try:
        return counter.during(lambda: client.get(path))
    finally:
        counter.close()


def test_seeded_wallet_pages_use_a_constant_number_of_queries(tmp_path):
    from wallet import create_app

    url = f"sqlite:///{tmp_path}/bench.db"
    app = create_app(
        benchlib.bench_config(
            url,
            WTF_CSRF_ENABLED=False,
            TESTING=True,
            PASSWORD_TIME_COST=1,
            PASSWORD_MEMORY_COST=1024,
            PASSWORD_PARALLELISM=1,
        )
    )
    app.instance_path = str(tmp_path / "instance")
    seeded = benchlib.seed(app, n_badges=20, n_other=2)
    assert len(seeded.badge_ids) == len(set(seeded.public_ids)) == 20
    client = benchlib.signed_in_client(app)
    small = _queries(app, client, "/")
    # Grow the wallet past one page (24 cards): the query count must not follow.
    from tests.badge_factory import add_badge

    with app.app_context():
        for _ in range(40):
            add_badge(seeded.holder_id)
    assert client.get("/").status_code == 200
    assert _queries(app, client, "/") == small <= 5
    assert _queries(app, client, "/?page=2") == small
    detail = _queries(app, client, f"/badges/{seeded.badge_ids[3]}")
    assert detail == _queries(app, client, f"/badges/{seeded.badge_ids[-1]}") <= 5
    anonymous = app.test_client()
    assert anonymous.get(f"/b/{seeded.public_ids[0]}").status_code == 200
    assert _queries(app, anonymous, f"/b/{seeded.public_ids[0]}") == 1
    assert _queries(app, anonymous, f"/b/{seeded.public_ids[0]}/qr.png") == 1
    with app.app_context():
        from wallet.extensions import db

        db.session.remove()
        db.engine.dispose()
