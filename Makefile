# twinnet: the article network in Python and R, checked for parity.
# `make` lists the targets. `make demo` and `make test` do all the set-up first.

SHELL      := /bin/sh
PYTHON     ?= python3
VENV       := .venv
PY         := $(VENV)/bin/python
R_LIBRARY  := $(VENV)/R-library
R_SOURCES  := r/DESCRIPTION r/NAMESPACE $(wildcard r/R/*.R r/man/*.Rd r/inst/*/*.R)
VENV_STAMP := $(VENV)/.twinnet-python
R_STAMP    := $(R_LIBRARY)/twinnet/DESCRIPTION

.DEFAULT_GOAL := help
.PHONY: help setup system-deps test test-python test-r demo parity fixtures fixtures-check iris-source docs-r soak bench clean

help: ## list the targets
	@echo "twinnet make targets:"
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | awk -F'\t' '{printf "  make %-15s %s\n", $$1, $$2}'

setup: system-deps $(VENV_STAMP) $(R_STAMP) ## install R (apt), the pinned .venv and the R package (idempotent)

system-deps: ## check for R, jsonlite, testthat and OpenBLAS; install them with apt if missing
	@sh .ci/system-deps

$(VENV_STAMP): python/requirements.txt python/pyproject.toml | system-deps
	@[ -x $(PY) ] || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r python/requirements.txt
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -e python
	@touch $@

$(R_STAMP): $(R_SOURCES) | system-deps $(VENV_STAMP)
	@mkdir -p $(R_LIBRARY)
	R CMD INSTALL --no-multiarch --no-test-load --library=$(R_LIBRARY) r >$(VENV)/r-install.log 2>&1 \
		|| { cat $(VENV)/r-install.log; exit 1; }
	@touch $@

test: setup test-r test-python ## set up, then run the R package's testthat tests and the pytest parity suite

test-python: setup ## pytest: parity via rpy2, fixtures, gradient checks, CLI (2 workers, pytest-xdist)
	$(PY) -m pytest -n 2 tests

test-r: setup ## testthat (3rd edition) tests of the R package
	R_LIBS=$(R_LIBRARY) Rscript r/tests/run-testthat.R

demo: setup ## set up, train every fixture in both languages, print the parity table, plots to out/, docs/side-by-side.html
	$(PY) -m twinnet demo --out-dir out
	$(PY) -m twinnet docs --out-dir docs

.PHONY: docs
docs: setup ## write docs/side-by-side.html (the twins step by step) and the article fixture's plots in docs/
	$(PY) -m twinnet docs --out-dir docs

parity: setup ## the parity table for every fixture (exit 1 on a mismatch)
	$(PY) -m twinnet parity

fixtures: setup ## regenerate shared_fixtures/*.json (byte-identical when nothing changed)
	$(PY) -m twinnet generate

fixtures-check: setup ## fail if the committed fixtures differ from a fresh generation
	$(PY) -m twinnet generate --check

iris-source: system-deps ## re-export R's datasets::iris to shared_fixtures/sources/iris.csv
	Rscript r/data-raw/export_iris.R

docs-r: system-deps ## regenerate r/NAMESPACE and r/man/ from the roxygen comments (needs r-cran-roxygen2)
	Rscript -e 'roxygen2::roxygenise("r")'

soak: setup ## property-based parity on 1000 random fixtures; writes out/property-parity.json
	TWINNET_PROPERTY_EXAMPLES=1000 $(PY) -m pytest tests/test_property.py -q -s -p no:cacheprovider

.PHONY: conform
conform: setup ## check the Python and R twins as ports (docs/porting.md); reports in out/conform-*.json
	$(PY) -m twinnet conform --report out/conform-python.json -- $(PY) -m twinnet port
	$(PY) -m twinnet conform --report out/conform-r.json -- env R_LIBS=$(R_LIBRARY) Rscript r/inst/ports/port.R

.PHONY: notebooks exercises
notebooks: setup ## write docs/notebooks/*.ipynb from the twins' steps and run them in a fresh kernel (saved with outputs)
	TWINNET_R_LIBRARY=$(R_LIBRARY) $(PY) -m twinnet.reading.notebooks

exercises: setup ## write docs/exercises/ (find-the-bug ports, sheet, answers) and docs/skeletons/ (fill-in twins)
	$(PY) -m twinnet.ports.exercises

bench: setup ## time every variant's training loop in both languages; out/bench.json, out/bench.png (a few minutes)
	$(PY) -m twinnet bench

clean: ## remove .venv and out/
	rm -rf $(VENV) out
