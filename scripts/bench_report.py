"""Write BENCHMARKS.md from the JSON the bench scripts leave under .bench/ (scripts/bench.sh)."""

# Where each figure comes from (a missing file, or a missing key in it, reads "not measured"):
#   .bench/http.json       (bench_http.py) backends[]: one per database, "database" names it,
#                          "skipped" when it did not run; http.baseline.c2|c8.rps;
#                          http.endpoints[ENDPOINT_*].c2|c8.{rps,ratio,p99};
#                          in_process.pages[PAGE_*].{queries,server_ms};
#                          in_process.pdf.certificate.{cold_ms,cached_ms};
#                          in_process.import.median_ms; award.{seconds,per_badge_ms} ("failed" or
#                          "skipped" instead when it did not run);
#                          http.memory.{requests_per_phase,max_rss_mb.{warm,after_n,after_2n}}.
#   .bench/engine.json     (bench_engine.py) timings[]: {name, median_ms, note}, looked up by the
#                          names TIMING_*; problems[] is copied under "Problems".
#   .bench/documents.json  (bench_documents.py) render_many.seconds, bulk.certificates.
#   .bench/scaleout.json   (bench_scaleout.py) requests, seconds, rps, errors, lost_writes,
#                          visibility_writes_ok, private_in_db, imports_ok, badges_in_db,
#                          badges_expected, rate_limit.shared, private_everywhere.ok, ok;
#                          or "skipped".
#   .bench/ops.json        (bench_ops.py) median.{off,log,log+metrics}.c2|c8.{rps,p50,p99};
#                          metrics_after_tour.families[].
# TIMING_VERIFY_OB3_PROCESS is the timing of `wallet verify` as a whole process on one OB 3.0
# badge; bench_engine.py times it in turns with TIMING_PYTHON and with TIMING_VERIFY_PROCESS,
# which verifies a hosted OB 2.0 assertion and has its own row, labelled with the note
# bench_engine.py records.

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
from collections.abc import Callable
from datetime import UTC
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
NOT_MEASURED = "not measured"
SOURCES = {
    "http": "http.json",
    "engine": "engine.json",
    "documents": "documents.json",
    "scaleout": "scaleout.json",
    "ops": "ops.json",
}
OPS_VARIANTS = {
    "off": "no request log, no metrics",
    "log": "JSON request log",
    "log+metrics": "JSON request log and metrics",
}
ENDPOINT_PUBLIC = "verification page /b/<id>"
ENDPOINT_QR = "QR PNG /b/<id>/qr.png"
PAGE_HOME = "wallet home (1,000 badges)"
PAGE_DETAIL = "badge detail"
TIMING_FIRST_SIGHT = "ob3 eddsa-rdfc-2022, first sight"
TIMING_SEEN_BEFORE = "ob3 eddsa-rdfc-2022, seen before"
TIMING_VERIFY_OB3_PROCESS = "wallet verify ob3 (process)"
TIMING_VERIFY_PROCESS = "wallet verify (process)"
TIMING_PYTHON = "python -c pass (baseline)"


def load_sources(
    bench_dir: Path, since: float | None
) -> tuple[dict[str, Any], list[str], float | None]:
    """Return the parsed JSON of each source present (and fresh), one note per source, and
    when the last of them was written."""
    data: dict[str, Any] = {}
    notes = []
    last = None
    for key, name in SOURCES.items():
        path = bench_dir / name
        if not path.is_file():
            notes.append(f"`.bench/{name}`: absent")
            continue
        mtime = path.stat().st_mtime
        written = stamp(mtime)
        # A file left by an earlier run must not pass for this run's figures.
        if since is not None and mtime < since:
            notes.append(f"`.bench/{name}`: from an earlier run ({written}), not used")
            continue
        try:
            data[key] = json.loads(path.read_text(encoding="utf-8"))
        except ValueError as exc:
            notes.append(f"`.bench/{name}`: unreadable ({exc}), not used")
            continue
        notes.append(f"`.bench/{name}`: written {written}")
        last = max(last or mtime, mtime)
    return data, notes, last


def stamp(epoch: float) -> str:
    """Return epoch seconds as a UTC date and time."""
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M UTC")


def machine() -> list[str]:
    """Describe this machine: CPU model and count, memory, kernel, Python."""
    model = platform.processor() or platform.machine()
    memory = "unknown memory"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = f"{int(line.split()[1]) / 2**20:.1f} GiB memory"
                break
    except OSError:  # not Linux: keep what platform says
        pass
    return [
        f"Machine: {os.cpu_count()} × {model} ({platform.machine()}), {memory}",
        f"System: {platform.system()} {platform.release()}, Python {platform.python_version()}",
    ]


