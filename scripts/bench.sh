#!/usr/bin/env bash
# Run every benchmark script (each prints a table and writes JSON under .bench/), then write
# BENCHMARKS.md from that JSON with scripts/bench_report.py.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p .bench
started=$(date +%s)
load=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)
# MAKELEVEL is set when make runs us: the report names the command that was really typed.
command="bash scripts/bench.sh"
[ -n "${MAKELEVEL:-}" ] && command="make bench"
failed=()
for script in scripts/bench_*.py; do
  # The report is not a benchmark (it shares the prefix): it runs once, after them all.
  [ "$script" = scripts/bench_report.py ] && continue
  echo "== $script" >&2
  # Keep going after a failure so the other figures are still measured; the failure is named
  # in BENCHMARKS.md and in this script's exit status.
  status=0
  .venv/bin/python "$script" || status=$?
  if [ "$status" -ne 0 ]; then
    echo "== $script failed (exit status $status)" >&2
    failed+=(--failed "$(basename "$script") (exit status $status)")
  fi
done
.venv/bin/python scripts/bench_report.py --started "$started" --load-at-start "$load" \
  --command "$command" ${failed[@]+"${failed[@]}"}
[ ${#failed[@]} -eq 0 ]
