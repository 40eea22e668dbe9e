#!/usr/bin/env bash
# bench/api.py against runserver on SQLite and on a throwaway PostgreSQL (needs Debian postgresql).
# Usage: bench/api-backends.sh   (prints calls/s, p50 and p99 per operation for each backend)
set -u
cd "$(dirname "$0")/.."
PY=.venv/bin/python
export DJANGO_DEBUG=0 DJANGO_SECRET_KEY=$(printf "k%.0s" {1..60}) DJANGO_ALLOWED_HOSTS=127.0.0.1 DJANGO_SECURE_SSL_REDIRECT=0
run_one() {
  label=$1; port=$2
  $PY manage.py migrate -v 0
  creds=$($PY manage.py create_account --email bench-$port@example.com --password bench-pass-1 --admin-user bench --json)
  ak=$(echo "$creds" | $PY -c "import json,sys;print(json.load(sys.stdin)['admin_access_key_id'])")
  sk=$(echo "$creds" | $PY -c "import json,sys;print(json.load(sys.stdin)['admin_secret_access_key'])")
  \
    $PY manage.py runserver --noreload 127.0.0.1:$port > /tmp/bench-server-$label.log 2>&1 &
  pid=$!
  sleep 4
  echo "== $label =="
  AWS_ACCESS_KEY_ID=$ak AWS_SECRET_ACCESS_KEY=$sk $PY bench/api.py --endpoint-url http://127.0.0.1:$port --threads 4 --seconds 15
  kill $pid; wait $pid 2>/dev/null
}
export IAM_VAR_DIR=$(mktemp -d /tmp/bench-sqlite.XXXX)
run_one sqlite 8771
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | tail -1)
PGDIR=$(mktemp -d /tmp/bench-pg.XXXX); as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
[ "$(id -u)" -eq 0 ] && chown postgres $PGDIR
as_pg $PGBIN/initdb -D $PGDIR/data -U iamconsole --auth=trust >/dev/null
as_pg $PGBIN/pg_ctl -D $PGDIR/data -l $PGDIR/log -w -o "-p 55488 -k $PGDIR -c listen_addresses=127.0.0.1" start >/dev/null
export DATABASE_URL=postgres://iamconsole@127.0.0.1:55488/postgres
run_one postgresql 8772
as_pg $PGBIN/pg_ctl -D $PGDIR/data -m fast stop >/dev/null
