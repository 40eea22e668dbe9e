# IAM Console: `make run` serves the console, `make test` runs the whole suite
# on SQLite and on PostgreSQL. Both work on a fresh machine with Python 3.11.
# `make serve` is the production server alone (gunicorn.conf.py), `make dev` the
# autoreloading development server with DEBUG on.

PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
HOST ?= 127.0.0.1
PORT ?= 8000
# gunicorn workers and threads per worker; empty: one per CPU and 4 (gunicorn.conf.py)
WORKERS ?=
THREADS ?=
PYTEST_ARGS ?=
SERVE := HOST=$(HOST) PORT=$(PORT) WORKERS=$(WORKERS) THREADS=$(THREADS) $(PY) -m gunicorn -c gunicorn.conf.py

.PHONY: node-deps run serve dev test test-sqlite test-postgres deps dev-deps system-deps lint security-report bench clean

$(VENV)/.runtime: requirements.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -r requirements.txt
	@touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt
	$(PIP) install -q -r requirements-dev.txt
	@touch $@

deps: $(VENV)/.runtime
dev-deps: $(VENV)/.dev

# The demo: migrate, seed the demo account, print its sign-in URL, serve (production server).
run: deps
	@mkdir -p var
	$(PY) manage.py migrate --noinput -v 0
	$(PY) manage.py seed_demo --host $(HOST) --port $(PORT)
	$(PY) manage.py seed_demo_instructor --host $(HOST) --port $(PORT)
	$(SERVE)

# The production server only (migrations are a deploy step: manage.py migrate).
serve: deps
	$(SERVE)

# Development: runserver with autoreload and DEBUG on.
dev: deps
	@mkdir -p var
	$(PY) manage.py migrate --noinput -v 0
	$(PY) manage.py seed_demo --host $(HOST) --port $(PORT)
	$(PY) manage.py seed_demo_instructor --host $(HOST) --port $(PORT)
	DJANGO_DEBUG=1 $(PY) manage.py runserver $(HOST):$(PORT)

# Debian's chromium (browser tests) and postgresql (second database backend).
system-deps:
	@scripts/install-system-deps.sh

# node_modules from the pinned package-lock.json: the accessibility check's axe-core
# (and the policy editor's sources for `make assets`).
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

node-deps: node_modules/.installed

test: dev-deps system-deps node-deps
	@scripts/run-tests.sh $(PYTEST_ARGS)

test-sqlite: dev-deps
	$(PY) -m pytest -n auto $(PYTEST_ARGS)

test-postgres: dev-deps system-deps
	@scripts/run-tests.sh --postgres-only $(PYTEST_ARGS)

# The security battery on SQLite and on a throwaway PostgreSQL (scripts/with-postgres.sh),
# one line per row and backend: test, backend, PASS/FAIL, figure (rows are also in `make test`).
security-report: dev-deps system-deps
	$(PY) scripts/security_report.py $(PYTEST_ARGS)

lint: dev-deps
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

clean:
	rm -rf var/test-* .pytest_cache

# The policy editor's bundle (CodeMirror 6, package-lock.json pins every version):
# npm ci, then esbuild (package.json's build script) into the committed, minified
# static/js/policy-editor.bundle.js.
.PHONY: assets
assets:
	npm ci --no-audit --no-fund
	npm run --silent build

# bench/.venv: what the benchmarks run beside us (moto_server for bench/api.py).
BENCH_VENV := bench/.venv
$(BENCH_VENV)/.installed: bench/requirements.txt
	@test -x $(BENCH_VENV)/bin/python || $(PYTHON) -m venv $(BENCH_VENV) || python3 -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/python -m pip install -q -r bench/requirements.txt
	@touch $@

.PHONY: bench-deps
bench-deps: $(BENCH_VENV)/.installed
