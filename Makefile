# rulewatch: `make run` and `make test` work from a fresh clone; both create .venv when needed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SOURCES ?= sources.yaml

.PHONY: run test lint typecheck unit demo eval bench clean lock

$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "rulewatch needs Python 3.11 or newer; set PYTHON=python3.11")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
	@touch $(STAMP)

run: $(STAMP)
	$(BIN)/rulewatch run --sources $(SOURCES)

demo: $(STAMP)
	$(BIN)/rulewatch demo

lint: $(STAMP)
	$(BIN)/ruff check .

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/python -m pytest -m "not slow" -q

test: $(STAMP) lint typecheck
	NO_PROXY=127.0.0.1,localhost no_proxy=127.0.0.1,localhost $(BIN)/python -m pytest -q

eval: $(STAMP)
	$(PYTHON) ../shared/tools/eval_corpus.py --project $(CURDIR)

bench: $(STAMP)
	$(BIN)/python bench/compare_big.py

# Refresh the pins after changing dependencies in pyproject.toml.
lock:
	rm -rf /tmp/rulewatch-lock && $(PYTHON) -m venv /tmp/rulewatch-lock
	/tmp/rulewatch-lock/bin/pip install --quiet -e '.[dev]'
	/tmp/rulewatch-lock/bin/pip freeze --exclude-editable | grep -v '^rulewatch' > constraints.txt

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
