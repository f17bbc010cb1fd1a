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
import json
import zipfile
from collections.abc import Iterator
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
MAX_MANIFEST_BYTES = 1024 * 1024
# One row (a badge's original with its image, base64) is at most this long in the dump.
MAX_LINE_BYTES = 64 * 1024 * 1024
# Rows are inserted in batches of at most this many rows or bytes (as written in the dump).
BATCH_ROWS = 500
BATCH_BYTES = 8 * 1024 * 1024
# Rows are read for a dump this many at a time: a row can be megabytes (a badge's original).
DUMP_FETCH_ROWS = 8


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
                count, digest = _write_table(connection, table, archive)
                manifest["tables"][table.name] = {
                    "columns": [column.name for column in table.columns],
                    "rows": count,
                    "sha256": digest,
                }
                rows[table.name] = count
            archive.writestr(MANIFEST, json.dumps(manifest, indent=2, sort_keys=True))
    finally:
        db.session.rollback()
    return Summary(revision, rows)


def _write_table(connection: Connection, table: Table, archive: zipfile.ZipFile) -> tuple[int, str]:
    """Stream one table's rows into the archive; return the row count and the file's SHA-256."""
    digest = hashlib.sha256()
    count = 0
    statement = (
        select(table)
        .order_by(*table.primary_key.columns)
        .execution_options(yield_per=DUMP_FETCH_ROWS)  # a server-side cursor on PostgreSQL
    )
    # zip64 from the start: the entry's size is not known before it is written.
    with archive.open(f"tables/{table.name}.jsonl", "w", force_zip64=True) as entry:
        for row in connection.execute(statement).mappings():
            line = {key: _encode(value) for key, value in row.items()}
            data = json.dumps(line, ensure_ascii=False, sort_keys=True).encode() + b"\n"
            entry.write(data)
            digest.update(data)
            count += 1
    return count, digest.hexdigest()


def _open(source: str | Path | IO[bytes]) -> zipfile.ZipFile:
    """Open a dump as a zip archive, or raise BackupError."""
    try:
        return zipfile.ZipFile(source)
    except FileNotFoundError:
        raise BackupError("the backup file does not exist.") from None
    except (zipfile.BadZipFile, OSError, EOFError):
        raise BackupError("this is not a wallet backup (not a readable zip file).") from None


def _manifest(archive: zipfile.ZipFile) -> dict[str, Any]:
    """Return the checked manifest of an open dump, or raise BackupError."""
    if sum(info.file_size for info in archive.infolist()) > MAX_UNPACKED_BYTES:
        raise BackupError("the backup is larger than a wallet backup can be.")
    try:
        if archive.getinfo(MANIFEST).file_size > MAX_MANIFEST_BYTES:
            raise BackupError("the backup is damaged (its manifest is too large).")
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
    for name, entry in tables.items():
        columns = {column.name for column in known[name].columns}
        if not isinstance(entry, dict) or set(entry.get("columns") or []) != columns:
            raise BackupError(f"the backup's table {name} has other columns than this wallet's.")
    return manifest


def _batches(
    archive: zipfile.ZipFile, table: Table, entry: dict[str, Any]
) -> Iterator[list[dict[str, Any]]]:
    """Yield the decoded rows of one table file in batches, checking rows, count and checksum.

    The file is streamed: memory holds one batch, whatever the size of the dump. The checks
    that need the whole file (row count, SHA-256) fail after the last batch.
    """
    name = table.name
    columns = {column.name for column in table.columns}
    digest = hashlib.sha256()
    count = size = 0
    batch: list[dict[str, Any]] = []
    try:
        with archive.open(f"tables/{name}.jsonl") as stream:
            while line := stream.readline(MAX_LINE_BYTES + 1):
                if len(line) > MAX_LINE_BYTES:
                    raise BackupError(f"the backup is damaged (a row of table {name} is too long).")
                digest.update(line)
                row = json.loads(line)
                if not isinstance(row, dict) or set(row) != columns:
                    raise ValueError(name)
                batch.append({key: _decode(value) for key, value in row.items()})
                count += 1
                size += len(line)
                if len(batch) == BATCH_ROWS or size >= BATCH_BYTES:
                    yield batch
                    batch, size = [], 0
    except KeyError:
        raise BackupError(f"the backup is damaged (table {name} is missing).") from None
    except (zipfile.BadZipFile, OSError, EOFError, zlib_error()):
        raise BackupError(f"the backup is damaged (table {name} cannot be read).") from None
    except (ValueError, TypeError):
        raise BackupError(f"the backup is damaged (a row of table {name} is unreadable).") from None
    if digest.hexdigest() != entry.get("sha256"):
        raise BackupError(f"the backup is damaged (table {name} fails its checksum).")
    if count != entry.get("rows"):
        raise BackupError(f"the backup is damaged (table {name} has the wrong row count).")
    if batch:
        yield batch


def _check_tables(archive: zipfile.ZipFile, manifest: dict[str, Any]) -> None:
    """Read every table file once (streamed, nothing kept) so a damaged dump writes nothing."""
    for table in _tables():
        for _batch in _batches(archive, table, manifest["tables"][table.name]):
            pass


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
    with _open(source) as archive:
        manifest = _manifest(archive)
        _check_tables(archive, manifest)
        revision = _check_target(manifest, replace)
        return _load(archive, manifest, revision)


def _check_target(manifest: dict[str, Any], replace: bool) -> str | None:
    """Return the database's schema revision when the dump may be loaded into it."""
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
    return revision


def _load(archive: zipfile.ZipFile, manifest: dict[str, Any], revision: str | None) -> Summary:
    """Replace every table with the dump's rows in one transaction, streaming each file again."""
    tables = _tables()
    rows: dict[str, int] = {}
    try:
        connection = db.session.connection()
        for table in reversed(tables):
            connection.execute(delete(table))
        for table in tables:
            rows[table.name] = 0
            for batch in _batches(archive, table, manifest["tables"][table.name]):
                connection.execute(insert(table), batch)
                rows[table.name] += len(batch)
        if connection.dialect.name == "postgresql":
            _reset_sequences(connection, tables)
        db.session.commit()
    except BackupError:
        db.session.rollback()  # the file changed since it was checked
        raise
    except Exception as exc:
        db.session.rollback()
        raise BackupError(
            f"the restore failed and nothing was changed ({exc.__class__.__name__})."
        ) from exc
    return Summary(revision, rows)


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
