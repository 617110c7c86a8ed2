"""ASGI entry point (Uvicorn, or Gunicorn with UvicornWorker). Requests carry the ASGI
urlconf (async ``/api/``). The body guard in front of Django refuses oversized bodies
before Django spools them (Django's ASGI handler reads the whole body first, unbounded)."""
import os

import django
from django.core.handlers.asgi import ASGIHandler

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup(set_prefix=False)

from config.body_guard import BodyLimitGuard  # noqa: E402  (needs settings)
from config.loop_lag import watched  # noqa: E402
from workloads.interface import LabASGIRequest  # noqa: E402


class LabASGIHandler(ASGIHandler):
    request_class = LabASGIRequest


django_application = LabASGIHandler()
application = watched(BodyLimitGuard(django_application))  # lag measured only for the bench runner
