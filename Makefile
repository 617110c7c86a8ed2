# Two commands for a new user: `make demo` and `make test`. Everything else is set-up.
VENV       ?= .venv
PY         := $(VENV)/bin/python
WSGI_PORT  ?= 8001
ASGI_PORT  ?= 8002
DASHBOARD_PORT ?= 8000
DEMO_SUITE ?= quick
PYTEST_ARGS ?=

.PHONY: demo test setup venv db clean-db help

help:
	@echo "make demo   - set up, run the quick suite, then serve WSGI (:$(WSGI_PORT)), ASGI (:$(ASGI_PORT)) and the dashboard (:$(DASHBOARD_PORT))"
	@echo "make test   - set up, then run the whole test suite against real servers and PostgreSQL"

$(VENV)/.installed: requirements.txt scripts/find-python
	@set -e; PYTHON=$$(scripts/find-python); echo "Using $$PYTHON"; \
	  [ -x $(PY) ] || $$PYTHON -m venv $(VENV); \
	  $(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip; \
	  $(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	@touch $@

venv: $(VENV)/.installed

db: venv
	$(PY) manage.py postgres start
	$(PY) manage.py migrate --noinput --verbosity 0
	$(PY) manage.py seed

setup: db

demo: setup
	$(PY) manage.py demo --suite $(DEMO_SUITE) --wsgi-port $(WSGI_PORT) --asgi-port $(ASGI_PORT) \
	    --dashboard-port $(DASHBOARD_PORT)

test: setup
	scripts/ensure-chromium
	$(PY) -m pytest $(PYTEST_ARGS)

clean-db: venv
	$(PY) manage.py postgres stop
	rm -rf .pgdata
