"""Test set-up: a real PostgreSQL (the embedded one, in its own database ``djlab_test``),
and real Gunicorn/Uvicorn deployments started through the project's ``serve`` machinery."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

os.environ.setdefault("LAB_DB_NAME", "djlab_test")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from deploy.deployments import Deployment  # noqa: E402
from deploy.process import RunningDeployment, check_deployment, free_port, prepare_database  # noqa: E402

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


@pytest.fixture(scope="session", autouse=True)
def database():
    prepare_database()


def launch(server: str, **kwargs) -> RunningDeployment:
    deployment = Deployment(server, port=free_port(), **kwargs)
    check_deployment(deployment)
    logs = ARTIFACTS / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    running = RunningDeployment.start(deployment, log_path=logs / f"{deployment.label.replace(':', '_')}.log")
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
def gunicorn_uvicorn(database):
    with launch("gunicorn-uvicorn", workers=2) as running:
        yield running


@pytest.fixture(scope="session")
def servers(gunicorn, uvicorn, gunicorn_uvicorn) -> dict[str, RunningDeployment]:
    return {"gunicorn": gunicorn, "uvicorn": uvicorn, "gunicorn-uvicorn": gunicorn_uvicorn}


@pytest.fixture(params=["gunicorn", "uvicorn", "gunicorn-uvicorn"])
def server(request, servers) -> RunningDeployment:
    return servers[request.param]


def bench(*args: str, **kwargs) -> subprocess.Popen:
    from config.database import BASE_DIR

    return subprocess.Popen([sys.executable, "manage.py", "bench", *args], cwd=BASE_DIR, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, **kwargs)


@pytest.fixture(scope="session")
def smoke_run(database):
    """One real ``bench --suite smoke`` run, stored in the test database."""
    from bench.models import Run

    before = set(Run.objects.values_list("id", flat=True))
    proc = bench("--suite", "smoke")
    output, _ = proc.communicate(timeout=300)
    assert proc.returncode == 0, output
    (run_id,) = set(Run.objects.values_list("id", flat=True)) - before
    run = Run.objects.get(id=run_id)
    run.output = output
    return run
