"""Test set-up: a real PostgreSQL and real Gunicorn/Uvicorn/Granian deployments started through
the project's ``serve`` machinery.

The tests work in a database of their own: created here on whichever server is configured (the
embedded one, or ``DATABASE_URL``'s), named for every process they start through
``LAB_TEST_DATABASE``, and dropped when the session ends. They never read or write a store they did
not create, so running them with ``DATABASE_URL`` pointing at your results is safe."""
from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

import psutil

from groundwork.database import BASE_DIR, TEST_DATABASE_ENV, database_target  # needs no Django set-up
from groundwork.names import UPSTREAM_URL_ENV

# One database per session, named after this process so that a session killed before its end
# leaves a database the next session on this machine can recognise as stale and drop. Test modules
# import this file again as ``tests.conftest``: the name is chosen once per process, and a pytest
# started by a test (another process) chooses its own.
TEST_DATABASE_PREFIX = "djlab_test_"
if not os.environ.get(TEST_DATABASE_ENV, "").startswith(f"{TEST_DATABASE_PREFIX}{os.getpid()}_"):
    os.environ[TEST_DATABASE_ENV] = f"{TEST_DATABASE_PREFIX}{os.getpid()}_{uuid.uuid4().hex[:8]}"
# Every process this session starts inherits this mark, so the end-of-session check below can
# find any server, worker or Locust it left behind, whichever test started it and however.
SESSION_MARK = "LAB_TEST_SESSION"
if not os.environ.get(SESSION_MARK, "").startswith(f"{os.getpid()}-"):
    os.environ[SESSION_MARK] = f"{os.getpid()}-{uuid.uuid4().hex}"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.db import connections  # noqa: E402

from deploy import embedded_postgres  # noqa: E402
from deploy.deployments import Deployment  # noqa: E402
from deploy.databases import admin_connection, drop_database, ensure_database  # noqa: E402
from deploy.process import RunningDeployment, check_deployment, free_port, prepare_database  # noqa: E402
from tests.upstream_session import UpstreamStub  # noqa: E402

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


def drop_stale_test_databases() -> list[str]:
    """Drop the databases of earlier sessions on this machine's embedded server whose process is
    gone (killed before its teardown). Never on ``DATABASE_URL``'s server: another machine's
    session may be using a database there, and its pid means nothing here."""
    if not database_target().embedded:
        return []
    with admin_connection() as conn:
        names = [row[0] for row in conn.execute("SELECT datname FROM pg_database WHERE datname LIKE %s",
                                                 (TEST_DATABASE_PREFIX.replace("_", r"\_") + "%",))]
    stale = []
    for name in names:
        pid = name.removeprefix(TEST_DATABASE_PREFIX).split("_", 1)[0]
        if pid.isascii() and pid.isdigit() and not psutil.pid_exists(int(pid)):
            drop_database(name)
            stale.append(name)
    return stale


@pytest.fixture(scope="session")
def database():
    """The session's own database: created, migrated and seeded here, dropped at the end."""
    name = os.environ[TEST_DATABASE_ENV]
    if database_target().embedded:
        embedded_postgres.start()  # creates the target database, which is this session's
        drop_stale_test_databases()
    ensure_database(name)
    prepare_database()
    yield name
    connections.close_all()
    drop_database(name)


def launch(server: str, extra_env: dict[str, str] | None = None, **kwargs) -> RunningDeployment:
    extra_env = {UPSTREAM_URL_ENV: UpstreamStub.shared_url(), **(extra_env or {})}
    deployment = Deployment(server, port=free_port(), **kwargs)
    check_deployment(deployment)
    logs = ARTIFACTS / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    running = RunningDeployment.start(deployment, log_path=logs / f"{deployment.label.replace(':', '_')}.log",
                                      extra_env=extra_env)
    running.wait_healthy(60)
    return running


@pytest.fixture(scope="session")
def gunicorn(database):
    with launch("gunicorn", workers=2, threads=8) as running:
        yield running


@pytest.fixture(scope="session")
def uvicorn(database):
    """One Uvicorn worker: one event loop, so blocking it is visible."""
    with launch("uvicorn", workers=1) as running:
        yield running


@pytest.fixture(scope="session")
def fastapi(database):
    """The FastAPI adapter on one Uvicorn worker, like ``uvicorn``. Not in ``servers``: it
    serves a subset of the catalogue (``fastapi_app.endpoints.SERVED``), under /api/ and /async/."""
    with launch("fastapi", workers=1) as running:
        yield running


@pytest.fixture(scope="session")
def gunicorn_uvicorn(database):
    with launch("gunicorn-uvicorn", workers=2) as running:
        yield running


@pytest.fixture(scope="session")
def granian_wsgi(database):
    """Granian's WSGI interface, blocking threads in the role of gthread's threads."""
    with launch("granian", interface="wsgi", workers=2, threads=8) as running:
        yield running


