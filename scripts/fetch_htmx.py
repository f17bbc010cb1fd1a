"""Install the pinned htmx into wallet/static/vendor/htmx.min.js, checked against the pinned SRI.

Usage: python scripts/fetch_htmx.py [--quiet]

The version and the sha384 come from wallet/config.py (HTMX_VERSION, HTMX_SRI): the same bytes
the pages load from the CDN with an integrity check. The copy serves the same-origin mode
(WALLET_HTMX_LOCAL=1) and the browser tests, which answer the CDN URL with it. The package is
obtained with ``npm pack htmx.org@<version>`` from whatever registry npm is configured with. When
the file is present with the right hash the script exits at once without touching the network.
A hash mismatch is an error: nothing is written.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import sys
from pathlib import Path

from npm_artifact import command_line

ROOT = Path(__file__).resolve().parents[1]
TARGET = ROOT / "wallet" / "static" / "vendor" / "htmx.min.js"
MEMBER = "package/dist/htmx.min.js"


def pinned() -> tuple[str, str]:
    """Return (HTMX_VERSION, HTMX_SRI) from wallet/config.py without importing the app."""
    spec = importlib.util.spec_from_file_location("_wallet_config", ROOT / "wallet" / "config.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.HTMX_VERSION, module.HTMX_SRI


def sri_sha384(data: bytes) -> str:
    """Return the Subresource Integrity value (sha384) of data."""
    return "sha384-" + base64.b64encode(hashlib.sha384(data).digest()).decode("ascii")


def main(argv: list[str] | None = None) -> int:
    """Make sure the vendored htmx is present and matches the pinned SRI."""
    version, sri = pinned()
    return command_line(
        __doc__.splitlines()[0],
        argv,
        tool="fetch_htmx",
        spec=f"htmx.org@{version}",
        member=MEMBER,
        target=TARGET,
        digest=sri_sha384,
        expected=sri,
    )


if __name__ == "__main__":
    sys.exit(main())
