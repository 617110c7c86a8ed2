"""Your own PostgreSQL: ``DATABASE_URL`` is read whole, the commands work with it, and the tests
never touch the store it names.

The last test is the one that matters: a "user's" results store on the server, holding a sentinel
run shaped like the rows the destructive tests delete, survives a test session run with
``DATABASE_URL`` pointing at it.
"""
from __future__ import annotations

import os
import subprocess
import sys
import uuid

import psycopg
import pytest

from groundwork.database import BASE_DIR, CONNECT_TIMEOUT_S, TEST_DATABASE_ENV, database_target, django_databases
from deploy.databases import admin_connection, drop_database, ensure_database
from tests.conftest import TEST_DATABASE_PREFIX

USER_URL = ("postgresql://alice:s3cret@db.example:6543/results?sslmode=verify-full&sslrootcert=/etc/ca.pem"
            "&target_session_attrs=read-write&options=-c%20work_mem%3D8MB")


@pytest.fixture
def user_url(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", USER_URL)
    monkeypatch.delenv(TEST_DATABASE_ENV, raising=False)


def test_every_parameter_of_the_url_is_kept(user_url):
    params = database_target().libpq_params()
    assert params["sslmode"] == "verify-full"  # was silently "prefer"
    assert params["sslrootcert"] == "/etc/ca.pem"
    assert params["target_session_attrs"] == "read-write"
    assert (params["host"], params["port"], params["user"], params["password"]) == ("db.example", "6543", "alice",
                                                                                     "s3cret")
    # the user's options first, the lab's statement timeout after them (the last -c wins)
    assert params["options"].startswith("-c work_mem=8MB ")
    assert params["options"].endswith("-c statement_timeout=15000")


def test_django_and_the_native_pools_get_the_same_parameters(user_url):
    default = django_databases()["default"]
    assert (default["NAME"], default["USER"], default["HOST"], default["PORT"]) == ("results", "alice", "db.example",
                                                                                    "6543")
    options = default["OPTIONS"]
    assert options["sslmode"] == "verify-full" and options["target_session_attrs"] == "read-write"
    conninfo = psycopg.conninfo.conninfo_to_dict(database_target().conninfo())
    assert {k: conninfo[k] for k in ("sslmode", "sslrootcert", "connect_timeout", "options")} == {
        k: options[k] for k in ("sslmode", "sslrootcert", "connect_timeout", "options")}


def test_a_connect_timeout_everywhere_unless_the_url_gives_one(monkeypatch, user_url):
    assert database_target().libpq_params()["connect_timeout"] == str(CONNECT_TIMEOUT_S)
    assert django_databases()["default"]["OPTIONS"]["connect_timeout"] == str(CONNECT_TIMEOUT_S)
    monkeypatch.setenv("DATABASE_URL", USER_URL + "&connect_timeout=3")
    assert database_target().libpq_params()["connect_timeout"] == "3"
    monkeypatch.delenv("DATABASE_URL")
    assert database_target().embedded and database_target().libpq_params()["connect_timeout"] == str(CONNECT_TIMEOUT_S)


def test_the_test_database_replaces_the_urls_database_but_not_its_server(monkeypatch, user_url):
    monkeypatch.setenv(TEST_DATABASE_ENV, "djlab_test_x")
    target = database_target()
    assert (target.dbname, target.maintenance_dbname, target.host) == ("djlab_test_x", "results", "db.example")
    assert django_databases()["default"]["NAME"] == "djlab_test_x"


def test_the_password_is_never_shown(user_url):
    assert "s3cret" not in database_target().display()


def run_manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "manage.py", *args], cwd=BASE_DIR, env=env, capture_output=True, text=True,
                          timeout=120)


def user_env(url: str) -> dict[str, str]:
    """The environment of someone using their own PostgreSQL: no test database named."""
    env = {k: v for k, v in os.environ.items() if k != TEST_DATABASE_ENV}
    return {**env, "DATABASE_URL": url}


