"""Pinned files from npm packages: hash-checked, written atomically."""

from __future__ import annotations

import argparse
import hashlib
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any


def npm_pack(spec: str, workdir: Path, tool: str) -> Path:
    """Download the npm tarball ``spec`` into workdir with the npm client; return its path."""
    npm = shutil.which("npm")
    if npm is None:
        raise SystemExit(f"{tool}: npm is required to obtain {spec} (install Node.js and npm)")
    out = subprocess.run(
        [npm, "pack", "--silent", spec],
        cwd=workdir,
        check=True,
        capture_output=True,
        text=True,
        timeout=180,
    )
    return workdir / out.stdout.strip().splitlines()[-1]


def install_member(
    *,
    tool: str,
    spec: str,
    member: str,
    target: Path,
    digest: Callable[[bytes], str],
    expected: str,
    quiet: bool,
) -> int:
    """Make sure target holds ``member`` of package ``spec`` whose digest is ``expected``.

    Returns at once when the file is already right; a mismatch writes nothing and returns 1.
    """
    if target.is_file() and digest(target.read_bytes()) == expected:
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        tarball = npm_pack(spec, Path(tmp), tool)
        with tarfile.open(tarball, "r:gz") as tar:
            handle = tar.extractfile(member)
            if handle is None:
                raise SystemExit(f"{tool}: {member} missing from {tarball.name}")
            data = handle.read()
    got = digest(data)
    if got != expected:
        print(
            f"{tool}: {spec} {member} does not match the pinned hash\n"
            f"  pinned: {expected}\n  got:    {got}\nNothing was written.",
            file=sys.stderr,
        )
        return 1
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".tmp")
    partial.write_bytes(data)
    partial.replace(target)
    if not quiet:
        print(f"{tool}: wrote {target} ({spec}, {len(data)} bytes)")
    return 0


def sha256_hex(data: bytes) -> str:
    """Return the hex sha256 of data."""
    return hashlib.sha256(data).hexdigest()


def command_line(description: str, argv: list[str] | None, **install: Any) -> int:
    """Read the fetch scripts' one option (--quiet), then install_member(**install)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quiet", action="store_true", help="say nothing when all is well")
    args = parser.parse_args(argv)
    return install_member(quiet=args.quiet, **install)
