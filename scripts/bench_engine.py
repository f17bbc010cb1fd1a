"""Benchmark the badge engine in process: verify per format, unbake, the CLI, hostile-input memory.

Usage: .venv/bin/python scripts/bench_engine.py [--repeat N] [--warmup N] [--output PATH]
Prints a table of medians (after warm-up) and writes the figures as JSON (default
.bench/engine.json). Every sample is built with the library's own functions; nothing touches
the network (remote documents come from a temporary directory through UrlMapFetcher).
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import platform
import resource
import statistics
import struct
import subprocess
import sys
import tempfile
import time
import tracemalloc
import zlib
from collections.abc import Callable
from dataclasses import asdict
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cryptography.hazmat.primitives import serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ed25519  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import rsa  # noqa: E402

from wallet.openbadges import verify  # noqa: E402
from wallet.openbadges.baking import bake_png  # noqa: E402
from wallet.openbadges.baking import unbake_png  # noqa: E402
from wallet.openbadges.errors import BadgeError  # noqa: E402
from wallet.openbadges.fetch import Fetcher  # noqa: E402
from wallet.openbadges.fetch import OfflineFetcher  # noqa: E402
from wallet.openbadges.fetch import UrlMapFetcher  # noqa: E402
from wallet.openbadges.jose import sign_compact  # noqa: E402
from wallet.openbadges.keys import did_key_for  # noqa: E402

NOW = datetime(2025, 6, 1, tzinfo=UTC)
ISSUER = "https://issuer.example"
OB2 = "https://w3id.org/openbadges/v2"
VC2 = "https://www.w3.org/ns/credentials/v2"
OB3 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"


@dataclass
class Timing:
    """Median, spread and outcome of one timed case."""

    name: str
    median_ms: float
    min_ms: float
    max_ms: float
    runs: int
    outcome: str
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def timed(name: str, action: Callable[[], str], repeat: int, warmup: int, note: str = "") -> Timing:
    """Run ``action`` warm-up times, then ``repeat`` times; return the median wall time."""
    return timed_together([(name, action, note)], repeat, warmup)[0]


def timed_together(
    cases: list[tuple[str, Callable[[], str], str]], repeat: int, warmup: int
) -> list[Timing]:
    """Time several (name, action, note) cases like timed(), taking turns run by run, so that
    the load of a shared machine changing during the run does not skew their ratios."""
    outcomes = ["" for _ in cases]
    samples: list[list[float]] = [[] for _ in cases]
    for round_ in range(warmup + repeat):
        for index, (_name, action, _note) in enumerate(cases):
            started = time.perf_counter()
            outcomes[index] = action()
            if round_ >= warmup:
                samples[index].append((time.perf_counter() - started) * 1000)
    return [
        Timing(
            name,
            round(statistics.median(times), 3),
            round(min(times), 3),
            round(max(times), 3),
            repeat,
            outcome,
            note,
        )
        for (name, _action, note), times, outcome in zip(cases, samples, outcomes, strict=True)
    ]


# --- samples, built with the library's functions ----------------------------------------------


def ob3_credential(issuer_id: str, serial: int = 0) -> dict[str, Any]:
    """Return an unsigned OB 3.0 OpenBadgeCredential issued by ``issuer_id`` (serial in its id)."""
    return {
        "@context": [VC2, OB3],
        "id": f"urn:uuid:2f1c9a52-8f0e-4c43-a2b8-{serial:012x}",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": issuer_id, "type": ["Profile"], "name": "Concrete Institute"},
        "validFrom": "2024-01-01T00:00:00Z",
        "name": "Concrete Technician",
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "identifier": [
                {
                    "type": "IdentityObject",
                    "identityHash": "holder@example.org",
                    "identityType": "emailAddress",
                    "hashed": False,
                }
            ],
            "achievement": {
                "id": f"{ISSUER}/achievements/concrete-technician",
                "type": ["Achievement"],
                "name": "Concrete Technician",
                "description": "Passed the concrete technician examination.",
                "criteria": {"narrative": "Pass the written and practical examination."},
            },
        },
    }


def build_ob3_eddsa(serial: int = 0) -> bytes:
    """An OB 3.0 credential with an eddsa-rdfc-2022 proof by a did:key issuer (fully offline)."""
    from wallet.openbadges.signing import sign_eddsa_rdfc_2022

    key = ed25519.Ed25519PrivateKey.generate()
    did = did_key_for(key.public_key())
    method = f"{did}#{did[len('did:key:') :]}"
    signed = sign_eddsa_rdfc_2022(ob3_credential(did, serial), key, method, "2024-01-01T00:00:00Z")
    return json.dumps(signed).encode()


def build_vc_jwt() -> bytes:
    """An OB 3.0 credential as a VC 2.0 JWT signed with EdDSA, key named by a did:key kid."""
    key = ed25519.Ed25519PrivateKey.generate()
    did = did_key_for(key.public_key())
    method = f"{did}#{did[len('did:key:') :]}"
    credential = ob3_credential(did)
    payload = {
        **credential,
        "iss": did,
        "jti": credential["id"],
        "nbf": int(datetime(2024, 1, 1, tzinfo=UTC).timestamp()),
    }
    token = sign_compact(payload, key, "EdDSA", header={"kid": method, "typ": "vc+jwt"})
    return token.encode()


def write_ob2_documents(root: Path, public_pem: str | None) -> None:
    """Write the BadgeClass, Issuer (and key) an OB 2.0 assertion links to."""
    issuer: dict[str, Any] = {
        "@context": OB2,
        "type": "Issuer",
        "id": f"{ISSUER}/issuer.json",
        "name": "Concrete Institute",
        "url": ISSUER,
        "email": "badges@issuer.example",
    }
    if public_pem is not None:
        issuer["publicKey"] = f"{ISSUER}/key.json"
        key_doc = {
            "@context": OB2,
            "type": "CryptographicKey",
            "id": f"{ISSUER}/key.json",
            "owner": f"{ISSUER}/issuer.json",
            "publicKeyPem": public_pem,
        }
        (root / "key.json").write_text(json.dumps(key_doc))
    badge_class = {
        "@context": OB2,
        "type": "BadgeClass",
        "id": f"{ISSUER}/badges/b.json",
        "name": "Concrete Technician",
        "description": "Passed the concrete technician examination.",
        "image": f"{ISSUER}/badges/b.png",
        "criteria": {"narrative": "Pass the exam."},
        "issuer": f"{ISSUER}/issuer.json",
    }
    (root / "badges").mkdir(parents=True, exist_ok=True)
    (root / "badges" / "b.json").write_text(json.dumps(badge_class))
    (root / "issuer.json").write_text(json.dumps(issuer))


def ob2_assertion(verification: dict[str, Any]) -> dict[str, Any]:
    """Return an OB 2.0 assertion with the given verification object."""
    return {
        "@context": OB2,
        "type": "Assertion",
        "id": f"{ISSUER}/assertions/1.json" if verification["type"] == "hosted" else "urn:uuid:1",
        "recipient": {"type": "email", "hashed": False, "identity": "holder@example.org"},
        "badge": f"{ISSUER}/badges/b.json",
        "verification": verification,
        "issuedOn": "2024-01-01T00:00:00Z",
        "expires": "2030-01-01T00:00:00Z",
    }


def build_ob2_signed(root: Path) -> bytes:
    """An OB 2.0 signed assertion (RS256 JWS); its issuer, key and badge class live in ``root``."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    write_ob2_documents(root, pem)
    assertion = ob2_assertion({"type": "SignedBadge", "creator": f"{ISSUER}/key.json"})
    return sign_compact(assertion, key, "RS256").encode()


