"""A CSV uploaded on the web is awarded in short steps: progress, mails, repeats, races, access."""

from __future__ import annotations

import io
import re

import pytest

from tests.conftest import htmx_headers
from tests.test_issuing import CSV_HEADER
from tests.test_issuing import make_issuer
from tests.test_issuing import operator_login


@pytest.fixture
def app_config(app_config):
    """Two lines per step, so a five-line file needs three steps."""
    app_config["AWARD_STEP_ROWS"] = 2
    return app_config


@pytest.fixture
def achievement_path(app, client) -> str:
    """The achievement page of a fresh issuer, with an operator signed in."""
    with app.app_context():
        _, achievement = make_issuer()
        public_id = achievement.public_id
    operator_login(app, client)
    return f"/issuing/achievements/{public_id}"


def upload(client, achievement_path: str, lines: list[str]):
    """Post a CSV of these lines (after the header) to the achievement's upload form."""
    data = (CSV_HEADER + "".join(lines)).encode()
    return client.post(
        achievement_path + "/csv",
        data={"file": (io.BytesIO(data), "awards.csv")},
        content_type="multipart/form-data",
    )


def lines(count: int, start: int = 0) -> list[str]:
    return [f"r{n}@example.com,山田,花子{n},2025-04-01,,P{n},R{n}\n" for n in range(start, count)]


def batch_row(app, batch_path: str):
    from wallet.services.issuing import batches as award_batches

    with app.app_context():
        batch = award_batches.get(batch_path.rsplit("/", 1)[1])
        return batch.done, batch.total, batch.created_count, batch.existing_count


def test_an_upload_is_awarded_step_by_step_with_htmx_asking_again(
    app, client, outbox, achievement_path
) -> None:
    response = upload(client, achievement_path, lines(5))
    assert response.status_code == 303
    batch_path = response.headers["Location"]
    page = client.get(batch_path).get_data(as_text=True)
    assert "ファイルの 5 行：0 件を授与" in page
    assert "授与する 5 行のうち 0 行を処理しました" in page
    assert 'hx-trigger="load delay:100ms, submit"' in page
    assert outbox.to("r0@example.com") == []  # nothing is awarded before the first step
    progress = []
    for _ in range(3):
        fragment = client.post(batch_path + "/step", headers=htmx_headers("batch-progress"))
        assert fragment.status_code == 200
        html = fragment.get_data(as_text=True)
        assert "<html" not in html  # the progress block only
        progress.append(batch_row(app, batch_path))
    assert progress == [(2, 5, 2, 0), (4, 5, 4, 0), (5, 5, 5, 0)]
    assert "hx-trigger" not in html and "すべての行を処理しました" in html  # htmx stops asking
    for n in range(5):
        assert len(outbox.to(f"r{n}@example.com")) == 1
    # A step on a finished batch changes nothing.
    client.post(batch_path + "/step")
    assert batch_row(app, batch_path) == (5, 5, 5, 0)


def test_the_same_file_again_awards_nothing_twice(app, client, outbox, achievement_path) -> None:
    first = upload(client, achievement_path, lines(3)).headers["Location"]
    while batch_row(app, first)[0] < 3:
        client.post(first + "/step")
    again = upload(client, achievement_path, lines(4)).headers["Location"]
    while batch_row(app, again)[0] < 4:
        assert client.post(again + "/step").status_code == 303
    assert batch_row(app, again) == (4, 4, 1, 3)
    assert len(outbox.to("r0@example.com")) == 1 and len(outbox.to("r3@example.com")) == 1


def test_refused_lines_are_listed_and_a_file_without_good_lines_is_422(
    app, client, achievement_path
) -> None:
    bad = upload(client, achievement_path, ["oops,山田,一郎,2025-04-01,,P,R\n"])
    assert bad.status_code == 422
    assert re.search(
        r'2 行目</span>\s*<span class="problem-text">[^<]*oops', bad.get_data(as_text=True)
    )
    mixed = upload(client, achievement_path, [*lines(1), "bad-address,山田,一郎,2025-04-01,,,\n"])
    batch_path = mixed.headers["Location"]
    client.post(batch_path + "/step")
    page = client.get(batch_path).get_data(as_text=True)
    # Totals count the whole file (issue 22: a 2-line file is not "1 of 1 lines").
    assert "ファイルの 2 行：1 件を授与、0 行は授与済み、1 行は受け付けませんでした。" in page
    assert "3 行目" in page and "bad-address" in page


def test_a_step_that_lost_the_race_moves_nothing(app, client, achievement_path) -> None:
    from wallet.services.issuing import batches as award_batches

    batch_path = upload(client, achievement_path, lines(3)).headers["Location"]
    client.post(batch_path + "/step")
    with app.app_context():
        batch = award_batches.get(batch_path.rsplit("/", 1)[1])
        # Another tab's step, still holding the old position 0, must not move the batch.
        assert award_batches._advance(batch, 0, None, None) is False
        assert batch.done == 2


def test_batches_are_404_for_everyone_but_operators(app, client, achievement_path) -> None:
    batch_path = upload(client, achievement_path, lines(1)).headers["Location"]
    client.post("/auth/logout")
    assert client.get(batch_path).status_code == 404
    assert client.post(batch_path + "/step").status_code == 404
    operator_login(app, client, "second-operator@example.com")
    assert client.get("/issuing/batches/zzzzzzzzzzzzzzzzzzzz").status_code == 404
    assert client.get(batch_path).status_code == 200
