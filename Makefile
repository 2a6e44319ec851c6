# The two commands of the README: `make run` and `make test`. Everything else is a helper.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
STAMP := $(VENV)/.installed

.PHONY: run test setup lint types pytest migrate demo worker clean-venv help browsers

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

# The background worker (score delivery to LMSs, roster sync): Django's task worker plus
# the outbox sweep that retries deliveries while an LMS is down (docs/lti.md).
worker: migrate
	@export DEBUG=$${DEBUG:-1}; \
	$(PY) manage.py scheduler & sweep=$$!; \
	trap 'kill $$sweep 2>/dev/null' EXIT; \
	$(PY) manage.py db_worker --queue-name '*'

# Serves in the foreground; the worker runs in the background and stops with the server.
run: demo
	@export DEBUG=$${DEBUG:-1}; \
	$(PY) manage.py db_worker --queue-name '*' --no-reload >> .worker.log 2>&1 & worker=$$!; \
	$(PY) manage.py scheduler >> .worker.log 2>&1 & sweep=$$!; \
	trap 'kill $$worker $$sweep 2>/dev/null' EXIT INT TERM; \
	echo "Background worker started (log: .worker.log)"; \
	$(PY) manage.py runserver 127.0.0.1:$(PORT)

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

types: setup
	$(VENV)/bin/mypy .

# Debian's Chromium for the browser tests (tests/web/test_browser.py): Playwright launches
# /usr/bin/chromium; no test tool ever downloads a browser. A no-op once it is installed.
browsers:
	@if [ ! -x /usr/bin/chromium ]; then \
	  echo "Installing Debian's chromium for the browser tests"; \
	  sudo=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$sudo apt-get install -y chromium || { $$sudo apt-get update && $$sudo apt-get install -y chromium; }; \
	fi

pytest: setup browsers
	$(VENV)/bin/pytest

test: lint types pytest

clean-venv:
	rm -rf $(VENV)
