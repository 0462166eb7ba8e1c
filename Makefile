# rulewatch: `make run` and `make test` work from a fresh clone; both create .venv when needed.
PYTHON ?= python3
VENV := .venv
# The suite runs on two workers (pytest-xdist): most of its time is waiting on servers and subprocesses.
TEST_WORKERS ?= 2
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
RUN_STAMP := $(VENV)/.installed-runtime
SOURCES ?= sources.yaml
PIP := -m pip install --quiet --disable-pip-version-check -c constraints.txt
# The local PostgreSQL the suite uses when one answers (as in CI); set RULEWATCH_TEST_POSTGRES_URL to choose.
TEST_POSTGRES := postgresql+psycopg://postgres@127.0.0.1:5432/postgres

.PHONY: run test lint typecheck unit demo eval bench clean lock docs screenshots

define python_ok
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "rulewatch needs Python 3.11 or newer; set PYTHON=python3.11")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
endef

# What running rulewatch needs, and no more: `make run` and `make demo` (add '.[prefect]' for the
# scheduled deployments, '.[postgres]' for PostgreSQL, '.[browser]' for `fetcher: browser`).
$(RUN_STAMP): pyproject.toml constraints.txt
	$(python_ok)
	$(BIN)/python $(PIP) -e .
	@touch $(RUN_STAMP)

# Everything, developer tools included: the tests, lint and type checks.
$(STAMP): pyproject.toml constraints.txt
	$(python_ok)
	$(BIN)/python $(PIP) -e '.[dev]'
	@touch $(STAMP) $(RUN_STAMP)

run: $(RUN_STAMP)
	$(BIN)/rulewatch run --sources $(SOURCES)

demo: $(RUN_STAMP)
	$(BIN)/rulewatch demo

lint: $(STAMP)
	$(BIN)/ruff check .

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/python -m pytest -m "not slow" -q

test: $(STAMP) lint typecheck
	@url="$${RULEWATCH_TEST_POSTGRES_URL:-}"; \
	if [ -z "$$url" ] && $(BIN)/python -c 'import socket; socket.create_connection(("127.0.0.1", 5432), 1)' 2>/dev/null; then \
	  url="$(TEST_POSTGRES)"; echo "PostgreSQL answers on 127.0.0.1:5432: its tests run there"; fi; \
	RULEWATCH_TEST_POSTGRES_URL="$$url" NO_PROXY=127.0.0.1,localhost no_proxy=127.0.0.1,localhost $(BIN)/python -m pytest -q -n $(TEST_WORKERS)

# The README's tables of source fields, variables and sinks, from the registries (a test checks them).
docs: $(RUN_STAMP)
	$(BIN)/rulewatch reference --update docs/reference.md

# The README's screenshots of the web workspace, from its browser test (needs Chromium, and a CJK font).
screenshots: $(STAMP)
	RULEWATCH_SCREENSHOTS=docs/screenshots $(BIN)/python -m pytest -q -p no:randomly tests/rulewatch/web/test_browser.py -k sqlite

eval: $(STAMP)
	$(PYTHON) ../shared/tools/eval_corpus.py --project $(CURDIR)

bench: $(STAMP)
	$(BIN)/python bench/compare_big.py

# Refresh the pins after changing dependencies in pyproject.toml.
lock:
	rm -rf /tmp/rulewatch-lock && $(PYTHON) -m venv /tmp/rulewatch-lock
	/tmp/rulewatch-lock/bin/pip install --quiet -e '.[dev]'
	/tmp/rulewatch-lock/bin/pip freeze --all --exclude-editable | grep -v '^rulewatch\|^pip==' > constraints.txt

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
