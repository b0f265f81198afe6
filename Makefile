# orgportal: one entry point. `make run` serves the portal; `make test` runs every test.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test test-postgres lint bench soak setup clean

$(VENV)/.installed: pyproject.toml
	@set -euo pipefail; \
	if [ ! -x "$(PY)" ]; then \
	  python=$$(scripts/find-python); \
	  echo "Using $$python ($$($$python --version))"; \
	  "$$python" -m venv "$(VENV)"; \
	fi; \
	"$(PY)" -m pip install --quiet --upgrade pip; \
	"$(PY)" -m pip install --quiet -e '.[dev]'; \
	touch "$@"

setup: $(VENV)/.installed

run: setup
	mkdir -p var
	DEBUG=$${DEBUG:-1} $(PY) manage.py migrate --noinput
	DEBUG=$${DEBUG:-1} $(PY) manage.py runserver $(HOST):$(PORT)

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy portal

test: lint
	$(VENV)/bin/pytest $(PYTEST_ARGS)

bench: setup
	bash bench/run.sh

soak: setup
	bash scripts/soak.sh

clean:
	rm -rf $(VENV) staticfiles bench-results
