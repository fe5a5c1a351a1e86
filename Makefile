# twinnet: the article network in Python and R, checked for parity.
# `make` lists the targets. `make demo` and `make test` do all the set-up first.

SHELL      := /bin/sh
PYTHON     ?= python3
VENV       := .venv
PY         := $(VENV)/bin/python
R_LIBRARY  := $(VENV)/R-library
R_SOURCES  := $(shell find r -type f -not -name "*.tar.gz")
VENV_STAMP := $(VENV)/.twinnet-python
R_STAMP    := $(R_LIBRARY)/twinnet/DESCRIPTION
LINT_R_STAMP := $(VENV)/.twinnet-lintr
LINTR      := $(wildcard /usr/lib/R/site-library/lintr/DESCRIPTION /usr/local/lib/R/site-library/lintr/DESCRIPTION)

# Python's bytecode goes under .venv/ and never beside the sources, even when the caller's
# environment says to write none (PYTHONDONTWRITEBYTECODE). Without it, every test worker, notebook
# kernel and `python -m twinnet` process compiles twinnet again, and pytest rewrites every test
# module's asserts again. Measured: pytest's collection went from 6.2 s to 2.7 s, and
# `twinnet --help` from 0.42 s to 0.30 s.
export PYTHONPYCACHEPREFIX := $(CURDIR)/$(VENV)/pycache
unexport PYTHONDONTWRITEBYTECODE

.DEFAULT_GOAL := help
.PHONY: help setup system-deps test test-python test-r test-packages check lint demo parity fixtures fixtures-check iris-source docs-r soak bench clean

help: ## list the targets
	@echo "twinnet make targets:"
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | awk -F'\t' '{printf "  make %-15s %s\n", $$1, $$2}'

setup: system-deps $(VENV_STAMP) $(R_STAMP) ## install R (apt), the pinned .venv and the R package (idempotent)

system-deps: ## check for R, its packages (jsonlite, testthat, knitr, rmarkdown, lintr), pandoc, OpenBLAS; apt if missing
	@sh .ci/system-deps

$(VENV_STAMP): python/requirements.txt python/pyproject.toml | system-deps
	@[ -x $(PY) ] || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r python/requirements.txt
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e python
	@touch $@

$(R_STAMP): $(R_SOURCES) | system-deps $(VENV_STAMP)
	@mkdir -p $(R_LIBRARY)
	R CMD INSTALL --no-multiarch --no-test-load --library=$(R_LIBRARY) r >$(VENV)/r-install.log 2>&1 \
		|| { cat $(VENV)/r-install.log; exit 1; }
	@touch $@

test: setup ## set up, then lint, testthat, pytest and the package smoke test, side by side
	@$(MAKE) --no-print-directory -j4 --output-sync=target lint test-r test-python test-packages

test-packages: setup ## build and install the wheel elsewhere, copy the installed R package, train `article` from an empty folder
	sh .ci/check-packages smoke

check: setup ## R CMD check --as-cran on the tarball, sdist + wheel, both installed fresh and used from an empty folder
	@sh .ci/system-deps check
	sh .ci/check-packages full

# Two workers and testthat already keep both cores busy, so OpenBLAS's own threads (numpy's, and R's inside
# each worker) only oversubscribe them and spin while they wait: one thread each, as scikit-learn limits its
# xdist workers (measured: pytest 2 min 55 s of CPU with OpenBLAS's default, 2 min 35 s with one thread).
test-python: setup ## pytest: parity via rpy2, fixtures, gradient checks, CLI (2 workers, pytest-xdist)
	OPENBLAS_NUM_THREADS=1 $(PY) -m pytest -n 2 --dist worksteal --durations=10 tests

test-r: setup ## testthat (3rd edition) tests of the R package
	R_LIBS=$(R_LIBRARY) Rscript r/tests/run-testthat.R