def recorded_load(data: dict[str, Any]) -> str:
    """Return the 1-minute load averages the benches recorded while they ran."""
    parts = []
    documents = data.get("documents") or {}
    if documents.get("load_average"):
        parts.append(f"{documents['load_average'][0]:.2f} at the end of bench_documents.py")
    spans = [
        f"{b['load_average_at_start'][0]:.2f} → {b['load_average_at_end'][0]:.2f} "
        f"({b['database']})"
        for b in (data.get("http") or {}).get("backends", [])
        if b.get("load_average_at_start") and b.get("load_average_at_end")
    ]
    if spans:
        parts.append(", ".join(spans) + " in bench_http.py")
    return "; ".join(parts) or NOT_MEASURED


def num(value: float) -> str:
    """Format a rate or a size: whole numbers with thousands separators."""
    return f"{value:,.0f}"


def ms(value: float) -> str:
    """Format milliseconds with about three significant digits."""
    if value < 10:
        return f"{value:.2f}"
    if value < 100:
        return f"{value:.1f}"
    return f"{value:,.0f}"


def cell(read: Callable[[], str]) -> str:
    """Return read(), or "not measured" when the figure is not in the JSON."""
    try:
        return read()
    except (KeyError, IndexError, TypeError, ValueError):
        return NOT_MEASURED


def database_rows(backend: dict[str, Any]) -> list[str]:
    """Return the cells of one database's column, in the order of DATABASE_ROWS."""
    if "skipped" in backend:
        return [f"skipped ({backend['skipped']})"] * len(DATABASE_ROWS)
    return [cell(lambda read=read: read(backend)) for _label, read in DATABASE_ROWS]


def _baseline(b: dict[str, Any]) -> str:
    base = b["http"]["baseline"]
    return f"{num(base['c2']['rps'])} / {num(base['c8']['rps'])}"


def _public_rps(b: dict[str, Any]) -> str:
    row = b["http"]["endpoints"][ENDPOINT_PUBLIC]
    return " / ".join(f"{num(row[c]['rps'])} ({row[c]['ratio']:.2f})" for c in ("c2", "c8"))


def _public_p99(b: dict[str, Any]) -> str:
    row = b["http"]["endpoints"][ENDPOINT_PUBLIC]
    return f"{ms(row['c2']['p99'])} / {ms(row['c8']['p99'])} ms"


def _qr(b: dict[str, Any]) -> str:
    row = b["http"]["endpoints"][ENDPOINT_QR]["c8"]
    return f"{num(row['rps'])} ({row['ratio']:.2f})"


def _page(label: str) -> Callable[[dict[str, Any]], str]:
    def read(b: dict[str, Any]) -> str:
        page = b["in_process"]["pages"][label]
        return f"{page['queries']}, {ms(page['server_ms'])} ms"

    return read


def _pdf(b: dict[str, Any]) -> str:
    pdf = b["in_process"]["pdf"]
    if "skipped" in pdf:
        return f"skipped ({pdf['skipped']})"
    cert = pdf["certificate"]
    return f"{ms(cert['cold_ms'])} ms / {ms(cert['cached_ms'])} ms"


def _import(b: dict[str, Any]) -> str:
    return f"{ms(b['in_process']['import']['median_ms'])} ms"


def _award(b: dict[str, Any]) -> str:
    award = b["award"]
    if "failed" in award or "skipped" in award:
        return "failed (see `.bench/http.json`)" if "failed" in award else "skipped"
    return f"{award['seconds']:.1f} s ({ms(award['per_badge_ms'])} ms per badge)"


def _rss(b: dict[str, Any]) -> str:
    worst = b["http"]["memory"]["max_rss_mb"]
    return f"{worst['warm']:.1f} / {worst['after_n']:.1f} / {worst['after_2n']:.1f} MB"


