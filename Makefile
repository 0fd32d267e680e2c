# Everyday commands. The README names the two that matter: `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: setup run ingest test test-all lint typecheck bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --upgrade pip
	$(BIN)/pip install -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)  ## create .venv and install the project with dev tools

run: setup  ## the main job on embedded defaults: ingest ../shared/data, then train, gate and register
	$(BIN)/crossings ingest
	$(BIN)/crossings train --config experiments/default.yaml

ingest: setup
	$(BIN)/crossings ingest

test: setup  ## the default test suite (unit + integration, a few minutes on 2 cores)
	$(BIN)/pytest -q

test-all: setup  ## everything, including tests marked slow
	$(BIN)/pytest -q -m ''

lint: setup
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

typecheck: setup
	$(BIN)/mypy

clean:
	rm -rf $(VENV) data/processed .pytest_cache .mypy_cache .ruff_cache
