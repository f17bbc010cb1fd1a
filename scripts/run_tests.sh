#!/usr/bin/env bash
# The whole suite on SQLite, then the database-backed tests again on a throwaway PostgreSQL cluster.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
mkdir -p artifacts
echo "== test suite on SQLite" >&2
"$BIN/python" -m pytest -q -p no:cacheprovider "$@"
if ls -d /usr/lib/postgresql/*/bin >/dev/null 2>&1; then
  pgdir=$(mktemp -d /tmp/wallet-pg.XXXXXX)
  port=$(( 55000 + RANDOM % 1000 ))
  trap 'bash scripts/pg_throwaway.sh stop "$pgdir"' EXIT
  url=$(bash scripts/pg_throwaway.sh start "$pgdir" "$port")
  echo "== database tests again on PostgreSQL ($url)" >&2
  WALLET_TEST_DATABASE_URL="$url" "$BIN/python" -m pytest -q -p no:cacheprovider -m "db and not browser" "$@"
else
  echo "PostgreSQL binaries not found: the PostgreSQL run is skipped." >&2
fi