def build_ob2_hosted(root: Path) -> Path:
    """An OB 2.0 hosted assertion file whose hosted copy lives in ``root``."""
    write_ob2_documents(root, None)
    (root / "assertions").mkdir(exist_ok=True)
    path = root / "assertions" / "1.json"
    path.write_text(json.dumps(ob2_assertion({"type": "hosted"})))
    return path


def png_chunk(ctype: bytes, body: bytes) -> bytes:
    """Return one PNG chunk with its CRC (for hostile and filler inputs only)."""
    return struct.pack(">I", len(body)) + ctype + body + struct.pack(">I", zlib.crc32(ctype + body))


PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def plain_png(total_bytes: int) -> bytes:
    """A structurally valid PNG of about ``total_bytes`` (filler IDAT, pixels never decoded)."""
    ihdr = png_chunk(b"IHDR", struct.pack(">IIBBBBB", 1024, 1024, 8, 2, 0, 0, 0))
    filler = os.urandom(65536)
    chunks = [PNG_SIGNATURE, ihdr]
    size = len(PNG_SIGNATURE) + len(ihdr) + 12
    while size + len(filler) + 12 < total_bytes:
        chunks.append(png_chunk(b"IDAT", filler))
        size += len(filler) + 12
    chunks.append(png_chunk(b"IDAT", os.urandom(max(0, total_bytes - size - 24))))
    chunks.append(png_chunk(b"IEND", b""))
    return b"".join(chunks)


