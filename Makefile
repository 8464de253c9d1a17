# ltxdash: two commands.
#   make run    set up (first time) and start everything on http://127.0.0.1:8000 (PORT overrides)
#   make test   set up (first time) and run the whole test suite
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV  := .venv
PY    := $(VENV)/bin/python
RUN_STAMP  := $(VENV)/.installed-run
TEST_STAMP := $(VENV)/.installed-test
LOAD_STAMP := $(VENV)/.installed-load
LOADTEST_ARGS ?=
PYTEST_ARGS ?=
# `make test` spreads the tests over one process per core (pytest-xdist); TEST_WORKERS=0 runs
# them in this one process.
TEST_WORKERS ?= auto

# The first Python >= 3.12 on PATH, else the newest one under ~/.pyenv/versions.
define find_python
for c in python3.14 python3.13 python3.12 python3 python; do \
  p=$$(command -v $$c 2>/dev/null) || continue; \
  "$$p" -c 'import sys, venv; sys.exit(sys.version_info < (3, 12))' 2>/dev/null && { echo "$$p"; exit 0; }; \
done; \
for p in $$(ls -d "$$HOME"/.pyenv/versions/3.*/bin/python3 2>/dev/null | sort -rV); do \
  "$$p" -c 'import sys, venv; sys.exit(sys.version_info < (3, 12))' 2>/dev/null && { echo "$$p"; exit 0; }; \
done; exit 1
endef

.PHONY: help run test lint format typecheck bench loadtest screenshots clean-venv

help:
	@echo "make run    start ltxdash on http://127.0.0.1:$${PORT:-8000} (creates .venv on first use)"
	@echo "make test   run the whole test suite"
	@echo "make lint   ruff check + format check"
	@echo "make typecheck  mypy with django-stubs (also part of make test)"
	@echo "make bench  run the benchmarks in bench/"
	@echo "make loadtest  the load test against a multi-process deployment (PostgreSQL + Redis)"
	@echo "make screenshots  retake the README's screenshots (docs/screenshots/)"

$(PY):
	@python=$$($(find_python)) || { \
	  echo "ltxdash needs Python 3.12 or newer, and none was found on PATH or under ~/.pyenv/versions."; \
	  echo "Install one (e.g. 'apt-get install python3.12', 'brew install python@3.13' or 'pyenv install 3.13')"; \
	  echo "and run make again."; exit 1; }; \
	echo "Creating $(VENV) with $$python ($$("$$python" --version))"; \
	"$$python" -m venv $(VENV) && $(PY) -m pip install --quiet --upgrade pip

$(RUN_STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --disable-pip-version-check -e .
	@touch $@

$(TEST_STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $@ $(RUN_STAMP)

$(LOAD_STAMP): pyproject.toml $(TEST_STAMP)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev,load]'
	@touch $@

run: $(RUN_STAMP)
	@$(PY) manage.py migrate --no-input -v 0
	@$(PY) manage.py collectstatic --no-input -v 0
	@$(PY) manage.py ensure_demo_user
	@exec $(PY) manage.py serve

test: $(TEST_STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	DJANGO_SETTINGS_MODULE=tests.settings $(PY) manage.py check
	DJANGO_SETTINGS_MODULE=tests.settings $(PY) manage.py makemigrations --check --dry-run
	$(PY) -m mypy ltxdash
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadgroup $(PYTEST_ARGS)

lint: $(TEST_STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

format: $(TEST_STAMP)
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .

typecheck: $(TEST_STAMP)
	$(PY) -m mypy ltxdash

bench: $(TEST_STAMP)
	@for b in bench/bench_*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

loadtest: $(LOAD_STAMP)
	$(PY) bench/loadtest.py $(LOADTEST_ARGS)

clean-venv:
	rm -rf $(VENV)

# The README's screenshots: a browser journey through the product (tests/browser/test_readme_screenshots.py).
screenshots: $(TEST_STAMP)
	LTXDASH_SCREENSHOTS_DIR=docs/screenshots $(PY) -m pytest -q tests/browser/test_readme_screenshots.py
