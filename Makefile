# Floorboard: `make run` starts the demo, `make test` runs every test. Both set up .venv first.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: setup run test lint bench reliability screenshots screenshot clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is required")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

setup: $(STAMP)

run: $(STAMP)
	$(BIN)/floorboard demo

test: $(STAMP)
	@scripts/ensure-test-tools
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: $(STAMP)
	$(BIN)/python scripts/bench.py --repeat 3
	$(BIN)/python scripts/bench_adapters.py
	$(BIN)/python scripts/bench_history.py
	$(BIN)/python scripts/bench_redis_memory.py
	$(BIN)/python scripts/bench_floor.py

reliability: $(STAMP)
	$(BIN)/python scripts/reliability.py

# Every board, the agent tab (1366x768 and 420 px) and the console, from a demo, into docs/.
screenshots: $(STAMP)
	@scripts/ensure-test-tools
	$(BIN)/python scripts/screenshot.py --all

screenshot: screenshots

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache *.egg-info
