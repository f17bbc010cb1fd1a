"""Install the pinned axe-core into tests/browser/vendor/axe.min.js for the accessibility tests.

Usage: python scripts/fetch_axe.py [--quiet]

The package is obtained with ``npm pack axe-core@<AXE_VERSION>`` from whatever registry npm is
configured with, and axe.min.js is checked against the sha256 pinned below before it is written.
When the file is present with the right hash the script exits at once without touching the
network, so build targets can call it every time. A mismatch is an error: nothing is written.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

AXE_VERSION = "4.14.1"
AXE_SHA256 = "29348999450cdf2849a8e70b7912fc2da85a849da39c0d0d5394f51d4a9ed95c"
MEMBER = "package/axe.min.js"

ROOT = Path(__file__).resolve().parents[1]
TARGET = ROOT / "tests" / "browser" / "vendor" / "axe.min.js"


def sha256(data: bytes) -> str:
    """Return the hex sha256 of data."""
    return hashlib.sha256(data).hexdigest()


def npm_pack(spec: str, workdir: Path) -> Path:
    """Download the npm tarball spec with the npm client; return its path."""
    npm = shutil.which("npm")
    if npm is None:
        raise SystemExit("fetch_axe: npm is required to obtain axe-core (install Node.js and npm)")
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
    """Make sure the vendored axe-core is present and matches the pinned hash."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quiet", action="store_true", help="say nothing when all is well")
    args = parser.parse_args(argv)
    if TARGET.is_file() and sha256(TARGET.read_bytes()) == AXE_SHA256:
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        tarball = npm_pack(f"axe-core@{AXE_VERSION}", Path(tmp))
        with tarfile.open(tarball, "r:gz") as tar:
            handle = tar.extractfile(MEMBER)
            if handle is None:
                raise SystemExit(f"fetch_axe: {MEMBER} missing from {tarball.name}")
            data = handle.read()
    got = sha256(data)
    if got != AXE_SHA256:
        print(
            f"fetch_axe: axe-core@{AXE_VERSION} axe.min.js does not match the pinned sha256\n"
            f"  pinned: {AXE_SHA256}\n  got:    {got}\nNothing was written.",
            file=sys.stderr,
        )
        return 1
    TARGET.parent.mkdir(parents=True, exist_ok=True)
    partial = TARGET.with_suffix(".tmp")
    partial.write_bytes(data)
    partial.replace(TARGET)
    if not args.quiet:
        print(
            f"fetch_axe: wrote {TARGET.relative_to(ROOT)} "
            f"(axe-core@{AXE_VERSION}, {len(data)} bytes)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
