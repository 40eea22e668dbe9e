#!/usr/bin/env bash
# bench/api.py on SQLite and on a throwaway PostgreSQL (needs Debian's postgresql: make
# system-deps), moto_server beside us in the same run; our server as `make serve` runs it.
# Usage: bench/api-backends.sh [bench/api.py options, e.g. --seconds 15]
set -eu
cd "$(dirname "$0")/.."
make -s deps bench-deps
exec .venv/bin/python bench/api.py --postgres "$@"
