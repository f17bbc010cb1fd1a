"""Shared tools of the hardening suites: database checksums, a network guard, log capture."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import Any

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"


def db_state(app: Any, ignore: dict[str, set[str]] | None = None) -> dict[str, tuple[int, str]]:
    """Return {table: (row count, sha256 of every row in primary-key order)} of app's database.

    ignore names columns left out per table (bookkeeping such as a session's last-seen time).
    """
    from sqlalchemy import select

    from wallet.extensions import db

    state: dict[str, tuple[int, str]] = {}
    with app.app_context():
        for table in db.metadata.sorted_tables:
            skipped = (ignore or {}).get(table.name, set())
            columns = [c for c in table.columns if c.name not in skipped]
            statement = select(*columns).order_by(*table.primary_key.columns)
            rows = db.session.execute(statement).all()
            digest = hashlib.sha256()
            for row in rows:
                digest.update(repr(tuple(row)).encode("utf-8", "backslashreplace"))
            state[table.name] = (len(rows), digest.hexdigest())
        db.session.rollback()
    return state


def row_counts(app: Any) -> dict[str, int]:
    """Return {table: row count}."""
    return {name: count for name, (count, _digest) in db_state(app).items()}


@dataclass
class NetGuard:
    """Records every socket connect and name lookup; refuses anything but allowed test servers."""

    allowed: set[tuple[str, int]] = field(default_factory=set)
    dns: dict[str, list[str]] = field(default_factory=dict)
    connects: list[tuple[str, int]] = field(default_factory=list)
    outside: list[tuple[str, int]] = field(default_factory=list)
    lookups: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def allow(self, address: tuple[str, int]) -> None:
        """Allow connections to one (host, port) test server."""
        self.allowed.add((str(address[0]), int(address[1])))

    def _check(self, address: Any) -> None:
        if not isinstance(address, tuple):
            # AF_UNIX paths (e.g. a PostgreSQL socket) never leave the machine.
            return
        key = (str(address[0]), int(address[1]))
        with self.lock:
            self.connects.append(key)
            if key in self.allowed:
                return
            self.outside.append(key)
        raise ConnectionRefusedError(f"hardening guard: {key} is not a test server")

    def resolve(self, real: Any, host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        """Answer from the fake DNS table; numeric hosts pass; other names do not exist."""
        name = host.decode() if isinstance(host, bytes) else str(host or "")
        key = name.lower().rstrip(".")
        with self.lock:
            self.lookups.append(key)
        if key in self.dns:
            results = []
            for address in self.dns[key]:
                family = socket.AF_INET6 if ":" in address else socket.AF_INET
                sockaddr: tuple[Any, ...] = (
                    (address, int(port or 0), 0, 0) if ":" in address else (address, int(port or 0))
                )
                results.append((family, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", sockaddr))
            return results
        try:
            return real(host, port, *args, **{**kwargs, "flags": socket.AI_NUMERICHOST})
        except socket.gaierror:
            raise socket.gaierror(socket.EAI_NONAME, "hardening guard: no such name") from None


@contextmanager
def net_guard(monkeypatch: Any, guard: NetGuard | None = None) -> Iterator[NetGuard]:
    """Install a NetGuard on socket.socket.connect/connect_ex and socket.getaddrinfo."""
    guard = guard or NetGuard()
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex
    real_getaddrinfo = socket.getaddrinfo

    def connect(self: socket.socket, address: Any) -> Any:
        guard._check(address)
        return real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> Any:
        guard._check(address)
        return real_connect_ex(self, address)

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if args:
            # Positional family/type/proto/flags: re-pack as keywords for resolve().
            names = ("family", "type", "proto", "flags")
            kwargs.update(dict(zip(names, args, strict=False)))
        kwargs.pop("flags", None)
        return guard.resolve(real_getaddrinfo, host, port, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    try:
        yield guard
    finally:
        monkeypatch.setattr(socket.socket, "connect", real_connect)
        monkeypatch.setattr(socket.socket, "connect_ex", real_connect_ex)
        monkeypatch.setattr(socket, "getaddrinfo", real_getaddrinfo)


class ErrorLog(logging.Handler):
    """Collects ERROR records; a record carrying an exception is a traceback."""

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    @property
    def tracebacks(self) -> list[logging.LogRecord]:
        """Return the records that carry an exception."""
        return [r for r in self.records if r.exc_info]

    def describe(self) -> list[str]:
        """Return a short text per traceback record."""
        out = []
        for record in self.tracebacks:
            exc = record.exc_info[1] if record.exc_info else None
            out.append(f"{record.name}: {record.getMessage()}: {exc!r}"[:300])
        return out


@contextmanager
def error_log() -> Iterator[ErrorLog]:
    """Capture ERROR records of every logger for the duration of the block."""
    handler = ErrorLog()
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield handler
    finally:
        root.removeHandler(handler)


def write_figures(name: str, figures: dict[str, Any]) -> None:
    """Merge figures under name into artifacts/hardening.json and print them."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / "hardening.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        data = {}
    data[name] = figures
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False), encoding="utf-8")
    tmp.replace(path)
    print(f"\n[hardening] {name}: {json.dumps(figures, sort_keys=True, ensure_ascii=False)}")


