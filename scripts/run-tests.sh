#!/usr/bin/env bash
# Run the suite on SQLite, then on a throwaway PostgreSQL server started here.
set -uo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
postgres_only=0
if [ "${1:-}" = "--postgres-only" ]; then postgres_only=1; shift; fi
workers="${PYTEST_WORKERS:-auto}"
status=0

if [ $postgres_only -eq 0 ]; then
  echo "== tests on SQLite =="
  $PY -m pytest -n "$workers" --durations=15 "$@" || status=$?
fi

echo "== tests on PostgreSQL =="
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
if [ -z "$PGBIN" ]; then echo "PostgreSQL is not installed (run make system-deps)"; exit 1; fi
PGDIR=$(mktemp -d /tmp/iamconsole-pg.XXXXXX)
PGPORT=${PGPORT:-55432}
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
if [ "$(id -u)" -eq 0 ]; then chown postgres "$PGDIR"; fi
as_pg "$PGBIN/initdb" -D "$PGDIR/data" -U iamconsole --auth=trust -E UTF8 >/dev/null
as_pg "$PGBIN/pg_ctl" -D "$PGDIR/data" -l "$PGDIR/log" -w \
  -o "-p $PGPORT -k $PGDIR -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" start >/dev/null
trap 'as_pg "$PGBIN/pg_ctl" -D "$PGDIR/data" -m immediate stop >/dev/null 2>&1; rm -rf "$PGDIR"' EXIT
DATABASE_URL="postgres://iamconsole@127.0.0.1:$PGPORT/iamconsole" $PY -m pytest -n "$workers" --durations=15 "$@" || status=$?
exit $status
