# Everyday commands. The README names the two that matter: `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
LOCK   := requirements-lock.txt

.PHONY: setup lock run train serve ingest test test-all lint typecheck bench clean

$(STAMP): pyproject.toml $(LOCK)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --upgrade pip
	$(BIN)/pip install -c $(LOCK) -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)  ## create .venv and install the project with dev tools, at the lock's versions

# Re-resolve the lock from pyproject.toml's ranges (all extras, every platform, Python 3.11).
# Pins already in the lock are kept where they still fit; to move some or all of them:
#   make lock LOCK_ARGS='--upgrade-package pandas'     make lock LOCK_ARGS=--upgrade
lock: setup  ## regenerate requirements-lock.txt (uv pip compile); the next `make setup` installs it
	$(BIN)/uv pip compile pyproject.toml --all-extras --universal --python-version 3.11 \
		--custom-compile-command 'make lock' -o $(LOCK) $(LOCK_ARGS)

run: train  ## the main job on embedded defaults: ingest, train and register, backfill 8 weeks of track record, serve on :8000
	$(BIN)/crossings reissue --weeks 8  # the track record from day one (about 25 s; kept on later runs)
	@echo "MLflow UI: $(BIN)/mlflow ui --backend-store-uri sqlite:///mlruns.db  (http://127.0.0.1:5000)"
	@echo "Planner page and API: http://127.0.0.1:8000/  (Ctrl-C stops the server)"
	$(BIN)/crossings serve --host 127.0.0.1 --port 8000

train: setup  ## ingest ../shared/data, then train, gate and register the champions (no server)
	$(BIN)/crossings ingest
	$(BIN)/crossings train --config experiments/default.yaml

serve: setup  ## serve the registered champions (the live forecast only for those that learned on its weather)
	$(BIN)/crossings serve --host 127.0.0.1 --port 8000

ingest: setup
	$(BIN)/crossings ingest

test: setup  ## the layer rules, then the default test suite (unit + integration, about 4 minutes on 2 cores)
	$(BIN)/lint-imports  # the layer rules in pyproject.toml [tool.importlinter]
	$(BIN)/pytest -q -n auto  # one pytest-xdist worker per core

test-all: setup  ## everything, including tests marked slow
	$(BIN)/pytest -q -m ''

lint: setup
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

typecheck: setup
	$(BIN)/mypy

# The API part (benchmarks/api_bench.py, needs Debian's wrk) takes about 6 minutes; a smoke
# run of it: make bench API_BENCH_ARGS=--quick
bench: setup  ## the published backtest, peer and API benchmarks (several minutes)
	$(BIN)/python benchmarks/backtest_benchmark.py
	$(BIN)/pip install -q -c $(LOCK) -e '.[peers]'  # LightGBM, for the peers only (not in dev)
	$(BIN)/python benchmarks/peers.py
	$(BIN)/python benchmarks/api_bench.py $(API_BENCH_ARGS)

clean:
	rm -rf $(VENV) data/processed .pytest_cache .mypy_cache .ruff_cache
