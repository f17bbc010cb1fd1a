"""Install the pinned axe-core into tests/browser/vendor/axe.min.js for the accessibility tests.

Usage: python scripts/fetch_axe.py [--quiet]

The package is obtained with ``npm pack axe-core@<AXE_VERSION>`` from whatever registry npm is
configured with, and axe.min.js is checked against the sha256 pinned below before it is written.
When the file is present with the right hash the script exits at once without touching the
network, so build targets can call it every time. A mismatch is an error: nothing is written.
"""

from __future__ import annotations

import sys
from pathlib import Path

from npm_artifact import command_line
from npm_artifact import sha256_hex

AXE_VERSION = "4.14.1"
AXE_SHA256 = "29348999450cdf2849a8e70b7912fc2da85a849da39c0d0d5394f51d4a9ed95c"
MEMBER = "package/axe.min.js"

ROOT = Path(__file__).resolve().parents[1]
TARGET = ROOT / "tests" / "browser" / "vendor" / "axe.min.js"


def main(argv: list[str] | None = None) -> int:
    """Make sure the vendored axe-core is present and matches the pinned hash."""
    return command_line(
        __doc__.splitlines()[0],
        argv,
        tool="fetch_axe",
        spec=f"axe-core@{AXE_VERSION}",
        member=MEMBER,
        target=TARGET,
        digest=sha256_hex,
        expected=AXE_SHA256,
    )


if __name__ == "__main__":
    sys.exit(main())
