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

import argparse
import base64
import hashlib
import importlib.util
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

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


def npm_pack(spec: str, workdir: Path) -> Path:
    """Download the npm tarball spec with the npm client; return its path."""
    npm = shutil.which("npm")
    if npm is None:
        raise SystemExit("fetch_htmx: npm is required to obtain htmx (install Node.js and npm)")
    out = subprocess.run(
        [npm, "pack", "--silent", spec],
        cwd=workdir,
        check=True,
        capture_output=True,
        text=True,
        timeout=180,
    )
    return workdir / out.stdout.strip().splitlines()[-1]


def main(argv: list[str] | None = None) -> int:
    """Make sure the vendored htmx is present and matches the pinned SRI."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quiet", action="store_true", help="say nothing when all is well")
    args = parser.parse_args(argv)
    version, sri = pinned()
    if TARGET.is_file() and sri_sha384(TARGET.read_bytes()) == sri:
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        tarball = npm_pack(f"htmx.org@{version}", Path(tmp))
        with tarfile.open(tarball, "r:gz") as tar:
            handle = tar.extractfile(MEMBER)
            if handle is None:
                raise SystemExit(f"fetch_htmx: {MEMBER} missing from {tarball.name}")
            data = handle.read()
    got = sri_sha384(data)
    if got != sri:
        print(
            f"fetch_htmx: htmx.org@{version} dist/htmx.min.js does not match the pinned SRI\n"
            f"  pinned: {sri}\n  got:    {got}\nNothing was written.",
            file=sys.stderr,
        )
        return 1
    TARGET.parent.mkdir(parents=True, exist_ok=True)
    partial = TARGET.with_suffix(".tmp")
    partial.write_bytes(data)
    partial.replace(TARGET)
    if not args.quiet:
        print(
            f"fetch_htmx: wrote {TARGET.relative_to(ROOT)} (htmx.org@{version}, {len(data)} bytes)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
