# Everything a fresh clone needs: `make demo` (set up, train and test on IMDB) and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PLOT_STAMP := $(VENV)/.installed-plot
# The IMDB archive lives beside the project, never inside it.
ifneq ($(wildcard ../shared/data),)
export RNNKIT_DATA_DIR ?= $(abspath ../shared/data)
endif

.PHONY: install test lint bench fixtures demo clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

test: $(STAMP)
	$(BIN)/ruff check rnnkit tests benchmarks scripts examples
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check rnnkit tests benchmarks scripts examples

# IMDB sentiment end to end with the default recipe (rnnkit/recipes.py): reads the archive
# from RNNKIT_DATA_DIR (else the cache folder, else downloads it), trains, evaluates on all
# 25,000 test reviews and writes runs/imdb/ (model, metrics.json, PNGs).
$(PLOT_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,plot]'
	touch $(PLOT_STAMP)

demo: $(PLOT_STAMP)
	$(BIN)/rnnkit train imdb --out runs/imdb
	@$(BIN)/python -c "import json; t = json.load(open('runs/imdb/metrics.json'))['test']; \
	print(f\"IMDB test accuracy: {t['accuracy']:.4f} ({t['samples']:,} test reviews)\")"

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
