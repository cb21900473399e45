# gametree: `make run` serves the app, `make test` runs every test. See README.md.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
# `make run` serves the real app (DEBUG off: Django's debug mode costs ~3 ms per live op and
# shows tracebacks) over plain HTTP on this machine: a secret key kept in .secret_key (which
# the settings read when DJANGO_SECRET_KEY is unset, so `manage.py` typed in a shell uses it
# too), no HTTPS redirect, no secure-only cookies. Production sets all of these itself (deploy/).
export DJANGO_DEBUG ?= 0
export DJANGO_SECURE_SSL_REDIRECT ?= 0
export DJANGO_SECURE_COOKIES ?= 0
export DJANGO_HSTS_SECONDS ?= 0
export DJANGO_ALLOWED_HOSTS ?= 127.0.0.1,localhost,[::1],$(HOST)
# Seconds sysdeps waits for another apt-get/dpkg to release its lock before failing.
APT_LOCK_TIMEOUT ?= 600
PG_TEST_URL ?= postgres://postgres@127.0.0.1:5432/test
REDIS_TEST_URL ?= redis://127.0.0.1:6379/0

.PHONY: help setup venv frontend sysdeps run migrate demo test test-python test-integration \
        test-frontend lint typecheck bench clean

help:
	@echo "make run        set everything up and serve on http://$(HOST):$(PORT)/"
	@echo "make test       set everything up and run every test"
	@echo "make lint       ruff and the layer contracts (lint-imports);  make typecheck: mypy on every layer"
	@echo "make test-frontend  the client: ESLint, tsc --noEmit, Vitest"
	@echo "make bench      run the benchmarks in bench/"

$(PY):
	@command -v $(PYTHON) >/dev/null || { echo "need $(PYTHON)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml constraints.txt | $(PY)
	$(PY) -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $@

venv: $(VENV)/.installed

frontend/node_modules/.installed: frontend/package.json frontend/package-lock.json
	cd frontend && npm ci --no-audit --no-fund --loglevel=error
	touch $@

# The client's copy of the server's rules (grammar, limits, error codes, survival labels),
# generated from the Python source; committed, and tests/domain fails when it is stale.
frontend/src/generated/rules.ts: tools/gen_client_constants.py \
		$(shell find trees/domain trees/analysis -name '*.py' 2>/dev/null) | $(VENV)/.installed
	$(PY) tools/gen_client_constants.py

frontend/dist/index.html: frontend/node_modules/.installed frontend/src/generated/rules.ts $(shell find frontend/src frontend/index.html frontend/vite.config.* -type f 2>/dev/null)
	cd frontend && npm run build --silent

frontend:
	@if [ -f frontend/package.json ]; then $(MAKE) --no-print-directory frontend/dist/index.html; \
	else echo "frontend/ has no package.json yet: skipping the client build"; fi

# System packages the tests and picture export need (Debian): installed when missing and root
# (`make run` too, for Graphviz only: SVG and PNG downloads need its `dot`),
# waiting up to APT_LOCK_TIMEOUT seconds for another apt-get on the machine (tests/apt_install.py).
SYSDEPS_NEED ?= chromium graphviz
run: SYSDEPS_NEED = graphviz
sysdeps:
	@missing=""; \
	case " $(SYSDEPS_NEED) " in *" chromium "*) [ -x /usr/bin/chromium ] || missing="$$missing chromium";; esac; \
	case " $(SYSDEPS_NEED) " in *" graphviz "*) command -v dot >/dev/null || missing="$$missing graphviz";; esac; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing:$$missing"; \
	    $(PYTHON) -m tests.apt_install --timeout $(APT_LOCK_TIMEOUT) $$missing; \
	  else echo "not installed:$$missing (browser tests and picture export need them)"; fi; \
	fi

# Generated once, readable by this user only; gametree/settings.py reads it (docs/deploy.md).
.secret_key:
	@umask 077; $(PYTHON) -c 'import secrets; print(secrets.token_urlsafe(50))' > $@.tmp && mv $@.tmp $@

setup: venv frontend .secret_key

migrate: venv .secret_key
	$(PY) manage.py migrate --noinput -v0
	$(PY) manage.py discardmerges -v0

demo: migrate
	$(PY) manage.py loaddemo

run: setup sysdeps demo
	@echo ""
	@echo "  gametree is running at http://$(HOST):$(PORT)/"
	@echo "  demo logins: alice, bob, carol  (password: gametree-demo)"
	@echo "  API docs: http://$(HOST):$(PORT)/api/docs/"
	@echo ""
	$(VENV)/bin/daphne -b $(HOST) -p $(PORT) gametree.asgi:application

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

typecheck: venv
	$(VENV)/bin/mypy

# The client: ESLint, the type check (tsc --noEmit) and its unit tests (Vitest).
test-frontend: frontend
	@if [ -f frontend/package.json ]; then cd frontend && npm run lint --silent && \
	  npm run typecheck --silent && npm test --silent; fi

# Pass 1: everything on the embedded default (SQLite, in-memory channel layer). The browser
# tests run in their own pytest process: Playwright's sync API keeps an event loop running in
# the main thread for the whole session, which the asyncio-based tests cannot share.
test-python: setup sysdeps
	env -u DATABASE_URL -u REDIS_URL -u GAMETREE_INTEGRATION $(VENV)/bin/pytest -q -m "not browser"
	env -u DATABASE_URL -u REDIS_URL -u GAMETREE_INTEGRATION $(VENV)/bin/pytest -q -m browser

# Pass 2: the websocket, API, analysis API (merge jobs run in threads) and integration tests
# again on real PostgreSQL and Redis.
# Skipped when they are not reachable, unless GAMETREE_INTEGRATION=1 (CI), which makes it fail.
test-integration: setup
	@if $(PY) -m tests.services_up "$(PG_TEST_URL)" "$(REDIS_TEST_URL)"; then \
	  DATABASE_URL="$(PG_TEST_URL)" REDIS_URL="$(REDIS_TEST_URL)" GAMETREE_INTEGRATION=1 \
	    $(VENV)/bin/pytest -q -m "not browser" tests/ws tests/api tests/analysis_api tests/integration tests/e2e tests/reliability tests/reads tests/fuzz/test_rest_schemathesis.py; \
	elif [ "$$GAMETREE_INTEGRATION" = 1 ]; then \
	  echo "PostgreSQL or Redis is not reachable but GAMETREE_INTEGRATION=1"; exit 1; \
	else echo "PostgreSQL/Redis not reachable: integration pass skipped (embedded pass ran)"; fi

# Tests first, so that a lint slip does not hide their results; lint and types still gate.
test: test-frontend test-python test-integration lint typecheck

# The live-path latency, then the analysis layer's quality (dev and eval sets reported
# apart) and speed: all three run, and the target fails if any of them missed a target.
bench: setup
	@status=0; \
	$(PY) bench/live_latency.py || status=1; \
	$(PY) bench/quality_merge.py || status=1; \
	$(PY) bench/analysis_speed.py || status=1; \
	exit $$status

clean:
	rm -rf $(VENV) frontend/node_modules frontend/dist staticfiles db.sqlite3*
