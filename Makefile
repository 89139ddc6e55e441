# Two commands matter: `make run` and `make test`. `make help` lists the rest.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export FLASK_APP := wsgi

.PHONY: help run worker test lint format check-questionnaires freeze translations browser-deps clean bench bench-large

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-22s %s\n", $$1, $$2}'

$(STAMP): requirements.txt requirements-dev.txt
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 is needed ($(PYTHON) not found)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt -r requirements-dev.txt
	touch $(STAMP)

translations/cy/LC_MESSAGES/messages.mo: translations/cy/LC_MESSAGES/messages.po $(STAMP)
	$(BIN)/pybabel compile -d translations

setup: $(STAMP) translations/cy/LC_MESSAGES/messages.mo

# With Redis answering (REDIS_URL, or else 127.0.0.1:6379), the job worker runs beside the app and
# stops with it; without, the app runs alone and works results out in the request.
REDIS_PING := $(BIN)/python -c "import os, redis; redis.Redis.from_url(os.environ['REDIS_URL'], socket_connect_timeout=0.5, socket_timeout=0.5).ping()" 2>/dev/null

run: setup ## Set everything up and serve the app on http://127.0.0.1:5000 (and the job worker, with Redis)
	@if [ -z "$${REDIS_URL:-}" ]; then export REDIS_URL=redis://127.0.0.1:6379/0; fi; \
	if ! $(REDIS_PING); then unset REDIS_URL; fi; \
	set -e; \
	$(BIN)/flask db upgrade; \
	$(BIN)/flask demo --responses 20000 --seed 1 --if-empty --earlier-wave; \
	if [ -n "$${REDIS_URL:-}" ]; then \
	  $(BIN)/flask jobs worker & worker=$$!; \
	  trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT; trap 'exit 130' INT TERM; \
	  echo "Job worker (pid $$worker) on $$REDIS_URL"; \
	else \
	  echo "Redis does not answer: no job worker; results are worked out when first read"; \
	fi; \
	$(BIN)/flask run --host 127.0.0.1 --port 5000

worker: setup ## Run the job worker alone (needs REDIS_URL)
	$(BIN)/flask jobs worker

# `make test LINT=` runs the tests without linting again (CI lints once, then runs passes side by side).
LINT ?= lint
test: setup $(LINT) ## Lint, then run the whole test suite (TEST_DATABASE_URL selects PostgreSQL)
	$(BIN)/pytest -q

lint: $(STAMP) ## ruff check, ruff format --check, mypy (core, questionnaire) and the import layers
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache --no-logo

format: $(STAMP) ## Fix lint and formatting where ruff can
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

check-questionnaires: setup ## Validate every file in questionnaires/
	$(BIN)/flask questionnaire check

translations: $(STAMP) ## Extract interface strings and update the Welsh catalogue
	$(BIN)/pybabel extract -F babel.cfg -k _l -o translations/messages.pot .
	$(BIN)/pybabel update -i translations/messages.pot -d translations

freeze: $(STAMP) ## Recompile the pinned requirements from requirements*.in
	$(BIN)/pip-compile -q --strip-extras --no-header --no-emit-index-url --no-emit-find-links -o requirements.txt requirements.in
	$(BIN)/pip-compile -q --strip-extras --no-header --no-emit-index-url --no-emit-find-links -o requirements-dev.txt requirements-dev.in

browser-deps: ## Install Debian's Chromium for the browser tests (needs root)
	command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium)

BENCH_STAMP := $(VENV)/.bench-installed
$(BENCH_STAMP): bench/requirements.txt $(STAMP)
	$(BIN)/pip install --quiet --disable-pip-version-check -r bench/requirements.txt
	touch $(BENCH_STAMP)

bench: setup $(BENCH_STAMP) ## Benchmark on 100k responses (a few minutes; BENCH_DATABASE_URL for PostgreSQL)
	$(BIN)/python -m bench.run --responses 100000 --budget 60

bench-large: setup $(BENCH_STAMP) ## Benchmark on 1M responses (about 15 minutes)
	$(BIN)/python -m bench.run --responses 1000000 --seconds 30

clean: ## Remove the virtualenv and caches (keeps instance/ data)
	rm -rf $(VENV) .pytest_cache .ruff_cache
