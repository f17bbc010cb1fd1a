"""What a process loads to verify one OB 3.0 JSON badge: nothing only other inputs need."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.badge_factory import ob3_json

ROOT = Path(__file__).resolve().parents[2]

# Each is needed by some input or mode, never by an OB 3.0 JSON badge verified offline.
NOT_NEEDED = (
    "wallet.openbadges.fetch_http",  # the network (sockets, TLS)
    "wallet.openbadges.fetch_address",
    "wallet.openbadges.legacy",  # OB 0.5-2.0
    "defusedxml",  # SVG badges
    "xml.etree.ElementTree",
    "cryptography.hazmat.primitives.serialization",  # PEM keys (OB 2.0) and key comparison
    "babel",  # dates in en and ja are written by the messages module
)
# (PyLD's own imports, e.g. of asyncio and logging, are the command's business: see
# tests/test_verify_command.py.)


def _loaded_after(code: str) -> set[str]:
    """Run ``code`` in a fresh interpreter and return the names of the modules it loaded."""
    done = subprocess.run(
        [sys.executable, "-c", code + "\nimport sys, json; print(json.dumps(sorted(sys.modules)))"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
        timeout=60,
    )
    return set(json.loads(done.stdout.splitlines()[-1]))


def _unwanted(modules: set[str]) -> list[str]:
    return sorted(
        name for name in modules for prefix in NOT_NEEDED if (name + ".").startswith(prefix + ".")
    )


def test_importing_the_library_and_the_command_loads_no_optional_part() -> None:
    modules = _loaded_after("import wallet.openbadges, wallet.openbadges.v3, wallet.cli.verify")
    assert "wallet.openbadges.dataintegrity" in modules
    assert _unwanted(modules) == []


def test_verifying_an_ob3_badge_offline_loads_no_optional_part(tmp_path: Path) -> None:
    badge = tmp_path / "badge.json"
    badge.write_bytes(ob3_json())
    modules = _loaded_after(
        "from datetime import UTC, datetime\n"
        "from wallet.openbadges import verify\n"
        "from wallet.openbadges.fetch import OfflineFetcher\n"
        "from wallet.openbadges.messages import message\n"
        f"report = verify(open({str(badge)!r}, 'rb').read(), fetcher=OfflineFetcher(),"
        " now=datetime.now(UTC))\n"
        "assert report.result == 'valid', report.checks\n"
        "[message(c.message_id, lang, c.params) for c in report.checks for lang in ('en', 'ja')]"
    )
    assert _unwanted(modules) == []


def test_the_optional_parts_still_load_when_asked_for() -> None:
    modules = _loaded_after(
        "from wallet.openbadges.fetch import HttpFetcher, is_public_address\n"
        "from wallet.openbadges.verify import unbake\n"
        "from wallet.openbadges.errors import ParseError\n"
        "try:\n"
        "    unbake(b'<svg xmlns=\"http://www.w3.org/2000/svg\"></svg>')\n"
        "except Exception:\n"
        "    pass"
    )
    assert {"wallet.openbadges.fetch_http", "wallet.openbadges.fetch_address"} <= modules
    assert "defusedxml" in modules
