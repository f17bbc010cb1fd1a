#!/usr/bin/env bash
# Resolve pyproject.toml's ranges into exact pins: requirements.lock (app) and requirements-test.lock (suite).
set -euo pipefail
export LC_ALL=C
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 -m venv "$tmp/venv"
"$tmp/venv/bin/pip" install --quiet --disable-pip-version-check .
"$tmp/venv/bin/pip" freeze --exclude badge-wallet | sort -f > requirements.lock
"$tmp/venv/bin/pip" install --quiet --disable-pip-version-check ".[test]"
"$tmp/venv/bin/pip" freeze --exclude badge-wallet | sort -f | comm -23 - requirements.lock > requirements-test.lock
echo "wrote requirements.lock ($(wc -l < requirements.lock) pins) and requirements-test.lock ($(wc -l < requirements-test.lock) pins)" >&2
