"""BENCHMARKS.md is written from the JSON under .bench/, and a missing file reads "not measured"."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))

import bench_report  # noqa: E402


def _wrk(rps: float, p99: float, ratio: float | None = None) -> dict:
    figures = {"rps": rps, "p50": 0.5, "p99": p99, "errors": 0, "connections": 2}
    if ratio is not None:
        figures["ratio"] = ratio
    return figures


def _backend(name: str, offset: float) -> dict:
    """One database's figures in the shape bench_http.py writes (odd values, easy to spot)."""
    return {
        "database": name,
        "seed_seconds": 3.1,
        "load_average_at_start": [0.5 + offset, 0.4, 0.3],
        "load_average_at_end": [1.5 + offset, 0.4, 0.3],
        "in_process": {
            "pages": {
                "wallet home (1,000 badges)": {"queries": 2, "server_ms": 6.71 + offset},
                "badge detail": {"queries": 3, "server_ms": 3.87 + offset},
            },
            "pdf": {
                "first_ever_ms": 900.0,
                "certificate": {"cold_ms": 38.7 + offset, "cached_ms": 0.061},
            },
            "import": {"median_ms": 6.63 + offset, "max_ms": 9.0, "runs": 10},
        },
        "http": {
            "baseline": {"c2": _wrk(4917.3 + offset, 0.9), "c8": _wrk(5339.2, 2.1)},
            "endpoints": {
                "verification page /b/<id>": {
                    "c2": _wrk(3552.4, 1.283, 0.722),
                    "c8": _wrk(3497.0, 3.401, 0.655),
                },
                "QR PNG /b/<id>/qr.png": {
                    "c2": _wrk(2000.0, 2.0, 0.4),
                    "c8": _wrk(1952.6, 6.0, 0.366),
                },
            },
            "memory": {
                "requests_per_phase": 10000,
                "max_rss_mb": {"warm": 107.7, "after_n": 109.3, "after_2n": 109.6},
            },
        },
        "award": {
            "badges": 1000,
            "created": 1000,
            "problems": 0,
            "seconds": 11.14,
            "per_badge_ms": 11.14,
        },
    }


def _write(folder: Path, name: str, data: dict) -> None:
    (folder / name).write_text(json.dumps(data), encoding="utf-8")


def _report(folder: Path, *extra: str) -> str:
    output = folder / "BENCHMARKS.md"
    assert bench_report.main(["--bench-dir", str(folder), "--output", str(output), *extra]) == 0
    return output.read_text(encoding="utf-8")


def _row(markdown: str, start: str) -> str:
    rows = [line for line in markdown.splitlines() if line.startswith("| " + start)]
    assert len(rows) == 1, (start, markdown)
    return rows[0]


