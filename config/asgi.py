"""ASGI entry point (Uvicorn, or Gunicorn with UvicornWorker). Requests carry the ASGI
urlconf (async ``/api/``). The body guard in front of Django refuses oversized bodies
before Django spools them (Django's ASGI handler reads the whole body first, unbounded)."""
import os

import django
from django.core.handlers.asgi import ASGIHandler

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup(set_prefix=False)

from config import asgi_tweaks  # noqa: E402  (needs settings)
from config import thread_starts  # noqa: E402
from config.body_guard import BodyLimitGuard  # noqa: E402
from config.executor import with_default_executor  # noqa: E402
from config.loop_lag import watched  # noqa: E402
from workloads.interface import LabASGIRequest  # noqa: E402


class LabASGIHandler(ASGIHandler):
    request_class = LabASGIRequest


# LAB_ASGI_TWEAK: changes to Django's ASGI path, off unless selected.
_tweaks = asgi_tweaks.selected()
asgi_tweaks.apply_signal_tweaks(_tweaks)
django_application = asgi_tweaks.handler_class(LabASGIHandler, _tweaks)()
# Lag and thread starts measured, and the default executor sized, only when the bench runner asks.
application = watched(with_default_executor(BodyLimitGuard(django_application)))
thread_starts.install()

if os.environ.get("LAB_COUNT_HOPS") == "1":  # per-request hop counts (config.hops)
    from config.hops import CountHopsASGI

    application = CountHopsASGI(application)
