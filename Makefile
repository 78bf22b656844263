# Two commands do all the set-up on a fresh machine:
#   make demo   - creates .venv, installs, runs a whole blast on the embedded default
#                 (SQLite, in-process Celery worker, local SMTP sink; no Redis/PostgreSQL/SMTP)
#   make test   - creates .venv, installs with test extras, runs ruff, the dependency
#                 contract (import-linter, .importlinter) and the test suite
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: demo test lint unit integration bench clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "outreach needs Python >= 3.11 (set PYTHON=python3.11)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@rm -f $(VENV)/.installed-*
	@touch $@

demo: $(STAMP)
	$(BIN)/outreach demo

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/pytest $(PYTEST_ARGS)

unit: $(STAMP)
	$(BIN)/pytest tests/unit $(PYTEST_ARGS)

integration: $(STAMP)
	$(BIN)/pytest tests/integration $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/ruff format --check outreach workers

# Every benchmark; each prints JSON lines (needs PostgreSQL and Redis, like the integration tests).
bench: $(STAMP)
	$(BIN)/python benchmarks/render_benchmark.py
	$(BIN)/python benchmarks/import_benchmark.py
	$(BIN)/python benchmarks/dashboard_benchmark.py
	$(BIN)/python benchmarks/blast_benchmark.py
	$(BIN)/python benchmarks/console_benchmark.py

clean:
	rm -rf $(VENV) demo-output artifacts .pytest_cache
