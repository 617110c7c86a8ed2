"""WSGI entry point of the dashboard's own deployment (``manage.py dashboard``).

The dashboard reads the results store and imports the experiment catalogue; it runs in a
process of its own so that none of that is loaded into the deployments under test. Its security
headers are added around the handler (``config.dashboard_headers``), for this deployment only.
"""
import os

import django
from django.core.handlers.wsgi import WSGIHandler, WSGIRequest

from config.dashboard_headers import SecurityHeaders

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup(set_prefix=False)


class DashboardRequest(WSGIRequest):
    urlconf = "config.urls_dashboard"


class DashboardHandler(WSGIHandler):
    request_class = DashboardRequest


application = SecurityHeaders(DashboardHandler())
