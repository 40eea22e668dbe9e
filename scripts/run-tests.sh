#!/usr/bin/env bash
# Run the suite on SQLite, then on a throwaway PostgreSQL server started here, and
# print each backend's duration at the end.
set -uo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
postgres_only=0
if [ "${1:-}" = "--postgres-only" ]; then postgres_only=1; shift; fi
workers="${PYTEST_WORKERS:-auto}"
# worksteal: an idle worker takes tests from a busy one's queue, so one long test does
# not leave the other worker idle at the end (tests/conftest.py also runs the known
# longest tests first). Settings: tests/settings.py (pyproject.toml).
xdist=(-n "$workers" --dist worksteal --durations=30)
status=0
summary=()

run() {  # run LABEL CMD...: one backend, timed
  local label=$1 start rc=0
  shift
  echo "== tests on $label =="
  start=$SECONDS
  "$@" || rc=$?
  summary+=("$label: $((SECONDS - start)) s, exit $rc")
  [ $rc -eq 0 ] || status=$rc
}

if [ $postgres_only -eq 0 ]; then
  run SQLite $PY -m pytest "${xdist[@]}" "$@"
fi
run PostgreSQL scripts/with-postgres.sh $PY -m pytest "${xdist[@]}" "$@"

echo "== durations =="
printf '%s\n' "${summary[@]}"
exit $status
