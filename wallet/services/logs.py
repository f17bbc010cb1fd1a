"""Logging set-up: one JSON object per line in production, readable lines in development.

Every record carries the id of the request (or job) it belongs to, from a context variable the
web middleware and the job runner set. What goes into a message is the caller's business; the
rule of the house is ids, codes and counts only: never an address, a name, a token, a cookie or
badge contents (tests/conftest.py checks the whole suite's logs for the test data).
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
from collections.abc import Iterator
from collections.abc import Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

# The id of the request or job being handled, for every record logged meanwhile.
CURRENT_ID: ContextVar[str | None] = ContextVar("wallet_request_id", default=None)
HANDLER_MARK = "wallet_handler"
FORMATS = ("json", "text", "none")
# werkzeug's development server logs each request line with its full path (tokens, queries):
# `127.0.0.1 - - [06/Dec/2026 08:45:24] "GET /claim/<token> HTTP/1.1" 200 -`. The app logs its
# own request line with the route instead.
WERKZEUG_REQUEST_LINE = re.compile(r'\S+ - - \[[^\]]*\] "')


@contextmanager
def bound_id(value: str | None) -> Iterator[None]:
    """Attach value as the request/job id of every record logged inside the block."""
    token = CURRENT_ID.set(value)
    try:
        yield
    finally:
        CURRENT_ID.reset(token)


class ContextFilter(logging.Filter):
    """Stamp records with the current request id; drop werkzeug's own request lines."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Return False for werkzeug request lines, else add request_id and keep the record."""
        if record.name == "werkzeug" and WERKZEUG_REQUEST_LINE.match(str(record.msg)):
            return False
        if not hasattr(record, "request_id"):
            record.request_id = CURRENT_ID.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message, request id, fields."""

    def format(self, record: logging.LogRecord) -> str:
        """Return the record as one line of JSON."""
        entry: dict[str, Any] = {
            "ts": _timestamp(record.created),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None)
        if request_id:
            entry["request_id"] = request_id
        fields = getattr(record, "fields", None)
        if isinstance(fields, Mapping):
            entry.update({k: v for k, v in fields.items() if k not in entry})
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """A readable line: time, level, logger, [request id], message (and traceback)."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s %(rid)s%(message)s")

    def format(self, record: logging.LogRecord) -> str:
        """Return the record as a line for a developer's terminal."""
        request_id = getattr(record, "request_id", None)
        record.rid = f"[{request_id[:8]}] " if request_id else ""
        return super().format(record)


class StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Write to whatever sys.stderr is at the time (test runners swap it per test)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property  # type: ignore[override]
    def stream(self) -> Any:
        """Return the current standard error stream."""
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        """Ignore: the stream is always the current sys.stderr."""


def _timestamp(created: float) -> str:
    """Return an ISO 8601 UTC time with milliseconds."""
    seconds = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(created))
    return f"{seconds}.{int(created % 1 * 1000):03d}Z"


def formatter_for(kind: str) -> logging.Formatter:
    """Return the formatter for a LOG_FORMAT value ("json" or "text")."""
    return JsonFormatter() if kind == "json" else TextFormatter()


def configure(kind: str, level: str | int = "INFO") -> None:
    """Send the root logger's records to stderr in `kind` format ("none" leaves logging alone).

    Idempotent: a handler installed by an earlier call is replaced, others are kept.
    """
    if kind not in FORMATS:
        raise ValueError(f"LOG_FORMAT must be one of {', '.join(FORMATS)}, not {kind!r}")
    if kind == "none":
        return
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, HANDLER_MARK, False):
            root.removeHandler(handler)
    number = level if isinstance(level, int) else logging.getLevelName(str(level).upper())
    if not isinstance(number, int):
        raise ValueError(f"LOG_LEVEL {level!r} is not a logging level")
    handler = StderrHandler()
    setattr(handler, HANDLER_MARK, True)
    handler.setLevel(number)
    handler.setFormatter(formatter_for(kind))
    handler.addFilter(ContextFilter())
    root.addHandler(handler)
    # Lower the root's level when needed, never raise it: other handlers (a test run's capture)
    # may want more than this one prints.
    if root.level == logging.NOTSET or root.level > number:
        root.setLevel(number)
