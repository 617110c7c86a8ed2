# Two commands for a new user: `make demo` and `make test`. Everything else is set-up.
VENV       ?= .venv
PY         := $(VENV)/bin/python
WSGI_PORT  ?= 8001
ASGI_PORT  ?= 8002
DASHBOARD_PORT ?= 8000
DEMO_SUITE ?= quick
PYTEST_ARGS ?=
LOCK_ARGS  ?=

.PHONY: demo test test-fast unit mutation setup venv native secret-key db clean-db lock help

help:
	@echo "make demo   - set up, import the reference machine's runs, run the quick suite, then serve WSGI (:$(WSGI_PORT)), ASGI (:$(ASGI_PORT)) and the dashboard (:$(DASHBOARD_PORT))"
	@echo "make test   - set up, then run the whole test suite against real servers and PostgreSQL"
	@echo "make test-fast - the same without the slow tests (bench runs, faults, browsers)"
	@echo "make unit   - the unit tests alone (the judging core, every claim's judge): no database, no servers, seconds"
	@echo "make mutation - mutation testing of the judging core and the claims' judges against the unit tests (mutmut)"
	@echo "  LAB_PYTHON=python3.12 make test - pick the Python (default: newest of 3.14, 3.13, 3.12)"
	@echo "make lock   - after editing requirements.txt: write requirements.lock, which make setup installs"

# The newest of Python 3.14/3.13/3.12 found (or LAB_PYTHON=python3.13, say); see scripts/find-python.
venv:
	@scripts/ensure-venv $(VENV)

# requirements.txt (edited by hand) resolved into requirements.lock (pinned and hashed; see
# scripts/lock). LOCK_ARGS=--upgrade also moves the dependencies requirements.txt does not pin.
lock: venv
	scripts/lock $(VENV)/bin/uv $(LOCK_ARGS)

# This checkout's SECRET_KEY, once (importing the settings only reads it).
secret-key: venv
	$(PY) -m config.secret_key

db: venv secret-key
	$(PY) manage.py postgres start
	$(PY) manage.py migrate --noinput --verbosity 0
	$(PY) manage.py seed

# The Cython module of cpu/cython (a nogil loop), when a C compiler is present; see scripts/build-native.
native: venv
	scripts/build-native $(PY)

setup: db native

demo: setup
	$(PY) manage.py demo --suite $(DEMO_SUITE) --wsgi-port $(WSGI_PORT) --asgi-port $(ASGI_PORT) \
	    --dashboard-port $(DASHBOARD_PORT)

# The tests make, migrate and drop a database of their own on the configured server (embedded, or
# DATABASE_URL's): they need the server up, never the lab's own database.
test: venv native
	$(PY) manage.py postgres start
	scripts/ensure-chromium
	$(PY) -m pytest $(PYTEST_ARGS)

# Everything but the slow tests (whole bench runs, faults, browsers): a second Python's check in CI.
test-fast: venv native
	$(PY) manage.py postgres start
	$(PY) -m pytest -m "not slow" $(PYTEST_ARGS)

# The unit tests (tests/unit): the judging core and every claim's judge on evidence built in memory,
# no database. --confcutdir keeps tests/conftest.py (PostgreSQL for the rest of the suite) from being
# loaded; tests/unit/conftest.py sets Django up with the lab's settings (the judges read model
# instances; nothing connects) and refuses every query. make test runs them too, beside the
# database. Hypothesis' plugin is left out: unused here, it would take 1 s of the run.
# The same options are in pyproject.toml's [tool.mutmut].
unit: venv
	$(PY) -m pytest tests/unit --confcutdir=tests/unit -p no:hypothesispytest $(PYTEST_ARGS)

# Mutation testing of the judging layer (every module of judging/ listed in pyproject.toml's
# [tool.mutmut] source_paths; the shells that read the store are left out) against tests/unit, about
# 15 minutes on two cores, not part of make test. A fresh mutants/ each time, so no result is carried
# over from older tests; lists the mutants that survived and fails below MUTATION_FLOOR of them killed.
MUTATION_FLOOR ?= 0.9
# mutmut is a development tool outside the lock (its parser's YAML dependency differs between
# Python 3.12 and 3.13, and CI never runs it): installed into the venv on first use.
MUTMUT_VERSION ?= 3.8.1
mutation: venv
	$(VENV)/bin/python -m pip show mutmut >/dev/null 2>&1 || $(VENV)/bin/python -m pip install --quiet mutmut==$(MUTMUT_VERSION)
	rm -rf mutants
	$(VENV)/bin/mutmut run
	$(VENV)/bin/mutmut results
	$(VENV)/bin/mutmut export-cicd-stats
	$(PY) -c "import json, sys; s = json.load(open('mutants/mutmut-cicd-stats.json')); \
	    print('mutation score: %d/%d killed' % (s['killed'], s['total'])); sys.exit(s['killed'] < $(MUTATION_FLOOR) * s['total'])"

clean-db: venv
	$(PY) manage.py postgres stop
	rm -rf .pgdata
