"""Install the Digital Credentials Consortium's verifier libraries for tests/test_dcc_verifier.py.

Usage: python scripts/fetch_dcc_verifier.py [--quiet]

tests/interop/dcc/package.json names exact versions (@digitalcredentials/vc 10.0.2 and the
Data Integrity, eddsa-rdfc-2022, document-loader and bitstring-status-list packages) and
package-lock.json pins every package of the tree by version and sha512 integrity: `npm ci`
installs exactly that tree and refuses any tarball whose hash differs. Install scripts are not
run. When node_modules was installed from the same lock (a stamp holds the lock's sha256) the
script exits at once without touching the network, so build targets can call it every time.
The tests then run offline.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "tests" / "interop" / "dcc"
LOCK = PACKAGE / "package-lock.json"
STAMP = PACKAGE / "node_modules" / ".wallet-lock-sha256"


def lock_digest() -> str:
    """Return the sha256 of the lock file."""
    return hashlib.sha256(LOCK.read_bytes()).hexdigest()


def installed() -> bool:
    """Return whether node_modules holds the tree of the current lock."""
    return STAMP.is_file() and STAMP.read_text().strip() == lock_digest()


def main(argv: list[str] | None = None) -> int:
    """Install the pinned tree with `npm ci` unless it is there already."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quiet", action="store_true", help="say nothing when all is well")
    args = parser.parse_args(argv)
    if installed():
        return 0
    npm = shutil.which("npm")
    if npm is None or shutil.which("node") is None:
        print("fetch_dcc_verifier: Node.js and npm are required", file=sys.stderr)
        return 1
    result = subprocess.run(
        [npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"],
        cwd=PACKAGE,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if result.returncode != 0:
        print(f"fetch_dcc_verifier: npm ci failed\n{result.stderr[-2000:]}", file=sys.stderr)
        return 1
    STAMP.write_text(lock_digest() + "\n")
    if not args.quiet:
        print(f"fetch_dcc_verifier: installed {PACKAGE / 'node_modules'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
