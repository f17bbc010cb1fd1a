"""Portable backup and restore of the whole database: a versioned zip of JSON-lines tables.

Layout: ``manifest.json`` (format, version, Alembic revision, per table its columns, row count
and the SHA-256 of its file) and ``tables/<name>.jsonl`` (one JSON object per row; bytes as
``{"$b64": ...}``, date-times as ``{"$dt": ...}``, dates as ``{"$date": ...}``). The same dump
restores on SQLite and PostgreSQL. Restore checks everything before it writes, then replaces
every table inside one transaction: a refused or failed restore leaves the database as it was.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import zipfile
from dataclasses import dataclass
from datetime import UTC
from datetime import date
from datetime import datetime
from pathlib import Path
from typing import IO
from typing import Any

from sqlalchemy import Table
from sqlalchemy import delete
from sqlalchemy import func
from sqlalchemy import insert
from sqlalchemy import select
from sqlalchemy import text
from sqlalchemy.engine import Connection

from wallet.extensions import db

FORMAT = "badge-wallet-backup"
VERSION = 1
MANIFEST = "manifest.json"
# A dump bigger than this when unpacked is refused before it is read (zip bombs).
MAX_UNPACKED_BYTES = 4 * 1024 * 1024 * 1024


class BackupError(Exception):
    """The dump cannot be made or restored; the message says why in plain words."""


@dataclass(frozen=True)
class Summary:
    """What a backup wrote or a restore loaded: rows per table and the schema revision."""

    revision: str | None
    rows: dict[str, int]

    @property
    def total(self) -> int:
        """Return the number of rows over all tables."""
        return sum(self.rows.values())


def _tables() -> list[Table]:
    """Return the application's tables, parents before children."""
    import wallet.models  # noqa: F401 (registers the tables)

    return list(db.metadata.sorted_tables)


def schema_revision(connection: Connection) -> str | None:
    """Return the Alembic revision the database is at (None when it was never migrated)."""
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(connection).get_current_revision()


def _encode(value: Any) -> Any:
    """Return a JSON-safe form of one column value."""
    if isinstance(value, bytes | bytearray | memoryview):
        return {"$b64": base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, datetime):
        return {"$dt": value.isoformat()}
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    return value


def _decode(value: Any) -> Any:
    """Return the column value a JSON-safe form stands for."""
    if isinstance(value, dict) and len(value) == 1:
        ((tag, inner),) = value.items()
        if tag == "$b64":
            return base64.b64decode(inner, validate=True)
        if tag == "$dt":
            return datetime.fromisoformat(inner)
        if tag == "$date":
            return date.fromisoformat(inner)
    return value


