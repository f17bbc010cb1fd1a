#!/usr/bin/env bash
# Run every benchmark script; each prints a table and writes JSON under .bench/.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p .bench
for script in scripts/bench_*.py; do
  echo "== $script" >&2
  .venv/bin/python "$script"
done
