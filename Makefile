# fouanalys — every target documents itself: `make` or `make help` lists them.
# The first run of any target bootstraps the environment: a private uv (from PyPI) in .tools/,
# then .venv/ from the committed lockfile, then the project's Jupyter kernel inside .venv/.

.DEFAULT_GOAL := help
SHELL := /bin/bash

PYTHON ?= python3
UV_VERSION := 0.13.9
UV := .tools/bin/uv
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.fouanalys-installed
ARGS ?=
REVEAL_VERSION ?= 5.2.1
# make test runs pytest in this many processes (pytest-xdist): CI has 2 cores, and the one full
# build of the test run already uses 2 workers itself. TEST_WORKERS=0 runs the tests in one process.
TEST_WORKERS ?= 2

export UV_PYTHON_DOWNLOADS := never
export GX_ANALYTICS_ENABLED := false

.PHONY: help setup build validate synth test lint format lab lock reveal clean

## Show this list of targets
help:
	@awk 'BEGIN {FS = ":.*"} /^## / {doc = substr($$0, 4); next} \
	  /^[a-zA-Z_-]+:/ && doc {printf "  \033[1m%-10s\033[0m %s\n", $$1, doc} {doc = ""}' \
	  $(MAKEFILE_LIST)

$(UV):
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else 1)' || \
	  { echo "fouanalys needs Python 3.11 as '$(PYTHON)' (set PYTHON=... to choose another)."; exit 1; }
	@$(PYTHON) -m venv .tools || \
	  { echo "Could not create a virtual environment: on Debian run 'apt-get install python3-venv'."; exit 1; }
	.tools/bin/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(STAMP): uv.lock pyproject.toml | $(UV)
	$(UV) sync --frozen --compile-bytecode --python $(PYTHON)
	$(BIN)/python -m fouanalys.build.kernel
	@touch $@

## Create .venv from the lockfile and register the Jupyter kernel (done by every target)
setup: $(STAMP)

## Main job: validate, process and build every chapter for every municipality (ARGS=... passes options)
build: $(STAMP)
	$(BIN)/fouanalys build $(ARGS)

## Validate the raw data and list every problem (ARGS="--data-dir DIR" for other data)
validate: $(STAMP)
	$(BIN)/fouanalys validate $(ARGS)

## Regenerate the synthetic example data in data/raw/example
synth: $(STAMP)
	$(BIN)/fouanalys synth $(ARGS)

## Run the linter, the layer contracts (import-linter) and the whole test suite
test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/pytest -n $(TEST_WORKERS) --dist worksteal $(ARGS)

## Lint with ruff
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check src tests

## Format the code with ruff
format: $(STAMP)
	$(BIN)/ruff format src tests
	$(BIN)/ruff check --fix .

## Open JupyterLab on the notebooks with the project's kernel (loopback, token; ARGS="--port N")
lab: $(STAMP)
	$(BIN)/fouanalys lab $(ARGS)

## Re-resolve the lockfile after changing dependencies in pyproject.toml
lock: | $(UV)
	$(UV) lock --python $(PYTHON)

## Refresh the vendored reveal.js from the npm registry, integrity-checked (REVEAL_VERSION=x.y.z)
reveal: $(STAMP)
	$(BIN)/python scripts/reveal.py $(REVEAL_VERSION)

## Remove the environment, processed data and built reports (raw data is never touched)
clean:
	rm -rf $(VENV) .tools .pytest_cache .ruff_cache
	find data/processed reports -mindepth 1 ! -name README.md -exec rm -rf {} +
