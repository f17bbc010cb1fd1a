"""Install the pinned jsQR into wallet/static/vendor/jsqr.js for the in-page QR scanner.

Usage: python scripts/fetch_jsqr.py [--quiet]

The receive page's scanner (wallet/static/js/scan.js) uses the browser's BarcodeDetector where
there is one and jsQR (Apache-2.0) elsewhere, loaded only when the holder starts the camera.
The package is obtained with ``npm pack jsqr@<JSQR_VERSION>`` and dist/jsQR.js is checked
against the sha256 pinned below before it is written. When the file is present with the right
hash the script exits at once without touching the network. A mismatch writes nothing.
"""

from __future__ import annotations

import sys
from pathlib import Path

from npm_artifact import command_line
from npm_artifact import sha256_hex

JSQR_VERSION = "1.4.0"
JSQR_SHA256 = "bc40c8a15196236b2314db0856f72ca0b49980cd5413b8c852a7349f5fee0859"
MEMBER = "package/dist/jsQR.js"

ROOT = Path(__file__).resolve().parents[1]
TARGET = ROOT / "wallet" / "static" / "vendor" / "jsqr.js"


def main(argv: list[str] | None = None) -> int:
    """Make sure the vendored jsQR is present and matches the pinned hash."""
    return command_line(
        __doc__.splitlines()[0],
        argv,
        tool="fetch_jsqr",
        spec=f"jsqr@{JSQR_VERSION}",
        member=MEMBER,
        target=TARGET,
        digest=sha256_hex,
        expected=JSQR_SHA256,
    )


if __name__ == "__main__":
    sys.exit(main())
