# Two commands on a fresh machine with Python 3.11 and make:
#   make demo   - create .venv, install, run the main job on a bundled sample case
#   make test   - create .venv, install, run ruff, mypy and pytest
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
SAMPLE ?= knee_oa_right
WORKSPACE ?= workspace

.PHONY: demo test lint typecheck bench clean samples lab

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python -m workbench.demo $(SAMPLE) --workspace $(WORKSPACE)

lab: $(STAMP)
	test -f $(WORKSPACE)/$(SAMPLE)/review.ipynb || \
		$(BIN)/python -m workbench.demo $(SAMPLE) --workspace $(WORKSPACE)
	$(BIN)/jupyter lab $(WORKSPACE)/$(SAMPLE)/review.ipynb

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

test: lint typecheck
	$(BIN)/pytest -n 2 --dist loadfile

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_ingest.py

samples: $(STAMP)
	$(BIN)/python sample_cases/generate.py

clean:
	rm -rf $(VENV) $(WORKSPACE) .mypy_cache .ruff_cache .pytest_cache