DATABASE_ROWS: list[tuple[str, Callable[[dict[str, Any]], str]]] = [
    ("hello baseline, c=2 / c=8: req/s", _baseline),
    ("`/b/<id>`, c=2 / c=8: req/s (ratio to hello)", _public_rps),
    ("`/b/<id>` p99, c=2 / c=8", _public_p99),
    ("`/b/<id>/qr.png`, c=8: req/s (ratio)", _qr),
    ("wallet home, 1,000 badges: queries, server time", _page(PAGE_HOME)),
    ("badge detail: queries, server time", _page(PAGE_DETAIL)),
    ("certificate PDF cold / cached", _pdf),
    ("import of a baked OB 3.0 PNG (median)", _import),
    ("`wallet award` of 1,000 badges from CSV", _award),
    ("worker RSS warm / after {n} / after {n2} requests (max of 2 workers)", _rss),
]


def database_table(http: dict[str, Any] | None) -> list[str]:
    """Return the per-database table (SQLite and PostgreSQL columns)."""
    backends = {b.get("database"): b for b in (http or {}).get("backends", [])}
    columns = ["SQLite", "PostgreSQL"]
    cells = {
        name: database_rows(backends[name]) if name in backends
        else [NOT_MEASURED] * len(DATABASE_ROWS)
        for name in columns
    }
    # The memory row's label carries the request counts, so they come from the JSON too.
    phases = [b["http"]["memory"]["requests_per_phase"] for b in backends.values()
              if "memory" in b.get("http", {})]
    n = num(phases[0]) if phases else "N"
    n2 = num(2 * phases[0]) if phases else "2N"
    lines = ["| figure | " + " | ".join(columns) + " |", "|---|---|---|"]
    for i, (label, _read) in enumerate(DATABASE_ROWS):
        label = label.format(n=n, n2=n2)
        lines.append(f"| {label} | " + " | ".join(cells[name][i] for name in columns) + " |")
    return lines


def timing(engine: dict[str, Any] | None, name: str) -> dict[str, Any]:
    """Return the engine timing called name (KeyError when absent)."""
    for item in (engine or {})["timings"]:
        if item["name"] == name:
            return item
    raise KeyError(name)


def engine_table(engine: dict[str, Any] | None, documents: dict[str, Any] | None) -> list[str]:
    """Return the table of figures that involve no database."""

    def pair(first: str, second: str) -> str:
        a, b = timing(engine, first), timing(engine, second)
        return f"{ms(a['median_ms'])} / {ms(b['median_ms'])} ms"

    def render_many() -> str:
        many, bulk = documents["render_many"], documents["bulk"]
        return f"{many['seconds']:.1f} s for {num(bulk['certificates'])}"

    # The sample of the existing process timing is whatever bench_engine.py notes for it.
    sample = cell(lambda: f" ({timing(engine, TIMING_VERIFY_PROCESS)['note']})")
    sample = "" if sample == NOT_MEASURED else sample
    rows = [
        ("OB 3.0 eddsa-rdfc-2022, first sight / seen before",
         cell(lambda: pair(TIMING_FIRST_SIGHT, TIMING_SEEN_BEFORE))),
        ("`wallet verify` whole process (one OB 3.0 badge) / `python -c pass`",
         cell(lambda: pair(TIMING_VERIFY_OB3_PROCESS, TIMING_PYTHON))),
        (f"`wallet verify` whole process{sample} / `python -c pass`",
         cell(lambda: pair(TIMING_VERIFY_PROCESS, TIMING_PYTHON))),
        ("certificates with one `wallet documents render-many` process", cell(render_many)),
    ]
    return ["| figure | value |", "|---|---|"] + [f"| {label} | {value} |" for label, value in rows]


def scaleout_lines(scaleout: dict[str, Any] | None) -> list[str]:
    """Return the scale-out paragraph."""
    if scaleout is None:
        return [f"Scale-out (two processes, one PostgreSQL, one Redis): {NOT_MEASURED}."]
    if "skipped" in scaleout:
        return [f"Scale-out (two processes, one PostgreSQL, one Redis): skipped "
                f"({scaleout['skipped']})."]

    def text() -> str:
        s = scaleout
        limit = "shared" if s["rate_limit"]["shared"] else "NOT shared"
        hidden = "404 on both" if s["private_everywhere"]["ok"] else "NOT 404 on both"
        return (
            f"{num(s['requests'])} mixed requests in {s['seconds']} s ({num(s['rps'])} req/s), "
            f"{s['errors']} outside 2xx/3xx; visibility writes accepted / private in the "
            f"database {s['visibility_writes_ok']} / {s['private_in_db']}; imports accepted "
            f"{s['imports_ok']}, badges in the database {s['badges_in_db']} (expected "
            f"{s['badges_expected']}); {s['lost_writes']} lost writes; sign-in limit {limit} "
            f"between the processes; a badge made private: {hidden}. "
            f"Verdict: {'OK' if s['ok'] else 'FAILED'}."
        )

    return [f"Scale-out (two processes, one PostgreSQL, one Redis): {cell(text)}"]


