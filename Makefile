# Everything a fresh clone needs: `make test` and (once the IMDB task lands) `make demo`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# The IMDB archive lives beside the project, never inside it.
ifneq ($(wildcard ../shared/data),)
export RNNKIT_DATA_DIR ?= $(abspath ../shared/data)
endif

.PHONY: install test lint bench fixtures clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

test: $(STAMP)
	$(BIN)/ruff check rnnkit tests benchmarks scripts
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check rnnkit tests benchmarks scripts

# Speed against PyTorch (installs the `bench` extra: torch 2.13.0, CPU build).
bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	$(BIN)/python benchmarks/bench_recurrent.py
	$(BIN)/python benchmarks/compile_time.py

# Regenerate the fixtures in tests/fixtures with real Keras 3 (the `keras` extra); the tests
# never need Keras.
fixtures:
	$(PYTHON) -m venv .venv-ref
	.venv-ref/bin/python -m pip install --quiet -e '.[keras]'
	KERAS_BACKEND=torch .venv-ref/bin/python scripts/make_keras_fixtures.py
	KERAS_BACKEND=torch .venv-ref/bin/python scripts/make_optimizer_fixtures.py
	KERAS_BACKEND=torch .venv-ref/bin/python scripts/make_loss_metric_fixtures.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