@pytest.fixture
def users_store(database):
    """A results store of the "user's" on the running server, migrated, with its URL."""
    name = f"djlab_user_{uuid.uuid4().hex[:8]}"
    ensure_database(name)
    target = database_target()
    url = f"postgresql://{target.user}@/{name}?host={target.host}&port={target.port}"
    try:
        migrated = run_manage("migrate", "--noinput", "--verbosity", "0", env=user_env(url))
        assert migrated.returncode == 0, migrated.stderr
        yield name, url
    finally:
        drop_database(name)


def test_postgres_start_checks_the_users_server_and_stop_refuses(users_store):
    _, url = users_store
    started = run_manage("postgres", "start", env=user_env(url))
    assert started.returncode == 0, started.stderr
    assert "from DATABASE_URL" in started.stdout and "not started" in started.stdout
    stopped = run_manage("postgres", "stop", env=user_env(url))
    assert stopped.returncode == 1 and "does not stop it" in stopped.stderr
    assert embedded_is_running()


def embedded_is_running() -> bool:
    with admin_connection() as conn:
        return conn.execute("SELECT 1").fetchone() == (1,)


def test_a_bad_url_is_one_clear_line_and_exit_1():
    bad = run_manage("postgres", "status", env=user_env("postgresql://u@h/db?no_such_parameter=1"))
    assert bad.returncode == 1
    assert "DATABASE_URL is not a valid PostgreSQL connection string" in bad.stderr
    assert "Traceback" not in bad.stderr
    unreachable = run_manage("postgres", "start", env=user_env("postgresql://u:pw@127.0.0.1:1/db?connect_timeout=2"))
    assert unreachable.returncode == 1 and "cannot reach PostgreSQL" in unreachable.stderr
    assert "Traceback" not in unreachable.stderr and "pw" not in unreachable.stderr.replace("postgresql", "")


# Rows shaped like the ones the destructive tests delete: suite "synthetic", experiment "curves",
# scenario "synthetic". Written through the ORM, so the sentinel follows the schema.
SENTINEL = """
from django.utils import timezone
from bench.models import ExperimentRun, Run
run = Run.objects.create(suite="synthetic", status="completed", started_at=timezone.now(), note="sentinel")
ExperimentRun.objects.create(run=run, claim="C8", experiment="curves", variant="sentinel", target="t",
                             scenario="synthetic", started_at=timezone.now())
print(run.id)
"""


# The test modules that delete rows: by suite "synthetic", by experiment "curves", by scenario.
DESTRUCTIVE = ["tests/integration/test_verdict_shells.py", "tests/system/test_ladders.py",
               "tests/system/test_curves_page.py", "tests/integration/test_overload.py"]


def databases_named(prefix: str) -> set[str]:
    with admin_connection() as conn:
        return {row[0] for row in conn.execute("SELECT datname FROM pg_database WHERE starts_with(datname, %s)",
                                               (prefix,))}


def test_a_test_session_with_database_url_leaves_the_users_store_alone(users_store):
    name, url = users_store
    made = run_manage("shell", "-c", SENTINEL, env=user_env(url))
    assert made.returncode == 0, made.stderr
    sentinel = int(made.stdout.split()[-1])
    before = databases_named(TEST_DATABASE_PREFIX)
    session = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", "-p", "no:cacheprovider",
                              *DESTRUCTIVE], cwd=BASE_DIR, env=user_env(url), capture_output=True, text=True,
                             timeout=600)
    assert session.returncode == 0, session.stdout[-3000:]
    with psycopg.connect(database_target().conninfo(dbname=name)) as conn:
        runs = conn.execute("SELECT id, suite, note FROM bench_run").fetchall()
        experiments = conn.execute("SELECT run_id, experiment, scenario FROM bench_experimentrun").fetchall()
    assert runs == [(sentinel, "synthetic", "sentinel")]  # nothing deleted, nothing added
    assert experiments == [(sentinel, "curves", "synthetic")]
    assert databases_named(TEST_DATABASE_PREFIX) == before  # and the session dropped its own database
