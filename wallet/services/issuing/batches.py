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
from wallet.services.issuing import audit
from wallet.services.issuing import award
from wallet.services.issuing.csv_awards import CsvFile
from wallet.services.issuing.csv_awards import RowProblem
from wallet.services.issuing.csv_awards import problem_of
from wallet.services.issuing.csv_awards import read_csv
from wallet.services.issuing.errors import IssuingError
from wallet.services.issuing.keys import private_key_of


def start(
    achievement: Achievement, data: bytes, *, actor: audit.Actor = audit.SYSTEM
) -> tuple[AwardBatch | None, CsvFile]:
    """Parse an uploaded CSV; store its good rows as a batch (None when there are none)."""
    parsed = read_csv(data)
    if not parsed.rows:
        return None, parsed
    batch = AwardBatch(
        achievement_id=achievement.id,
        achievement=achievement,
        rows_json=json.dumps(
            {
                "header": list(parsed.header),
                "rows": [[line, _row_data(row), list(fields)] for line, row, fields in parsed.rows],
            },
            ensure_ascii=False,
        ),
        problems_json=_problems_json(parsed.problems),
        total=len(parsed.rows),
        lines_total=parsed.lines,
        created_by_id=actor.user.id if actor.user is not None else None,
    )
    db.session.add(batch)
    db.session.flush()
    audit.record(
        achievement.issuer,
        actor,
        "csv_upload",
        detail=f"{achievement.name}: {parsed.lines} lines, {len(parsed.problems)} refused",
    )
    db.session.commit()
    if in_background():
        # A worker awards the whole batch; the progress page only watches.
        jobs.enqueue("awards.batch", batch_id=batch.id)
    return batch, parsed


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
    rows = _rows(batch)
    key = private_key_of(batch.achievement.issuer) if batch.done < batch.total else None
    actor = audit.Actor(batch.created_by, "web") if batch.created_by_id else audit.SYSTEM
    for count in range(max(1, limit)):
        position = batch.done
        if position >= batch.total or (count and time.monotonic() > deadline):
            break  # at least one line per step, so every step makes progress
        line, data, fields = rows[position]
        created, problem = _award_one(batch, line, data, tuple(fields), key, actor)
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
        (
            RowProblem(item[0], item[1], item[2], tuple(item[3]) if len(item) > 3 else ())
            for item in json.loads(batch.problems_json)
        ),
        key=lambda p: p.line,
    )


def header(batch: AwardBatch) -> tuple[str, ...]:
    """Return the header line of the uploaded file."""
    stored = json.loads(batch.rows_json)
    return tuple(stored.get("header", ())) if isinstance(stored, dict) else ()


def awarded(batch: AwardBatch, *, limit: int = 500) -> list[Award]:
    """Return the awards the batch created, in file order (the first ``limit``)."""
    return list(
        db.session.scalars(
            select(Award).where(Award.batch_id == batch.id).order_by(Award.id).limit(limit)
        )
    )


def _rows(batch: AwardBatch) -> list[tuple[int, dict[str, Any], list[str]]]:
    """Return the stored rows as (line, row data, fields); batches stored before fields too."""
    stored = json.loads(batch.rows_json)
    items = stored["rows"] if isinstance(stored, dict) else stored
    return [(item[0], item[1], item[2] if len(item) > 2 else []) for item in items]


def _award_one(
    batch: AwardBatch,
    line: int,
    data: dict[str, Any],
    fields: tuple[str, ...],
    key: Any,
    actor: audit.Actor,
) -> tuple[Award | None, RowProblem | None]:
    """Award one row: (the new award or None when it existed, or the problem)."""
    try:
        outcome = award(batch.achievement, _row_of(data), key=key, actor=actor, batch_id=batch.id)
    except (IssuingError, ValueError) as exc:
        db.session.rollback()
        return None, problem_of(line, exc, fields)
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
        listed.append([problem.line, problem.code, problem.value, list(problem.fields)])
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
    return json.dumps(
        [[p.line, p.code, p.value, list(p.fields)] for p in found], ensure_ascii=False
    )
