"""Every log line the suite makes, kept in one folder and searched for personal data at the end.

pytest_configure (tests/conftest.py) attaches a file handler to the root logger that writes what
production would (the app's JSON format and filter; the `wallet` loggers down to DEBUG, every
other logger from INFO), and tests that start servers or workers in other processes write those
processes' logs into the same folder (`process_log`). When the session ends, every file there is
searched for the test data's email addresses and personal names, gathered from the tests'
source; a hit fails the run and prints the offending lines.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import time
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ENV = "WALLET_SUITE_LOG_DIR"
# Loggers of the test harness itself (the test SMTP server logs every envelope it receives).
HARNESS_LOGGERS = ("mail.log", "asyncio", "aiosmtpd")
EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
NAME_FIELD = re.compile(
    r"""["']?(?:family_name|given_name|family_name_kana|given_name_kana|family|given)["']?"""
    r"""\s*[=:]\s*["']([^"'{}\n]{2,40})["']"""
)
# Names the tests write into CSV text and f-strings, where no keyword precedes them.
EXTRA_NAMES = ("山田", "コンクリート", "太郎", "花子")
# Addresses that are configuration, not people (the sender every mail comes from).
NOT_PERSONAL = {"no-reply@wallet.invalid", "map@example.org"}

KEEP_SESSIONS = 10  # older sessions' folders are removed when a new session starts

_handler: logging.Handler | None = None


class _NotHarness(logging.Filter):
    """Leave out the test harness's own loggers."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Return False for harness loggers."""
        return not record.name.startswith(HARNESS_LOGGERS)


def folder() -> Path:
    """Return this session's log folder."""
    return Path(os.environ[ENV])


def process_log(name: str) -> Path:
    """Return a fresh file in the session's folder for another process's log output."""
    path = folder() / f"{name}-{time.monotonic_ns()}.log"
    path.touch()
    return path


def start() -> Path:
    """Create the session's folder and attach the capturing handler to the root logger."""
    global _handler
    from wallet.services.logs import ContextFilter
    from wallet.services.logs import JsonFormatter

    parent = ROOT / "artifacts" / "suite-logs"
    base = parent / f"{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}"
    base.mkdir(parents=True, exist_ok=True)
    sessions = sorted((p for p in parent.iterdir() if p.is_dir()), key=lambda p: p.stat().st_mtime)
    for old in sessions[:-KEEP_SESSIONS]:
        shutil.rmtree(old, ignore_errors=True)
    os.environ[ENV] = str(base)
    handler = logging.FileHandler(base / "pytest.jsonl", encoding="utf-8")
    handler.setLevel(logging.DEBUG)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(ContextFilter())
    handler.addFilter(_NotHarness())
    root = logging.getLogger()
    root.addHandler(handler)
    if root.level == logging.NOTSET or root.level > logging.INFO:
        root.setLevel(logging.INFO)
    logging.getLogger("wallet").setLevel(logging.DEBUG)
    _handler = handler
    return base


def stop() -> None:
    """Detach and close the capturing handler."""
    global _handler
    if _handler is not None:
        logging.getLogger().removeHandler(_handler)
        _handler.close()
        _handler = None


def test_sources() -> Iterable[Path]:
    """Return the test files whose data is searched for."""
    return sorted(ROOT.joinpath("tests").rglob("*.py"))


def needles(sources: Iterable[Path] | None = None) -> set[str]:
    """Return the email addresses and personal names that appear in the tests' data."""
    found: set[str] = set(EXTRA_NAMES)
    for path in sources if sources is not None else test_sources():
        text = path.read_text(encoding="utf-8")
        found.update(m.group(0) for m in EMAIL.finditer(text))
        found.update(m.group(1).strip() for m in NAME_FIELD.finditer(text))
    return {n for n in found if len(n) >= 2 and n not in NOT_PERSONAL}


def _as_word(needle: str) -> str:
    """A Latin name matches as a whole word ("Jo" is not in "Job"); Japanese matches anywhere."""
    escaped = re.escape(needle)
    if needle.isascii():
        return rf"(?<![A-Za-z0-9]){escaped}(?![A-Za-z0-9])"
    return escaped


def leaks(base: Path, wanted: set[str]) -> list[tuple[str, str, str]]:
    """Return (file, needle, line) for every captured line that contains a needle."""
    found = []
    pattern = re.compile("|".join(_as_word(n) for n in sorted(wanted, key=len, reverse=True)))
    for path in sorted(base.rglob("*")):
        if not path.is_file():
            continue
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            match = pattern.search(line)
            if match:
                found.append((path.name, match.group(0), line[:400]))
    return found


def line_count(base: Path) -> int:
    """Return how many lines the session captured (the check is only as good as this)."""
    return sum(
        len(p.read_text(encoding="utf-8", errors="replace").splitlines())
        for p in base.rglob("*")
        if p.is_file()
    )