def ops_lines(ops: dict[str, Any] | None) -> list[str]:
    """Return the table of the request log's and the metrics' cost on /b/<id>, and the families."""
    title = "Request log and metrics on the verification page /b/<id> (gunicorn -w 2, wrk)"
    if ops is None:
        return [f"{title}: {NOT_MEASURED}."]
    lines = [f"{title}, median of the rounds of `scripts/bench_ops.py`:", "",
             "| variant | c=2 req/s | c=2 p99 | c=8 req/s | c=8 p99 |", "|---|---|---|---|---|"]
    for key, label in OPS_VARIANTS.items():
        def figure(c: int, name: str, key: str = key) -> str:
            value = ops["median"][key][f"c{c}"][name]
            return num(value) if name == "rps" else ms(value)

        cells = [cell(lambda c=c, n=n: figure(c, n)) for c in (2, 8) for n in ("rps", "p99")]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    families = cell(lambda: ", ".join(f"`{f}`" for f in ops["metrics_after_tour"]["families"]))
    return [*lines, "", f"`/metrics` after the run showed: {families}."]


def render(
    data: dict[str, Any], notes: list[str], last: float | None, args: argparse.Namespace
) -> str:
    """Return the whole of BENCHMARKS.md."""
    # The run ends with its last JSON file, not when this report happens to be written.
    end = last if last is not None else datetime.now(UTC).timestamp()
    when = (f"{stamp(args.started)} to {stamp(end)} ({(end - args.started) / 60:.0f} min)"
            if args.started is not None else f"figures written up to {stamp(end)}")
    http = data.get("http")
    load = args.load_at_start
    if load is None and http is not None:  # run by hand: the HTTP bench noted its own start
        started = http.get("machine", {}).get("load_average_at_start", [])
        load = " ".join(f"{x:.2f}" for x in started)
    lines = [
        "# Benchmarks",
        "",
        f"Written by `scripts/bench_report.py` at the end of `{args.command}`; do not edit by "
        "hand, run it again. What each script measures: README, section Benchmarks.",
        "",
        f"- Run: {when}",
        f"- Command: `{args.command}`",
        *(f"- {line}" for line in machine()),
        f"- Load average (1, 5, 15 min) at start: {load or 'unknown'}",
        # A busy machine skews every figure: these say how busy it was while the benches ran.
        f"- Load average (1 min) recorded by the benches: {recorded_load(data)}",
        "",
    ]
    if args.failed:
        lines += ["**Scripts that failed in this run:** " + ", ".join(args.failed) + ". Their "
                  "figures below, where present, come from a run that did not end cleanly.", ""]
    lines += ["## With a database", "", *database_table(http), "",
              "## Without a database", "", *engine_table(data.get("engine"),
                                                         data.get("documents")),
              "", *scaleout_lines(data.get("scaleout")), "", *ops_lines(data.get("ops")), ""]
    problems = list((data.get("engine") or {}).get("problems") or [])
    for backend in (http or {}).get("backends", []):
        if "failed" in backend.get("award", {}):
            last = (backend["award"]["failed"].strip().splitlines() or ["(no message)"])[-1]
            problems.append(f"{backend['database']}: `wallet award` failed: {last}")
    scaleout = data.get("scaleout") or {}
    problems += [f"scale-out: {sample}" for sample in scaleout.get("error_samples", [])]
    if problems:
        lines += ["## Problems reported by the benches", "", *(f"- {p}" for p in problems), ""]
    lines += ["## Sources", "", *(f"- {note}" for note in notes), ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Read .bench/*.json and write BENCHMARKS.md."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bench-dir", type=Path, default=ROOT / ".bench")
    parser.add_argument("--output", type=Path, default=ROOT / "BENCHMARKS.md")
    parser.add_argument("--started", type=float, help="epoch seconds the run began; older "
                        "JSON files are ignored")
    parser.add_argument("--load-at-start", help="load averages when the run began")
    parser.add_argument("--command", default="make bench", help="the command that ran the benches")
    parser.add_argument("--failed", action="append", default=[], help="a script that failed")
    args = parser.parse_args(argv)
    data, notes, last = load_sources(args.bench_dir, args.started)
    args.output.write_text(render(data, notes, last, args), encoding="utf-8")
    print(f"written: {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
