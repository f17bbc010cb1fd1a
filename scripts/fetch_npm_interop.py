"""Install the pinned npm trees of the interoperability tests: every tests/interop/*/ folder.

Usage: python scripts/fetch_npm_interop.py [--quiet] [FOLDER...]

Each folder's package.json names exact versions and its package-lock.json pins every package
of the tree by version and sha512 integrity: `npm ci` installs exactly that tree and refuses
any tarball whose hash differs. Install scripts are not run. A folder whose node_modules was
installed from the same lock (a stamp holds the lock's sha256) is skipped without touching the
network, so build targets can call this every time; the tests then run offline. Today:
tests/interop/dcc (the Digital Credentials Consortium's verifier) and tests/interop/oid4vci
(an OpenID4VCI issuer built on @openid4vc/openid4vci).
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
INTEROP = ROOT / "tests" / "interop"
STAMP = Path("node_modules") / ".wallet-lock-sha256"


def lock_digest(folder: Path) -> str:
    """Return the sha256 of a folder's lock file."""
    return hashlib.sha256((folder / "package-lock.json").read_bytes()).hexdigest()


def installed(folder: Path) -> bool:
    """Return whether the folder's node_modules holds the tree of its current lock."""
    stamp = folder / STAMP
    return stamp.is_file() and stamp.read_text().strip() == lock_digest(folder)


def install(folder: Path, npm: str, quiet: bool) -> bool:
    """Run `npm ci` in folder unless its tree is there already; return success."""
    if installed(folder):
        return True
    result = subprocess.run(
        [npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if result.returncode != 0:
        print(
            f"fetch_npm_interop: npm ci failed in {folder}\n{result.stderr[-2000:]}",
            file=sys.stderr,
        )
        return False
    (folder / STAMP).write_text(lock_digest(folder) + "\n")
    if not quiet:
        print(f"fetch_npm_interop: installed {folder / 'node_modules'}")
    return True


def main(argv: list[str] | None = None) -> int:
    """Install every (or each named) interop folder's pinned tree."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quiet", action="store_true", help="say nothing when all is well")
    parser.add_argument("folders", nargs="*", type=Path, help="folders (default: all)")
    args = parser.parse_args(argv)
    folders = args.folders or sorted(p.parent for p in INTEROP.glob("*/package-lock.json"))
    npm = shutil.which("npm")
    if npm is None or shutil.which("node") is None:
        print("fetch_npm_interop: Node.js and npm are required", file=sys.stderr)
        return 1
    ok = all([install(folder.resolve(), npm, args.quiet) for folder in folders])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
