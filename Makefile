# The two commands of the README: `make run` and `make test`. Everything else is a helper.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
STAMP := $(VENV)/.installed

.PHONY: run test setup lint types pytest migrate demo clean-venv help

help:
	@echo "make run   - set up, migrate, load the bank and demo data, serve on http://127.0.0.1:$(PORT)"
	@echo "make test  - set up, then ruff (lint + format check), mypy and pytest"

# Re-installs only when pyproject.toml or constraints.txt change (nothing re-downloaded).
$(STAMP): pyproject.toml constraints.txt scripts/find-python
	@set -e; \
	if [ -x $(PY) ] && ! $(PY) -c 'import sys; sys.exit(sys.version_info < (3, 12))'; then \
	  echo "$(VENV) uses Python < 3.12; recreating it"; rm -rf $(VENV); fi; \
	if [ ! -x $(PY) ]; then \
	  python=$$(scripts/find-python) || exit 1; \
	  echo "Creating $(VENV) with $$python"; "$$python" -m venv $(VENV); fi; \
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade "pip>=25"; \
	$(PY) -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'; \
	touch $(STAMP)

setup: $(STAMP)

migrate: setup
	DEBUG=$${DEBUG:-1} $(PY) manage.py migrate --noinput

demo: migrate
	DEBUG=$${DEBUG:-1} $(PY) manage.py load_demo

run: demo
	DEBUG=$${DEBUG:-1} $(PY) manage.py runserver 127.0.0.1:$(PORT)

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

types: setup
	$(VENV)/bin/mypy .

pytest: setup
	$(VENV)/bin/pytest

test: lint types pytest

clean-venv:
	rm -rf $(VENV)
