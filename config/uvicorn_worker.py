"""Gunicorn's worker class for the ``gunicorn-uvicorn`` deployment: the same loop and HTTP
parser as plain Uvicorn (uvloop, httptools), and no lifespan (Django does not speak it).
``LAB_LIMIT_CONCURRENCY`` (set by the deployment's ``backpressure``) is Uvicorn's own overload
control, which Gunicorn's command line cannot reach."""
import os

from uvicorn_worker import UvicornWorker


class LabUvicornWorker(UvicornWorker):
    CONFIG_KWARGS = {"loop": "uvloop", "http": "httptools", "lifespan": "off",
                     **({"limit_concurrency": int(os.environ["LAB_LIMIT_CONCURRENCY"])}
                        if os.environ.get("LAB_LIMIT_CONCURRENCY") else {})}
