# The two Quick-start commands (README): `make sample` and `make test`.
# Both create the virtual environment on first use (only Python 3.11 is needed).
# `sample` (and ui/eval/bench) install the runtime dependencies only; `test` and `lint` add
# the dev extras (pytest, hypothesis, ruff, playwright, reportlab).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
RUNTIME := $(VENV)/.installed-runtime
DEV := $(VENV)/.installed-dev

.PHONY: sample test fast lint ui eval bench clean

$(RUNTIME): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	touch $(RUNTIME)

$(DEV): $(RUNTIME)
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(DEV)

sample: $(RUNTIME)  ## set up (runtime only), then run every stage on the bundled sample reports
	$(BIN)/govreport run

test: $(DEV)  ## set up (runtime + dev extras), then run the whole test suite
	$(BIN)/python -m pytest

fast: $(DEV)  ## the daily loop: every test but the slow (pipeline, browser, kill -9) ones, on every core
	$(BIN)/python -m pytest -m "not slow" -n auto --dist loadfile -q

lint: $(DEV)
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

ui: $(RUNTIME)
	$(BIN)/govreport ui

eval: $(RUNTIME)
	$(BIN)/govreport eval --landing tests/fixtures/corpus --gold tests/fixtures/corpus

bench: $(RUNTIME)
	$(BIN)/govreport bench

clean:
	rm -rf data/warehouse data/warehouse_data_docs data/dagster_home
