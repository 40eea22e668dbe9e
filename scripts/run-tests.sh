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
scripts/with-postgres.sh $PY -m pytest -n "$workers" --durations=15 "$@" || status=$?
exit $status
