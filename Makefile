# Two commands on a fresh machine with Python 3.11 and make:
#   make demo   - create .venv, install, run the main job on a bundled sample case
#   make test   - create .venv, install, run ruff, mypy and pytest
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
SAMPLE ?= knee_oa_right
WORKSPACE ?= workspace

.PHONY: demo test lint typecheck bench clean samples lab lock test-latest fuzz bytecode

# Everything is installed from the lock file (exact versions, with hashes); the package itself
# without dependencies. pyproject.toml keeps ranges for people installing into their own env.
LOCK := requirements.lock
LOCK_FLAGS := --generate-hashes --python-version 3.11 --python-platform linux --no-emit-package workbench

$(STAMP): $(LOCK) pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes -r $(LOCK)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	$(MAKE) --no-print-directory bytecode
	touch $(STAMP)

# The package's own bytecode, written once: every command, kernel and test process would
# otherwise compile its ~140 modules again (about 0.5 s of CPU each) wherever
# PYTHONDONTWRITEBYTECODE is set. Stale files are ignored by Python; this refreshes them.
bytecode:
	$(BIN)/python -m compileall -q -j 0 workbench

# Regenerate the lock after changing a dependency range in pyproject.toml (uv is in the lock).
# uv keeps the locked versions that still satisfy the ranges; `make lock UPGRADE=1` moves
# every package to the newest release the ranges allow.
lock: $(STAMP)
	$(BIN)/uv pip compile pyproject.toml --extra dev --extra fhir $(LOCK_FLAGS) \
		$(if $(UPGRADE),--upgrade) -o $(LOCK)

# The suite against the newest releases the ranges allow, in a separate venv (not in CI):
# an upgrade is deliberate - run this, then `make lock UPGRADE=1`, then `make test`.
test-latest:
	rm -rf .venv-latest
	$(PYTHON) -m venv .venv-latest
	.venv-latest/bin/python -m pip install --quiet --upgrade -e '.[dev,fhir]'
	.venv-latest/bin/pytest -n 2 --dist loadfile

demo: $(STAMP) bytecode
	$(BIN)/python -m workbench.cli.demo $(SAMPLE) --workspace $(WORKSPACE)

# `make lab` opens the demo's notebook (running the demo first when it is missing);
# `make lab NOTEBOOK=path/review.ipynb` opens that notebook instead.
DEMO_NOTEBOOK = $(WORKSPACE)/$(SAMPLE)/review.ipynb
NOTEBOOK ?= $(DEMO_NOTEBOOK)

# Kernels of `make lab` talk over CurveZMQ-encrypted loopback sockets (jupyter_client >= 8.10).
LAB_FLAGS ?= --KernelManager.transport_encryption=auto

lab: $(STAMP)
ifeq ($(NOTEBOOK),$(DEMO_NOTEBOOK))
	test -f $(NOTEBOOK) || $(BIN)/python -m workbench.cli.demo $(SAMPLE) --workspace $(WORKSPACE)
endif
	@test -f '$(NOTEBOOK)' || { echo "make lab: no notebook at '$(NOTEBOOK)'; write one with" \
		"\`$(BIN)/workbench notebook SOURCE -o '$(NOTEBOOK)'\`" >&2; exit 2; }
	$(BIN)/jupyter lab $(LAB_FLAGS) '$(NOTEBOOK)'

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy

test: lint typecheck bytecode
	$(BIN)/pytest -n 2 --dist loadfile

# Thousands of deterministic mutants of pydicom's test files through the readers and
# open_case (make test runs 300 of them); prints mutants tried, escapes, slowest file and
# peak memory. FUZZ_MUTANTS / FUZZ_SEED choose the batch.
FUZZ_MUTANTS ?= 5000
FUZZ_SEED ?= 1
fuzz: $(STAMP)
	$(BIN)/python -W ignore tests/fuzz/run.py --mutants $(FUZZ_MUTANTS) --seed $(FUZZ_SEED)

# Every benchmark, each beside its peer (dcmdump, python -c pass, the full decode, the
# nbconvert route, SimpleITK ...); figures in benchmarks/results/, summed up in
# benchmarks/results/summary.md. A benchmark that misses its target does not stop the rest.
BENCHMARKS := bench_startup bench_ingest bench_first_view bench_notebook bench_volume \
	bench_viewer bench_pacs
bench: $(STAMP)
	@status=0; for b in $(BENCHMARKS); do \
		echo "== $$b"; $(BIN)/python benchmarks/$$b.py || status=1; \
	done; $(BIN)/python benchmarks/summarize.py; exit $$status

samples: $(STAMP)
	$(BIN)/python sample_cases/generate.py

clean:
	rm -rf $(VENV) $(WORKSPACE) .mypy_cache .ruff_cache .pytest_cache
