"""WSGI entry point (Gunicorn gthread). Requests carry the WSGI urlconf (sync ``/api/``)."""
import os

import django
from django.core.handlers.wsgi import WSGIHandler

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup(set_prefix=False)

from config import thread_starts  # noqa: E402
from workloads.interface import LabWSGIRequest  # noqa: E402  (needs settings)


class LabWSGIHandler(WSGIHandler):
    request_class = LabWSGIRequest


application = LabWSGIHandler()
thread_starts.install()  # only when the bench runner asks (LAB_THREAD_STARTS_DIR)

if os.environ.get("LAB_COUNT_HOPS") == "1":  # per-request hop counts (config.hops)
    from config.hops import CountHopsWSGI

    application = CountHopsWSGI(application)