def test_figures_come_from_the_json(tmp_path):
    _write(
        tmp_path,
        "http.json",
        {
            "machine": {"load_average_at_start": [0.25, 0.5, 0.75]},
            "backends": [_backend("SQLite", 0.0), _backend("PostgreSQL", 1.0)],
        },
    )
    timings = [
        {"name": "ob3 eddsa-rdfc-2022, seen before", "median_ms": 0.301, "note": ""},
        {"name": "ob3 eddsa-rdfc-2022, first sight", "median_ms": 2.964, "note": ""},
        {"name": "wallet verify (process)", "median_ms": 812.5, "note": "hosted OB 2.0, x"},
        {"name": "python -c pass (baseline)", "median_ms": 19.25, "note": ""},
    ]
    _write(tmp_path, "engine.json", {"timings": timings, "problems": ["a sample went wrong"]})
    _write(
        tmp_path,
        "documents.json",
        {
            "render_many": {"seconds": 41.26},
            "bulk": {"certificates": 1000},
            "load_average": [0.875, 0.5, 0.25],
        },
    )
    _write(
        tmp_path,
        "scaleout.json",
        {
            "requests": 1953,
            "seconds": 10.0,
            "rps": 195.3,
            "errors": 0,
            "lost_writes": 0,
            "visibility_writes_ok": 120,
            "private_in_db": 120,
            "imports_ok": 6,
            "badges_in_db": 206,
            "badges_expected": 206,
            "rate_limit": {"shared": True},
            "private_everywhere": {"ok": True},
            "ok": True,
            "error_samples": [],
        },
    )
    figures = {"rps": 1200.0, "p50": 1.5, "p99": 4.25}
    _write(
        tmp_path,
        "ops.json",
        {
            "median": {
                "off": {"c2": figures, "c8": {**figures, "rps": 1400.0}},
                "log": {"c2": {**figures, "rps": 1150.0}, "c8": figures},
                "log+metrics": {"c2": {**figures, "rps": 1100.0}, "c8": figures},
            },
            "metrics_after_tour": {"families": ["wallet_http_requests", "wallet_mails"]},
        },
    )
    markdown = _report(tmp_path, "--command", "make bench")

    assert "`make bench`" in markdown
    assert "0.25 0.50 0.75" in markdown  # the HTTP bench's load average, when none is given
    assert f"{os.cpu_count()} ×" in markdown
    assert "0.88 at the end of bench_documents.py; 0.50 → 1.50 (SQLite), 1.50 → 2.50" in markdown
    assert _row(markdown, "hello baseline").endswith("| 4,917 / 5,339 | 4,918 / 5,339 |")
    assert "3,552 (0.72) / 3,497 (0.66)" in _row(markdown, "`/b/<id>`, c=2")
    assert "1.28 / 3.40 ms" in _row(markdown, "`/b/<id>` p99")
    assert "1,953 (0.37)" in _row(markdown, "`/b/<id>/qr.png`")
    assert _row(markdown, "wallet home").endswith("| 2, 6.71 ms | 2, 7.71 ms |")
    assert "| 3, 3.87 ms |" in _row(markdown, "badge detail")
    assert "38.7 ms / 0.06 ms" in _row(markdown, "certificate PDF")
    assert "6.63 ms" in _row(markdown, "import")
    assert "11.1 s" in _row(markdown, "`wallet award`")
    assert "after 10,000 / after 20,000" in markdown
    assert "107.7 / 109.3 / 109.6 MB" in _row(markdown, "worker RSS")
    assert _row(markdown, "OB 3.0 eddsa").endswith("| 2.96 / 0.30 ms |")
    assert _row(markdown, "`wallet verify` whole process (hosted OB 2.0, x)").endswith(
        "| 812 / 19.2 ms |"
    )
    assert "41.3 s for 1,000" in markdown
    assert "1,953 mixed requests" in markdown and "Verdict: OK" in markdown
    assert "- a sample went wrong" in markdown
    assert _row(markdown, "no request log, no metrics").endswith("| 1,200 | 4.25 | 1,400 | 4.25 |")
    assert _row(markdown, "JSON request log and metrics").startswith(
        "| JSON request log and metrics | 1,100 |"
    )
    assert "`wallet_http_requests`, `wallet_mails`" in markdown
    # The OB 3.0 process row waits for its timing; nothing else is missing.
    assert markdown.count("not measured") == 1
    assert "not measured" in _row(markdown, "`wallet verify` whole process (one OB 3.0 badge)")


def test_the_ob3_process_timing_fills_its_row(tmp_path):
    timings = [
        {"name": bench_report.TIMING_VERIFY_OB3_PROCESS, "median_ms": 345.6, "note": ""},
        {"name": bench_report.TIMING_PYTHON, "median_ms": 18.0, "note": ""},
    ]
    _write(tmp_path, "engine.json", {"timings": timings})
    markdown = _report(tmp_path)
    assert _row(markdown, "`wallet verify` whole process (one OB 3.0 badge)").endswith(
        "| 346 / 18.0 ms |"
    )


def test_missing_or_stale_files_read_not_measured(tmp_path):
    _write(
        tmp_path,
        "http.json",
        {
            "backends": [
                _backend("SQLite", 0.0),
                {"database": "PostgreSQL", "skipped": "no binaries"},
            ]
        },
    )
    _write(tmp_path, "scaleout.json", {"requests": 1})
    old = time.time() - 3600
    os.utime(tmp_path / "scaleout.json", (old, old))
    markdown = _report(tmp_path, "--started", str(old + 60), "--failed", "bench_engine.py (1)")

    assert _row(markdown, "hello baseline").endswith("| 4,917 / 5,339 | skipped (no binaries) |")
    assert _row(markdown, "OB 3.0 eddsa").endswith("| not measured |")
    assert _row(markdown, "certificates with one").endswith("| not measured |")
    assert "Scale-out (two processes, one PostgreSQL, one Redis): not measured." in markdown
    assert "`.bench/scaleout.json`: from an earlier run" in markdown
    assert "`.bench/engine.json`: absent" in markdown
    assert "bench_engine.py (1)" in markdown


def test_a_json_of_another_shape_reads_not_measured(tmp_path):
    _write(tmp_path, "http.json", {"backends": [{"database": "SQLite", "http": {}}]})
    _write(tmp_path, "engine.json", {"timings": "unexpected"})
    markdown = _report(tmp_path)
    assert _row(markdown, "hello baseline").endswith("| not measured | not measured |")
    assert _row(markdown, "OB 3.0 eddsa").endswith("| not measured |")