def dump(target: str | Path | IO[bytes]) -> Summary:
    """Write the whole database to ``target`` (a path, written atomically, or a binary file)."""
    if isinstance(target, str | Path):
        path = Path(target)
        tmp = path.with_name(path.name + ".partial")
        try:
            with open(tmp, "wb") as handle:
                summary = dump(handle)
            tmp.replace(path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return summary
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        # One snapshot for every table: rows written meanwhile are either all in or all out.
        db.session.rollback()
        connection = db.session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    try:
        revision = schema_revision(connection)
        manifest: dict[str, Any] = {
            "format": FORMAT,
            "version": VERSION,
            "revision": revision,
            "dialect": connection.dialect.name,
            "created_at": datetime.now(UTC).isoformat(),
            "tables": {},
        }
        rows: dict[str, int] = {}
        with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for table in _tables():
                buffer = io.BytesIO()
                count = 0
                statement = select(table).order_by(*table.primary_key.columns)
                for row in connection.execute(statement).mappings():
                    line = {key: _encode(value) for key, value in row.items()}
                    buffer.write(json.dumps(line, ensure_ascii=False, sort_keys=True).encode())
                    buffer.write(b"\n")
                    count += 1
                data = buffer.getvalue()
                archive.writestr(f"tables/{table.name}.jsonl", data)
                manifest["tables"][table.name] = {
                    "columns": [column.name for column in table.columns],
                    "rows": count,
                    "sha256": hashlib.sha256(data).hexdigest(),
                }
                rows[table.name] = count
            archive.writestr(MANIFEST, json.dumps(manifest, indent=2, sort_keys=True))
    finally:
        db.session.rollback()
    return Summary(revision, rows)


def _read(source: str | Path | IO[bytes]) -> tuple[dict[str, Any], dict[str, list[dict]]]:
    """Return the manifest and the decoded rows of a dump, or raise BackupError."""
    try:
        archive = zipfile.ZipFile(source)
    except FileNotFoundError:
        raise BackupError("the backup file does not exist.") from None
    except (zipfile.BadZipFile, OSError, EOFError):
        raise BackupError("this is not a wallet backup (not a readable zip file).") from None
    with archive:
        if sum(info.file_size for info in archive.infolist()) > MAX_UNPACKED_BYTES:
            raise BackupError("the backup is larger than a wallet backup can be.")
        try:
            manifest = json.loads(archive.read(MANIFEST))
        except KeyError:
            raise BackupError("this is not a wallet backup (no manifest).") from None
        except (ValueError, zipfile.BadZipFile, OSError, EOFError, zlib_error()):
            raise BackupError("the backup is damaged (its manifest cannot be read).") from None
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
            raise BackupError("this is not a wallet backup (unknown format).")
        if manifest.get("version") != VERSION:
            raise BackupError(
                f"this backup has format version {manifest.get('version')!r}; "
                f"this wallet reads version {VERSION}."
            )
        tables = manifest.get("tables")
        if not isinstance(tables, dict):
            raise BackupError("the backup is damaged (its manifest lists no tables).")
        known = {table.name: table for table in _tables()}
        if set(tables) != set(known):
            missing = sorted(set(known) - set(tables))
            unknown = sorted(set(tables) - set(known))
            raise BackupError(
                f"the backup was made from a different set of tables: missing {missing}, "
                f"unknown {unknown}."
            )
        contents: dict[str, list[dict]] = {}
        for name, entry in tables.items():
            try:
                data = archive.read(f"tables/{name}.jsonl")
            except KeyError:
                raise BackupError(f"the backup is damaged (table {name} is missing).") from None
            except (zipfile.BadZipFile, OSError, EOFError, zlib_error()):
                raise BackupError(f"the backup is damaged (table {name} cannot be read).") from None
            if hashlib.sha256(data).hexdigest() != entry.get("sha256"):
                raise BackupError(f"the backup is damaged (table {name} fails its checksum).")
            columns = {column.name for column in known[name].columns}
            if set(entry.get("columns") or []) != columns:
                raise BackupError(
                    f"the backup's table {name} has other columns than this wallet's."
                )
            rows = []
            try:
                for line in data.splitlines():
                    row = json.loads(line)
                    if not isinstance(row, dict) or set(row) != columns:
                        raise ValueError(name)
                    rows.append({key: _decode(value) for key, value in row.items()})
            except (ValueError, TypeError):
                raise BackupError(
                    f"the backup is damaged (a row of table {name} is unreadable)."
                ) from None
            if len(rows) != entry.get("rows"):
                raise BackupError(f"the backup is damaged (table {name} has the wrong row count).")
            contents[name] = rows
    return manifest, contents


def zlib_error() -> type[Exception]:
    """Return zlib's error class (a damaged deflate stream raises it from zipfile)."""
    import zlib

    return zlib.error


def is_empty() -> bool:
    """Return True when no table of the application holds a row."""
    try:
        return all(
            not db.session.scalar(select(func.count()).select_from(table)) for table in _tables()
        )
    finally:
        db.session.rollback()


def restore(source: str | Path | IO[bytes], *, replace: bool = False) -> Summary:
    """Load a dump into the database; refuse a non-empty database unless ``replace``.

    Every check (format, checksums, rows, schema revision) runs before anything is written;
    the writing itself is one transaction, rolled back entirely on any error.
    """
    manifest, contents = _read(source)
    connection = db.session.connection()
    revision = schema_revision(connection)
    if manifest.get("revision") != revision:
        db.session.rollback()
        raise BackupError(
            f"the backup is from schema revision {manifest.get('revision') or 'none'}, "
            f"the database is at {revision or 'none'}; "
            "restore it into a database at that revision (wallet db upgrade REVISION), "
            "then upgrade."
        )
    if not replace and not is_empty():
        raise BackupError(
            "the database is not empty; restoring would replace everything in it "
            "(use --yes to do that)."
        )
    tables = _tables()
    try:
        connection = db.session.connection()
        for table in reversed(tables):
            connection.execute(delete(table))
        for table in tables:
            rows = contents[table.name]
            for start in range(0, len(rows), 500):
                connection.execute(insert(table), rows[start : start + 500])
        if connection.dialect.name == "postgresql":
            _reset_sequences(connection, tables)
        db.session.commit()
    except Exception as exc:
        db.session.rollback()
        raise BackupError(
            f"the restore failed and nothing was changed ({exc.__class__.__name__})."
        ) from exc
    return Summary(revision, {name: len(rows) for name, rows in contents.items()})


def _reset_sequences(connection: Connection, tables: list[Table]) -> None:
    """Move PostgreSQL id sequences past the restored ids, so new rows get fresh ones."""
    for table in tables:
        for column in table.primary_key.columns:
            if not column.autoincrement or column.type.python_type is not int:
                continue
            sequence = connection.execute(
                text("select pg_get_serial_sequence(:table, :column)"),
                {"table": table.name, "column": column.name},
            ).scalar()
            if sequence:
                connection.execute(
                    text(
                        f"select setval(:sequence, coalesce((select max({column.name}) "
                        f"from {table.name}), 0) + 1, false)"
                    ),
                    {"sequence": sequence},
                )
