"""Install the pinned JSON-LD contexts into wallet/openbadges/contexts/ (never fetched at run time).

Usage: python scripts/fetch_contexts.py [--quiet] [--pin]

Every context comes from a package pinned by version and by the sha256 of the package archive
(npm tarball or PyPI wheel), and every written file is checked against the sha256 in
wallet/openbadges/contexts/manifest.json. When all files are present with the right hashes the
script exits at once without touching the network, so build targets can call it every time.
``--pin`` (maintainers only) recomputes the hashes and rewrites the manifest.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from npm_artifact import npm_pack
from npm_artifact import sha256_hex as sha256

ROOT = Path(__file__).resolve().parents[1]
TARGET = ROOT / "wallet" / "openbadges" / "contexts"
MANIFEST = TARGET / "manifest.json"
SHARED_CONTEXTS = ROOT.parent / "shared" / "vectors" / "_contexts"

# Prints one context of a CommonJS context package; the package exports a Map url -> context.
NODE_EXTRACT = (
    "const m = require(process.argv[1]);"
    "const c = m.contexts.get(process.argv[2]);"
    "if (!c) { process.exit(3); }"
    "process.stdout.write(JSON.stringify(c, null, 2) + '\\n');"
)


def load_manifest() -> dict[str, Any]:
    """Return the committed manifest."""
    manifest: dict[str, Any] = json.loads(MANIFEST.read_text(encoding="utf-8"))
    return manifest


def missing_entries(manifest: dict[str, Any]) -> list[str]:
    """Return the context URLs whose file is absent or has the wrong hash."""
    missing = []
    for url, entry in manifest["contexts"].items():
        path = TARGET / entry["file"]
        if not path.is_file() or sha256(path.read_bytes()) != entry.get("sha256"):
            missing.append(url)
    return missing


def fetch_wheel(spec: str, workdir: Path) -> Path:
    """Download the wheel ``spec`` (``name==version``) with pip, without dependencies."""
    dest = workdir / "wheel"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--quiet",
            "--no-deps",
            "--only-binary",
            ":all:",
            spec,
            "-d",
            str(dest),
        ],
        check=True,
        timeout=300,
    )
    wheels = sorted(dest.glob("*.whl"))
    if len(wheels) != 1:
        raise SystemExit(f"fetch_contexts: expected one wheel for {spec}, got {wheels}")
    return wheels[0]


def extract_from_tarball(tarball: Path, member: str) -> bytes:
    """Return the bytes of ``member`` in an npm tarball."""
    with tarfile.open(tarball, "r:gz") as tar:
        handle = tar.extractfile(member)
        if handle is None:
            raise SystemExit(f"fetch_contexts: {member} missing from {tarball.name}")
        return handle.read()


def extract_from_js(tarball: Path, module: str, url: str, workdir: Path) -> bytes:
    """Evaluate the package's CommonJS module with node and return the context serialised."""
    node = shutil.which("node")
    if node is None:
        raise SystemExit("fetch_contexts: node is required to read JS-only context packages")
    unpacked = workdir / ("unpacked-" + tarball.stem)
    if not unpacked.exists():
        with tarfile.open(tarball, "r:gz") as tar:
            tar.extractall(unpacked, filter="data")
    out = subprocess.run(
        [node, "-e", NODE_EXTRACT, str(unpacked / module), url],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return out.stdout


def extract_from_wheel(wheel: Path, member: str) -> bytes:
    """Return the bytes of ``member`` in a wheel."""
    with zipfile.ZipFile(wheel) as archive:
        return archive.read(member)


def obtain(manifest: dict[str, Any], urls: list[str], *, pin: bool) -> dict[str, bytes]:
    """Download the packages the ``urls`` need and return url -> document bytes."""
    packages: dict[str, Any] = manifest["packages"]
    wanted: dict[str, list[str]] = {}
    for url in urls:
        wanted.setdefault(manifest["contexts"][url]["package"], []).append(url)
    result: dict[str, bytes] = {}
    with tempfile.TemporaryDirectory(prefix="wallet-contexts-") as tmp:
        workdir = Path(tmp)
        for key, package_urls in wanted.items():
            package = packages[key]
            kind = package["kind"]
            if kind == "shared":
                # Not published in any npm package or wheel: copied from the shared vector
                # folder, still pinned by each file's hash; optional when that folder is absent.
                for url in package_urls:
                    path = SHARED_CONTEXTS / manifest["contexts"][url]["member"]
                    if path.is_file():
                        result[url] = path.read_bytes()
                continue
            if kind == "npm":
                archive = npm_pack(package["spec"], workdir, "fetch_contexts")
            elif kind == "wheel":
                archive = fetch_wheel(package["spec"], workdir)
            else:
                raise SystemExit(f"fetch_contexts: unknown package kind {kind!r}")
            digest = sha256(archive.read_bytes())
            if pin:
                package["sha256"] = digest
            elif digest != package["sha256"]:
                raise SystemExit(
                    f"fetch_contexts: {package['spec']} archive hash {digest} "
                    f"!= pinned {package['sha256']}"
                )
            for url in package_urls:
                entry = manifest["contexts"][url]
                if kind == "wheel":
                    result[url] = extract_from_wheel(archive, entry["member"])
                elif "module" in entry:
                    result[url] = extract_from_js(archive, entry["module"], url, workdir)
                else:
                    result[url] = extract_from_tarball(archive, entry["member"])
    return result


def install(manifest: dict[str, Any], documents: dict[str, bytes], *, pin: bool) -> list[str]:
    """Check and write the documents; return the URLs that could not be installed."""
    problems = []
    for url, entry in manifest["contexts"].items():
        data = documents.get(url)
        if data is None:
            continue
        json.loads(data)
        digest = sha256(data)
        if pin:
            entry["sha256"] = digest
        elif digest != entry["sha256"]:
            problems.append(f"{url}: sha256 {digest} != pinned {entry['sha256']}")
            continue
        (TARGET / entry["file"]).write_bytes(data)
    return problems


def cross_check(manifest: dict[str, Any]) -> list[str]:
    """Compare installed documents with the shared vector bundle (same JSON, any formatting)."""
    shared_manifest = SHARED_CONTEXTS / "manifest.json"
    if not shared_manifest.is_file():
        return ["shared vector contexts absent: cross-check skipped"]
    theirs = json.loads(shared_manifest.read_text(encoding="utf-8"))
    notes = []
    for url, entry in manifest["contexts"].items():
        path = TARGET / entry["file"]
        if url not in theirs or not path.is_file():
            notes.append(f"{url}: not in the shared bundle or not installed")
            continue
        other = SHARED_CONTEXTS / theirs[url]["file"]
        same_bytes = sha256(path.read_bytes()) == theirs[url]["sha256_of_file"]
        same_json = json.loads(path.read_bytes()) == json.loads(other.read_bytes())
        if not same_json:
            notes.append(f"{url}: DIFFERENT JSON from the shared bundle")
        elif not same_bytes:
            notes.append(f"{url}: same JSON, different formatting")
    return notes


def main(argv: list[str] | None = None) -> int:
    """Install missing or damaged contexts; exit non-zero if a required one is wrong."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quiet", action="store_true", help="print nothing when all is well")
    parser.add_argument("--pin", action="store_true", help="recompute and store all hashes")
    parser.add_argument("--cross-check", action="store_true", help="compare with shared vectors")
    args = parser.parse_args(argv)

    manifest = load_manifest()
    urls = list(manifest["contexts"]) if args.pin else missing_entries(manifest)
    if urls:
        try:
            documents = obtain(manifest, urls, pin=args.pin)
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as exc:
            print(f"fetch_contexts: could not download the pinned packages: {exc}", file=sys.stderr)
            return 1
        problems = install(manifest, documents, pin=args.pin)
        if args.pin:
            MANIFEST.write_text(
                json.dumps(manifest, indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
            )
        if problems:
            print("\n".join(problems), file=sys.stderr)
            return 1
    still_missing = missing_entries(manifest)
    required = [u for u in still_missing if not manifest["contexts"][u].get("optional")]
    if required:
        print("fetch_contexts: missing contexts: " + ", ".join(required), file=sys.stderr)
        return 1
    if still_missing and not args.quiet:
        print(
            "fetch_contexts: optional contexts not installed: " + ", ".join(still_missing),
            file=sys.stderr,
        )
    if args.cross_check:
        for note in cross_check(manifest):
            print(note)
    if not args.quiet:
        print(f"fetch_contexts: {len(manifest['contexts']) - len(still_missing)} contexts ready")
    return 0


if __name__ == "__main__":
    sys.exit(main())