def html_problems(html: str, payload_markers: tuple[str, ...] = ()) -> list[str]:
    """Return issuer-controlled active content found in html (scripts, on*, javascript:, hx-*)."""
    from html.parser import HTMLParser

    problems: list[str] = []

    class Parser(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            self._check(tag, attrs)

        def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            self._check(tag, attrs)

        def _check(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            if tag == "script":
                src = dict(attrs).get("src") or ""
                # Our own scripts: the pinned htmx and same-origin files only.
                if not (src.startswith("/static/") or src.startswith("https://cdn.jsdelivr.net/")):
                    problems.append(f"<script src={src!r}>")
            found = dict(attrs)
            if tag == "iframe":
                # Our own previews: sandboxed without scripts, same-origin src or srcdoc.
                sandbox = found.get("sandbox", "absent") or ""
                src = found.get("src") or ""
                if sandbox == "absent" or "allow-scripts" in sandbox or not src.startswith("/"):
                    problems.append(f"<iframe sandbox={sandbox!r} src={src[:60]!r}>")
                if found.get("srcdoc"):
                    problems.extend(html_problems(found["srcdoc"] or "", payload_markers))
            if tag in ("object", "embed", "foreignobject", "base", "frame"):
                problems.append(f"<{tag}>")
            for name, value in attrs:
                value = (value or "").strip()
                if name.startswith("on"):
                    problems.append(f"{tag} {name}={value[:60]!r}")
                if name in ("href", "src", "action", "formaction", "xlink:href", "data", "srcdoc"):
                    lowered = "".join(value.lower().split())
                    if lowered.startswith(("javascript:", "vbscript:", "data:text/html")):
                        problems.append(f"{tag} {name}={value[:60]!r}")
                if any(marker in value for marker in payload_markers) and (
                    name.startswith(("hx-", "data-hx-")) or name in ("hx-on", "style")
                ):
                    problems.append(f"{tag} {name}={value[:60]!r} carries issuer content")
                if name.startswith(("hx-on", "data-hx-on")):
                    problems.append(f"{tag} {name}")

    Parser(convert_charrefs=True).feed(html)
    return problems


def write_counter(app: Any) -> int | None:
    """Return SQLite's count of rows written on the one in-memory connection (None elsewhere).

    A cheap "nothing was written" test: when it did not move, the checksum cannot have either.
    """
    from sqlalchemy import text

    from wallet.extensions import db

    if app.config["SQLALCHEMY_DATABASE_URI"] not in ("sqlite://", "sqlite:///:memory:"):
        return None
    with app.app_context():
        value = db.session.execute(text("select total_changes()")).scalar()
        db.session.rollback()
    return int(value or 0)
