"""Gunicorn's worker class for the ``gunicorn-uvicorn`` deployment: the same loop and HTTP
parser as plain Uvicorn (uvloop, httptools), and no lifespan (Django does not speak it)."""
from uvicorn_worker import UvicornWorker


class LabUvicornWorker(UvicornWorker):
    CONFIG_KWARGS = {"loop": "uvloop", "http": "httptools", "lifespan": "off"}