@pytest.fixture(scope="session")
def granian_asgi(database):
    with launch("granian", interface="asgi", workers=2) as running:
        yield running


@pytest.fixture(scope="session")
def dashboard(database):
    """The results dashboard, in the deployment of its own that ``manage.py dashboard`` starts."""
    from deploy.management.commands.dashboard import dashboard_deployment

    with launch("gunicorn", **{k: v for k, v in dashboard_deployment().as_dict().items()
                               if k in ("workers", "threads", "pool_size", "app")}) as running:
        yield running


SERVER_NAMES = ("gunicorn", "uvicorn", "gunicorn-uvicorn", "granian-wsgi", "granian-asgi")


@pytest.fixture(scope="session")
def servers(gunicorn, uvicorn, gunicorn_uvicorn, granian_wsgi, granian_asgi) -> dict[str, RunningDeployment]:
    """Every server of the lab, each named by its deployment's stack."""
    running = (gunicorn, uvicorn, gunicorn_uvicorn, granian_wsgi, granian_asgi)
    by_name = {r.deployment.stack: r for r in running}
    assert tuple(by_name) == SERVER_NAMES
    return by_name


@pytest.fixture(params=SERVER_NAMES)
def server(request, servers) -> RunningDeployment:
    return servers[request.param]


def bench(*args: str, **kwargs) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "manage.py", "bench", *args], cwd=BASE_DIR, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, **kwargs)


@pytest.fixture(scope="session")
def smoke_run(database):
    """One real ``bench --suite smoke`` run, stored in the test database. Its queries run on a
    thread of their own: in random order the first test to ask may be a browser test, whose
    Playwright runs an event loop on this thread, where Django refuses ORM calls."""
    from concurrent.futures import ThreadPoolExecutor

    from bench.models import Run

    def make() -> Run:
        try:
            before = set(Run.objects.values_list("id", flat=True))
            proc = bench("--suite", "smoke")
            output, _ = proc.communicate(timeout=300)
            assert proc.returncode == 0, output
            (run_id,) = set(Run.objects.values_list("id", flat=True)) - before
            run = Run.objects.get(id=run_id)
            run.output = output
            return run
        finally:
            connections.close_all()  # this thread's own connections

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(make).result()


# The embedded PostgreSQL may be started by the session; it is meant to outlive it.
LONG_LIVED = {"postgres", "pg_ctl", "initdb"}


def left_behind(mark: str) -> list:
    """Live processes, other than this one and its ancestors, that carry this session's mark."""
    me = psutil.Process()
    mine = {me.pid, *(p.pid for p in me.parents())}
    found = []
    for p in psutil.process_iter(["pid", "name", "status"]):
        if p.pid in mine or p.info["name"] in LONG_LIVED or p.info["status"] == psutil.STATUS_ZOMBIE:
            continue
        try:
            if p.environ().get(SESSION_MARK) == mark:
                found.append(p)
        except psutil.Error:
            continue
    return found


def pytest_sessionfinish(session, exitstatus):
    """Fail the run if any server it started is still alive (after a grace period), and kill it."""
    UpstreamStub.stop()
    survivors = left_behind(os.environ[SESSION_MARK])
    _, survivors = psutil.wait_procs(survivors, timeout=10)
    if not survivors:
        return
    described = []
    for p in survivors:
        try:
            described.append(f"  pid {p.pid}: {' '.join(p.cmdline())[:200]}")
            p.kill()
        except psutil.Error:
            pass
    print("\nFAILED: processes started by the tests outlived them (now killed):\n" + "\n".join(described))
    session.exitstatus = pytest.ExitCode.TESTS_FAILED


# The test layers, by directory: unit (no database, no servers; `make unit`), integration (the
# database), system (servers, Locust, a browser). A test module says itself when it is slow (whole
# bench runs, faults, Locust and browser sessions): `pytestmark = pytest.mark.slow`, which
# `make test-fast` leaves out.
LAYERS = ("unit", "integration", "system")
TESTS = Path(__file__).resolve().parent


def layer_of(path: Path) -> str:
    relative = Path(path).resolve().relative_to(TESTS).parts
    return relative[0] if len(relative) > 1 and relative[0] in LAYERS else ""


def pytest_collection_modifyitems(config, items):
    misplaced = sorted({str(item.path.relative_to(TESTS)) for item in items if not layer_of(item.path)})
    if misplaced:
        raise pytest.UsageError(f"test modules outside tests/unit, tests/integration and tests/system: {misplaced}")
    for item in items:
        item.add_marker(getattr(pytest.mark, layer_of(item.path)))


@pytest.fixture(autouse=True)
def _database_unless_unit(request):
    """The session's database for every test that is not a unit test: a unit test never waits for
    PostgreSQL, and fails if it reaches for it (it has no database fixture)."""
    if layer_of(request.node.path) != "unit":
        request.getfixturevalue("database")
