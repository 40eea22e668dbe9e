#!/usr/bin/env bash
# Run CMD... with DATABASE_URL pointing at a throwaway PostgreSQL server started here
# (initdb in a temporary directory, trust auth, fsync off) and stopped after, whatever
# CMD's outcome. Exit status is CMD's. PGPORT (55432) picks the port.
#
#     scripts/with-postgres.sh .venv/bin/python -m pytest tests/security
set -uo pipefail
if [ $# -eq 0 ]; then echo "usage: $0 CMD [ARGS...]" >&2; exit 2; fi
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
if [ -z "$PGBIN" ]; then echo "PostgreSQL is not installed (run make system-deps)" >&2; exit 1; fi
PGDIR=$(mktemp -d /tmp/iamconsole-pg.XXXXXX)
PGPORT=${PGPORT:-55432}
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
if [ "$(id -u)" -eq 0 ]; then chown postgres "$PGDIR"; fi
trap 'as_pg "$PGBIN/pg_ctl" -D "$PGDIR/data" -m immediate stop >/dev/null 2>&1; rm -rf "$PGDIR"' EXIT
as_pg "$PGBIN/initdb" -D "$PGDIR/data" -U iamconsole --auth=trust -E UTF8 >/dev/null || exit 1
as_pg "$PGBIN/pg_ctl" -D "$PGDIR/data" -l "$PGDIR/log" -w \
  -o "-p $PGPORT -k $PGDIR -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" \
  start >/dev/null || { cat "$PGDIR/log" >&2; exit 1; }
# The database DATABASE_URL names (tests make their own test_ database beside it).
as_pg "$PGBIN/createdb" -h 127.0.0.1 -p "$PGPORT" -U iamconsole iamconsole || exit 1
status=0
DATABASE_URL="postgres://iamconsole@127.0.0.1:$PGPORT/iamconsole" "$@" || status=$?
exit $status
