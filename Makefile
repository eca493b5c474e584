# Upstream: the front door. `make help` lists the targets.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.DEFAULT_GOAL := help
.PHONY: help run test worker lint typecheck check-migrations format audit bench bench-outcomes bench-dashboard demo-code syscheck install install-dev clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Upstream needs Python 3.11 or newer; found " + sys.version.split()[0])'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	@touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	@touch $(VENV)/.runtime $@

install: $(VENV)/.runtime ## Create .venv and install the runtime requirements
install-dev: $(VENV)/.dev ## Create .venv and install the test and tooling requirements

syscheck: install ## Check the system libraries WeasyPrint needs (Pango)
	@$(BIN)/python scripts/syscheck.py

run: syscheck ## Install, migrate, load the demo and serve it on http://127.0.0.1:8000 (SQLite)
	$(BIN)/python manage.py migrate --no-input -v0
	$(BIN)/python manage.py createcachetable -v0
	$(BIN)/python manage.py seed_demo
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

test: install-dev ## Install the test requirements and run the whole suite
	@$(BIN)/python scripts/syscheck.py
	$(BIN)/python -m pytest $(PYTEST_ARGS)

worker: syscheck ## Run a Celery worker and beat against REDIS_URL
	@test -n "$$REDIS_URL" || (echo "Set REDIS_URL (e.g. redis://127.0.0.1:6379/0) to run a worker."; exit 2)
	$(BIN)/celery -A config worker --beat --loglevel=INFO --concurrency=2

lint: install-dev ## ruff lint and format check, and the import contracts (import-linter)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: install-dev ## mypy with django-stubs (strict on outcomes/stats; typed services and selectors)
	$(BIN)/mypy

check-migrations: install-dev ## Fail on a destructive migration without an acknowledgement
	$(BIN)/python scripts/check_migrations.py

format: install-dev ## Apply ruff formatting and fixes
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Accepted advisories, each with its reason in docs/security-findings.md:
# AUDIT_IGNORES := --ignore-vuln PYSEC-YYYY-NNN
AUDIT_IGNORES :=
# scripts/audit_dependencies.py runs pip-audit (JSON output) and reads every dependency's result:
# a known vulnerability fails; "NOT AUDITED" (the advisory service could not be reached) is a
# loud warning that does not fail; any other dependency left unaudited fails.
AUDIT_DEPS = $(BIN)/python scripts/audit_dependencies.py

audit: install-dev ## Known vulnerabilities in the requirements (pip-audit) and a static scan of the app code (bandit)
	@$(AUDIT_DEPS) --label "pins in requirements.txt and requirements-dev.txt" -- \
		-r requirements.txt -r requirements-dev.txt --no-deps --disable-pip --desc on --aliases on $(AUDIT_IGNORES)
	@$(AUDIT_DEPS) --label "everything installed in $(VENV)" -- --desc on --aliases on $(AUDIT_IGNORES)
	@echo "bandit: the app code; findings reviewed in docs/security-findings.md are in .bandit-baseline.json"
	$(BIN)/bandit -c pyproject.toml -r accounts lessons surveys outcomes config scripts manage.py -q -b .bandit-baseline.json

bench: install-dev ## Run the bounded load and page-weight benchmarks (PostgreSQL)
	$(BIN)/python bench/run.py

bench-outcomes: install-dev ## Outcomes engine on a synthetic region of 6 million answers (PostgreSQL)
	$(BIN)/python bench/outcomes_bench.py $(BENCH_ARGS)

bench-dashboard: install-dev ## Outcomes dashboard time to first byte, warm and cold, over the same synthetic region
	$(BIN)/python bench/dashboard_bench.py $(BENCH_ARGS)

demo-code: install ## Print the current two-factor code for the demo VRU accounts
	@$(BIN)/python manage.py demo_mfa_code

clean: ## Remove the virtualenv, the demo database and test artefacts
	rm -rf $(VENV) db.sqlite3 db.sqlite3-* .test-media .pytest_cache staticfiles
