"""Awarding an uploaded CSV a few seconds at a time: each request stays short, none is lost.

A CSV of thousands of recipients takes minutes (signing, baking, one mail each); one web
request that long would be killed by the server's worker timeout halfway through. The upload
is parsed and stored as a batch; each step awards the next rows for a few seconds and records
how far it got. Steps are safe to repeat or to run from two tabs: an award is idempotent, and
a step only moves the batch forward from the position it read.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict
from datetime import date
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy import update

from wallet.extensions import db
from wallet.models import Achievement
from wallet.models import Award
from wallet.models import AwardBatch
from wallet.models import is_public_id
from wallet.models import utcnow
from wallet.services import jobs
from wallet.services.issuing import AwardRow
from wallet.services.issuing import award
from wallet.services.issuing.csv_awards import RowProblem
from wallet.services.issuing.csv_awards import parse_csv
from wallet.services.issuing.errors import IssuingError
from wallet.services.issuing.keys import private_key_of


def start(achievement: Achievement, data: bytes) -> tuple[AwardBatch | None, list[RowProblem]]:
    """Parse an uploaded CSV; store its good rows as a batch (None when there are none)."""
    rows, problems = parse_csv(data)
    if not rows:
        return None, problems
    batch = AwardBatch(
        achievement_id=achievement.id,
        achievement=achievement,
        rows_json=json.dumps([[line, _row_data(row)] for line, row in rows], ensure_ascii=False),
        problems_json=_problems_json(problems),
        total=len(rows),
    )
    db.session.add(batch)
    db.session.commit()
    if in_background():
        # A worker awards the whole batch; the progress page only watches.
        jobs.enqueue("awards.batch", batch_id=batch.id)
    return batch, problems


def in_background() -> bool:
    """Return whether batches are awarded by a worker rather than by the page's requests."""
    return jobs.in_background()


def get(public_id: str) -> AwardBatch | None:
    """Return the batch with this public id."""
    if not is_public_id(public_id):
        return None
    return db.session.scalar(select(AwardBatch).where(AwardBatch.public_id == public_id))


def step(batch: AwardBatch, *, notify: Callable[[Award], Any] | None = None) -> None:
    """Award the batch's next rows for about AWARD_STEP_SECONDS (at most AWARD_STEP_ROWS)."""
    config = current_app.config
    deadline = time.monotonic() + float(config.get("AWARD_STEP_SECONDS", 5.0))
    limit = int(config.get("AWARD_STEP_ROWS", 500))
    rows = json.loads(batch.rows_json)
    key = private_key_of(batch.achievement.issuer) if batch.done < batch.total else None
    for count in range(max(1, limit)):
        position = batch.done
        if position >= batch.total or (count and time.monotonic() > deadline):
            break  # at least one line per step, so every step makes progress
        line, data = rows[position]
        created, problem = _award_one(batch.achievement, line, data, key)
        if not _advance(batch, position, created, problem):
            break  # another step moved the batch on: leave the rest to it
        if created is not None and notify is not None:
            notify(created)


def run_job(batch_id: int) -> None:
    """Award a whole batch, step after step (the `awards.batch` job; safe to run twice)."""
    from wallet.services.issuing import claims

    batch = db.session.get(AwardBatch, batch_id)
    while batch is not None and batch.finished_at is None and batch.done < batch.total:
        step(batch, notify=claims.send_notice)
        db.session.expire_all()  # read the position again: another step may have moved it
        batch = db.session.get(AwardBatch, batch_id)


def problems(batch: AwardBatch) -> list[RowProblem]:
    """Return the lines refused so far, in file order."""
    return sorted(
        (RowProblem(line, code, value) for line, code, value in json.loads(batch.problems_json)),
        key=lambda p: p.line,
    )


def _award_one(
    achievement: Achievement, line: int, data: dict[str, Any], key: Any
) -> tuple[Award | None, RowProblem | None]:
    """Award one row: (the new award or None when it existed, or the problem)."""
    try:
        outcome = award(achievement, _row_of(data), key=key)
    except (IssuingError, ValueError) as exc:
        db.session.rollback()
        return None, RowProblem(line, "failed", str(exc)[:200])
    return (outcome.award if outcome.created else None), None


def _advance(
    batch: AwardBatch, position: int, created: Award | None, problem: RowProblem | None
) -> bool:
    """Record one row as done, only if the batch is still at position; return whether it was."""
    values: dict[str, Any] = {"done": position + 1}
    if created is not None:
        values["created_count"] = AwardBatch.created_count + 1
    elif problem is None:
        values["existing_count"] = AwardBatch.existing_count + 1
    if position + 1 >= batch.total:
        values["finished_at"] = utcnow()
    moved = db.session.execute(
        update(AwardBatch)
        .where(AwardBatch.id == batch.id, AwardBatch.done == position)
        .values(**values)
        .execution_options(synchronize_session=False)
    ).rowcount
    if moved and problem is not None:
        listed = json.loads(batch.problems_json)
        listed.append([problem.line, problem.code, problem.value])
        batch.problems_json = json.dumps(listed, ensure_ascii=False)
    db.session.commit()
    return bool(moved)


def _row_data(row: AwardRow) -> dict[str, Any]:
    """Return a row as JSON-ready data (dates as ISO text)."""
    data = asdict(row)
    data["issued_on"] = row.issued_on.isoformat()
    data["expires_on"] = row.expires_on.isoformat() if row.expires_on else None
    return data


def _row_of(data: dict[str, Any]) -> AwardRow:
    """Rebuild a row stored by _row_data."""
    return AwardRow(
        **{
            **data,
            "issued_on": date.fromisoformat(data["issued_on"]),
            "expires_on": date.fromisoformat(data["expires_on"]) if data["expires_on"] else None,
            "identifiers": tuple(tuple(pair) for pair in data["identifiers"]),
        }
    )


def _problems_json(found: list[RowProblem]) -> str:
    """Return problems as stored JSON ([line, code, detail] triples)."""
    return json.dumps([[p.line, p.code, p.value] for p in found], ensure_ascii=False)
