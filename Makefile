# The two Quick-start commands (README): `make sample` and `make test`.
# Both create the virtual environment on first use (only Python 3.11 is needed).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: sample test lint ui eval bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

sample: $(STAMP)  ## set up, then run every stage on the bundled sample reports
	$(BIN)/govreport run

test: $(STAMP)  ## set up, then run the whole test suite
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

ui: $(STAMP)
	$(BIN)/govreport ui

eval: $(STAMP)
	$(BIN)/govreport eval --landing tests/fixtures/corpus --gold tests/fixtures/corpus

bench: $(STAMP)
	$(BIN)/govreport bench

clean:
	rm -rf data/warehouse data/warehouse_data_docs data/dagster_home