# ruff and mypy keep their caches in .ruff_cache/ and .mypy_cache/ (each ignored by a .gitignore of its own).
lint: setup $(LINT_R_STAMP) ## run ruff, mypy and lintr; fails on any finding (python/pyproject.toml, r/.lintr)
	$(PY) -m ruff check --config python/pyproject.toml python tests
	$(PY) -m mypy --config-file python/pyproject.toml python/twinnet

# lintr runs again only when something under r/, the installed package or lintr changed since its last
# clean run; .ci/lint-r.R keeps lintr's cache under .venv/. object_usage_linter looks functions up in the
# installed package, hence R_LIBS.
$(LINT_R_STAMP): $(R_SOURCES) $(R_STAMP) .ci/lint-r.R $(LINTR) | setup
	R_LIBS=$(R_LIBRARY) Rscript .ci/lint-r.R
	@touch $@

demo: setup ## set up, train every fixture in both languages, print the parity table; plots and the page to out/
	$(PY) -m twinnet demo --out-dir out
	$(PY) -m twinnet docs --out-dir out

.PHONY: docs
docs: setup ## rewrite the committed docs/side-by-side.html, the article fixture's plots and the generated reference tables (run on purpose)
	$(PY) -m twinnet docs --out-dir docs
	$(PY) -m twinnet.maintain.refdocs

parity: setup ## the parity table for every fixture (exit 1 on a mismatch)
	$(PY) -m twinnet parity

fixtures: setup ## regenerate shared_fixtures/ and its packaged copies (python/twinnet/data, r/inst/extdata)
	$(PY) -m twinnet generate

fixtures-check: setup ## fail if shared_fixtures/ or a packaged copy differs from a fresh generation by a byte
	$(PY) -m twinnet generate --check

iris-source: system-deps ## re-export R's datasets::iris to shared_fixtures/sources/iris.csv
	Rscript r/data-raw/export_iris.R

docs-r: system-deps ## regenerate r/NAMESPACE and r/man/ from the roxygen comments (installs r-cran-roxygen2)
	@sh .ci/system-deps docs
	Rscript -e 'roxygen2::roxygenise("r")'

soak: setup ## property-based parity on 1000 random fixtures (out/property-parity.json); hostile input at full size, pytest and testthat
	TWINNET_PROPERTY_EXAMPLES=1000 TWINNET_SOAK=1 $(PY) -m pytest tests/test_property.py tests/test_hostile.py -q -s \
		-p no:cacheprovider --durations=10
	TWINNET_SOAK=1 R_LIBS=$(R_LIBRARY) Rscript r/tests/run-testthat.R "safejson|training"

.PHONY: conform
conform: setup ## check the Python and R twins as ports (docs/porting.md); reports in out/conform-*.json
	@mkdir -p out
	$(PY) -m twinnet conform --report out/conform-python.json -- $(PY) -m twinnet port
	$(PY) -m twinnet conform --report out/conform-r.json -- env R_LIBS=$(R_LIBRARY) Rscript r/inst/ports/port.R

.PHONY: notebooks exercises
notebooks: setup ## write docs/notebooks/*.ipynb from the twins' steps and run them in a fresh kernel (saved with outputs)
	TWINNET_R_LIBRARY=$(R_LIBRARY) $(PY) -m twinnet.reading.notebooks

exercises: setup ## write docs/exercises/ (find-the-bug ports, sheet, answers) and docs/skeletons/ (fill-in twins)
	$(PY) -m twinnet.ports.exercises

bench: setup ## time every variant's training loop in both languages; out/bench.json, out/bench.png, the table of docs/benchmark.md (a few minutes)
	$(PY) -m twinnet bench --page docs/benchmark.md

clean: ## remove .venv, out/ and every build, test and check by-product
	rm -rf $(VENV) out .hypothesis .pytest_cache python/build python/dist python/*.egg-info dist \
		r/*.tar.gz r/..Rcheck twinnet.Rcheck twinnet_*.tar.gz
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