def hostile_inputs() -> dict[str, bytes]:
    """A batch of hostile inputs (security.md §4 shapes) to measure time and peak memory."""
    ihdr = png_chunk(b"IHDR", struct.pack(">IIBBBBB", 30000, 30000, 8, 2, 0, 0, 0))
    bomb = zlib.compress(b"\0" * (50 * 1024 * 1024), 9)
    laughs = ['<!ENTITY a0 "lol">'] + [
        f'<!ENTITY a{i} "{("&a" + str(i - 1) + ";") * 10}">' for i in range(1, 10)
    ]
    return {
        "png_itxt_bomb_50MB": PNG_SIGNATURE
        + ihdr
        + png_chunk(b"iTXt", b"openbadges\x00\x01\x00\x00\x00" + bomb)
        + png_chunk(b"IEND", b""),
        "png_ztxt_bomb_50MB": PNG_SIGNATURE
        + ihdr
        + png_chunk(b"zTXt", b"openbadges\x00\x00" + bomb)
        + png_chunk(b"IEND", b""),
        "png_length_0x7fffffff": PNG_SIGNATURE + ihdr + b"\x7f\xff\xff\xffiTXt" + b"x" * 64,
        "png_uncompressed_itxt_20MB": PNG_SIGNATURE
        + ihdr
        + png_chunk(b"iTXt", b"openbadges\x00\x00\x00\x00\x00" + b"{" * (20 * 1024 * 1024))
        + png_chunk(b"IEND", b""),
        "png_100k_tiny_chunks": PNG_SIGNATURE
        + ihdr
        + png_chunk(b"tEXt", b"k\x00v") * 100_000
        + png_chunk(b"IEND", b""),
        "json_deep_100k": b"[" * 100_000 + b"]" * 100_000,
        "json_1M_array": b"[" + b"0," * 999_999 + b"0]",
        "json_5000_digits": b'{"@context": "https://w3id.org/openbadges/v2", "n": '
        + b"9" * 5000
        + b"}",
        "json_10MB_string": b'{"name": "' + b"a" * (10 * 1024 * 1024 - 20) + b'"}',
        "svg_billion_laughs": (
            '<?xml version="1.0"?><!DOCTYPE svg [' + "".join(laughs) + "]>"
            '<svg xmlns="http://www.w3.org/2000/svg">&a9;</svg>'
        ).encode(),
        "svg_1M_elements": b'<svg xmlns="http://www.w3.org/2000/svg">'
        + b"<g/>" * 1_000_000
        + b"</svg>",
        "svg_deep_100k": b'<svg xmlns="http://www.w3.org/2000/svg">'
        + b"<g>" * 100_000
        + b"</g>" * 100_000
        + b"</svg>",
        "jws_2MB_segments": b"eyJhbGciOiJub25lIn0." + b"A" * (2 * 1024 * 1024) + b".x",
        "garbage_10MB": os.urandom(10 * 1024 * 1024),
    }


