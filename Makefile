# lozells-analysis: `make reports` builds every report, `make test` runs the tests.
# Both create .venv from the pinned lock on first use and reuse it afterwards.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
SYNTH  := data/synthetic/survey.parquet
JOBS   ?=
PYTEST_ARGS ?=
# The tests keep Python's bytecode caches (pytest's rewritten test modules among them): with
# PYTHONDONTWRITEBYTECODE set, every test run would compile and rewrite every module again,
# seconds per pytest-xdist worker.
PYTEST := env -u PYTHONDONTWRITEBYTECODE $(BIN)/python -m pytest
# --dist worksteal: a worker that runs out of tests takes half of another's queue, so the long
# end-to-end tests (run first, see tests/conftest.py) never leave one worker busy alone at the end.

.DEFAULT_GOAL := help
.PHONY: help install data reports test test-fast lab lint lock browser clean

help: ## Show this help
	@echo "lozells-analysis — make targets:"
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | \
	  awk 'BEGIN {FS = ":.*?## "}; {printf "  make %-10s %s\n", $$1, $$2}'

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"

$(STAMP): requirements.lock pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	$(BIN)/python -m ipykernel install --sys-prefix --name lozells-analysis \
	  --display-name "Python (lozells-analysis)" >/dev/null
	touch $@

install: $(STAMP) ## Create .venv from requirements.lock and register the Jupyter kernel

$(SYNTH): $(STAMP) src/lozells_analysis/data/synthetic.py data/codebook.yaml
	$(BIN)/lozells generate

data: $(SYNTH) ## Generate the synthetic survey and qualitative data (if missing or stale)

reports: install data ## Build every report in reports.yaml into reports/ (skips what has not changed)
	$(BIN)/lozells build $(if $(JOBS),--jobs $(JOBS),)

browser: ## Install Debian's chromium (PDF, browser and JupyterLab tests) and chromium-headless-shell (page checks) if missing
	@./tools/ensure-chromium

test: install data browser ## Run the whole test suite in parallel (installs everything it needs first)
	$(PYTEST) -n $(or $(JOBS),auto) --dist worksteal $(PYTEST_ARGS)

test-fast: install data ## The quick suite before each commit: no browser, no full build, no fault injection
	$(PYTEST) -n $(or $(JOBS),auto) --dist worksteal -m "not slow" --hypothesis-profile=fast $(PYTEST_ARGS)

lab: install data ## Start JupyterLab with the lozells-analysis kernel
	$(BIN)/jupyter lab notebooks/

lint: install ## ruff (check and format), mypy on the library, notebooks stripped of outputs, doctests
	$(BIN)/ruff check src tests benchmarks notebooks
	$(BIN)/ruff format --check src tests benchmarks notebooks
	$(BIN)/mypy
	$(BIN)/nbstripout --keep-id --verify notebooks/*.ipynb
	$(BIN)/python -m pytest -q -p no:cacheprovider --doctest-modules src docs

lock: ## Re-resolve requirements.lock from pyproject.toml (needs the network)
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip install --quiet --upgrade "pip>=24"
	.lock-venv/bin/python -m pip install --quiet -e ".[dev,cluster]"
	( echo "# Pinned by 'make lock' from pyproject.toml ([dev,cluster] extras included)."; \
	  .lock-venv/bin/python -m pip freeze --all --exclude-editable | grep -v -e '^-e' -e '^pip==' ) > requirements.lock
	rm -rf .lock-venv

clean: ## Remove built reports and the generated synthetic data (keeps .venv)
	rm -rf reports/* .lozells data/synthetic/*
	touch reports/.gitkeep data/synthetic/.gitkeep
