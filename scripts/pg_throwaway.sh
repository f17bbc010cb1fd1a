#!/usr/bin/env bash
# Start (start DIR PORT) or stop (stop DIR) a private PostgreSQL cluster on 127.0.0.1 for the tests.
set -euo pipefail
PGBIN=${PGBIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}
cmd=${1:?start or stop}
base=${2:?directory}
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
case "$cmd" in
  start)
    port=${3:-55432}
    mkdir -p "$base/sock"
    [ "$(id -u)" -eq 0 ] && chown -R postgres:postgres "$base"
    as_pg "$PGBIN/initdb" -D "$base/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 --no-sync >/dev/null
    as_pg "$PGBIN/pg_ctl" -D "$base/data" -l "$base/server.log" -w -t 30 \
      -o "-p $port -k $base/sock -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" start >/dev/null
    as_pg "$PGBIN/createdb" -h 127.0.0.1 -p "$port" -U postgres wallet_test
    echo "postgresql+psycopg://postgres@127.0.0.1:$port/wallet_test"
    ;;
  stop)
    as_pg "$PGBIN/pg_ctl" -D "$base/data" -m immediate -w stop >/dev/null 2>&1 || true
    rm -rf "$base"
    ;;
esac