def run_hostile(inputs: dict[str, bytes]) -> dict[str, dict[str, Any]]:
    """Verify every hostile input offline; return per-item outcome and time."""
    fetcher = OfflineFetcher()
    results: dict[str, dict[str, Any]] = {}
    for name, data in inputs.items():
        started = time.perf_counter()
        try:
            outcome = "report:" + verify(data, fetcher=fetcher, now=NOW).result
        except BadgeError as exc:
            outcome = "refused:" + exc.code
        except Exception as exc:  # the point is to see escapes, not to crash the benchmark
            outcome = "ESCAPED:" + type(exc).__name__
        results[name] = {"outcome": outcome, "ms": round((time.perf_counter() - started) * 1000, 1)}
    return results


def maxrss_mib() -> float:
    """Return this process's peak RSS in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: list[str] | None = None) -> int:
    """Run all cases, print a table, write JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--process-repeat", type=int, default=20)
    parser.add_argument("--output", type=Path, default=ROOT / ".bench" / "engine.json")
    args = parser.parse_args(argv)

    timings: list[Timing] = []
    problems: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        offline = OfflineFetcher()

        def case(name: str, build: Callable[[], bytes], fetcher: Fetcher, note: str) -> None:
            try:
                data = build()
            except Exception as exc:  # a missing builder is reported, not fatal
                problems.append(f"{name}: sample not built ({type(exc).__name__}: {exc})")
                return

            def action() -> str:
                return verify(data, fetcher=fetcher, now=NOW).result

            timing = timed(name, action, args.repeat, args.warmup, note)
            timing.extra["input_bytes"] = len(data)
            if timing.outcome != "valid":
                problems.append(f"{name}: sample verified as {timing.outcome!r}, not 'valid'")
            timings.append(timing)

        case("ob3 eddsa-rdfc-2022, seen before", build_ob3_eddsa, offline, "canonical forms cached")
        # Distinct credentials, each verified once: the cost of a badge seen for the first time.
        unseen = iter([build_ob3_eddsa(n) for n in range(1, args.warmup + args.repeat + 1)])
        first_sight = timed(
            "ob3 eddsa-rdfc-2022, first sight",
            lambda: verify(next(unseen), fetcher=offline, now=NOW).result,
            args.repeat,
            args.warmup,
            "distinct credentials",
        )
        if first_sight.outcome != "valid":
            problems.append(f"first sight: verified as {first_sight.outcome!r}, not 'valid'")
        timings.append(first_sight)
        signed_dir = root / "signed"
        signed_dir.mkdir()
        signed_fetcher = UrlMapFetcher({f"{ISSUER}/": signed_dir})
        case(
            "ob2 signed RS256",
            lambda: build_ob2_signed(signed_dir),
            signed_fetcher,
            "issuer/key/class via url-map",
        )
        case("ob3 vc-jwt EdDSA", build_vc_jwt, offline, "did:key kid")

        try:
            badge = build_ob3_eddsa().decode()
        except Exception:  # unbaking does not care what the text is
            badge = '{"placeholder": true}'
        big_png = bake_png(plain_png(10_000_000), "openbadgecredential", badge)
        unbake = timed(
            "unbake 10 MB PNG",
            lambda: unbake_png(big_png).keyword,
            args.repeat,
            args.warmup,
            f"{big_png.count(b'IDAT')} IDAT chunks, every CRC checked",
        )
        unbake.extra["input_bytes"] = len(big_png)
        timings.append(unbake)

        hosted_dir = root / "hosted"
        source = build_ob2_hosted(hosted_dir)
        wallet_script = ROOT / ".venv" / "bin" / "wallet"
        base = (
            [str(wallet_script)]
            if wallet_script.exists()
            else [sys.executable, "-m", "wallet.cli.console"]
        )
        command = [
            *base,
            "verify",
            str(source),
            "--json",
            "--offline",
            "--url-map",
            f"{ISSUER}/={hosted_dir}",
            "--now",
            "2025-06-01T00:00:00Z",
        ]
        ob3_source = root / "ob3.json"
        ob3_source.write_bytes(build_ob3_eddsa())
        ob3_command = [*base, "verify", str(ob3_source), "--json", "--offline"]
        env = {k: v for k, v in os.environ.items() if not k.startswith("WALLET_")}
        # An installed wallet has bytecode; an editable install run with
        # PYTHONDONTWRITEBYTECODE=1 never writes any and would compile every module every run.
        compileall.compile_dir(ROOT / "wallet", quiet=1)

        def run(argv: list[str]) -> Callable[[], str]:
            def action() -> str:
                done = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=60)
                return f"exit {done.returncode}"

            return action

        process, ob3_process, interpreter = timed_together(
            [
                ("wallet verify (process)", run(command), "hosted OB 2.0, --offline --url-map"),
                (
                    "wallet verify ob3 (process)",
                    run(ob3_command),
                    "did:key eddsa-rdfc-2022 JSON, --offline",
                ),
                (
                    "python -c pass (baseline)",
                    run([sys.executable, "-c", "pass"]),
                    "interpreter start-up only",
                ),
            ],
            args.process_repeat,
            1,
        )
        timings += [process, ob3_process, interpreter]
        for timing in (process, ob3_process):
            if timing.outcome != "exit 0":
                problems.append(f"{timing.name} ended with {timing.outcome}")

        inputs = hostile_inputs()
        rss_before = maxrss_mib()
        started = time.perf_counter()
        hostile = run_hostile(inputs)
        batch_ms = (time.perf_counter() - started) * 1000
        rss_after = maxrss_mib()
        tracemalloc.start()
        peak = 0
        for name, data in inputs.items():
            tracemalloc.reset_peak()
            run_hostile({name: data})
            item_peak = tracemalloc.get_traced_memory()[1]
            hostile[name]["peak_mib"] = round(item_peak / 2**20, 1)
            peak = max(peak, item_peak)
        tracemalloc.stop()
        escaped = [name for name, item in hostile.items() if item["outcome"].startswith("ESCAPED")]
        if escaped:
            problems.append("unexpected exception types escaped for: " + ", ".join(escaped))

    memory = {
        "items": len(inputs),
        "input_mib": round(sum(len(v) for v in inputs.values()) / 2**20, 1),
        "batch_ms": round(batch_ms, 1),
        "tracemalloc_peak_mib": round(peak / 2**20, 1),
        "maxrss_before_mib": round(rss_before, 1),
        "maxrss_after_mib": round(rss_after, 1),
        "per_item": hostile,
    }
    report = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "repeat": args.repeat,
        "warmup": args.warmup,
        "timings": [asdict(t) for t in timings],
        "hostile_batch": memory,
        "problems": problems,
    }
    print(f"{'case':34} {'median ms':>10} {'min':>9} {'max':>9}  outcome")
    for t in timings:
        print(f"{t.name:34} {t.median_ms:10.2f} {t.min_ms:9.2f} {t.max_ms:9.2f}  {t.outcome}")
    print(
        f"\nhostile batch: {memory['items']} items, {memory['input_mib']} MiB in, "
        f"{memory['batch_ms']:.0f} ms, tracemalloc peak {memory['tracemalloc_peak_mib']} MiB, "
        f"maxrss {memory['maxrss_before_mib']} -> {memory['maxrss_after_mib']} MiB"
    )
    for name, item in hostile.items():
        print(
            f"  {name:30} {item['ms']:8.1f} ms {item['peak_mib']:7.1f} MiB peak  {item['outcome']}"
        )
    for problem in problems:
        print("PROBLEM:", problem)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nwritten: {args.output}")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
