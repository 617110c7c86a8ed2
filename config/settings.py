"""Production-like settings for both deployments (the benchmark measures the stack, not a
misconfiguration): DEBUG off, no middleware the endpoints do not use, pooled connections.
"""
import os

from config import secret_key
from groundwork.database import django_databases, env_int

SECRET_KEY = secret_key.read()  # reads only: `make setup` writes the checkout's key
DEBUG = os.environ.get("DJANGO_DEBUG", "") == "1"
ALLOWED_HOSTS = [h.strip() for h in os.environ.get(
    "ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]").split(",") if h.strip()]

# A deployment under test (LAB_APP=lab, set by deploy.Deployment) loads the endpoints' app
# only: the results store, the runner and the dashboard never enter a process being measured.
# manage.py, the tests and the dashboard's own deployment load everything.
LAB_APP = os.environ.get("LAB_APP", "all")
INSTALLED_APPS = ["workloads"] if LAB_APP == "lab" else ["workloads", "deploy", "bench", "dashboard"]
# django-async-backend (driver "asyncbackend"): its app gives every model the async ORM.
# Its request_started/request_finished receivers are turned off: async receivers of those signals
# cost every request of every endpoint a hop (request_finished is sent from a thread, so an
# AsyncToSync back to the loop; under WSGI both are). The driver returns its connection to the
# pool itself when the request's work ends (workloads.db_async), as the package's middleware would.
INSTALLED_APPS.append("django_async_backend")
ASYNC_BACKEND_DISABLE_REQUEST_SIGNALS = True
# No middleware: every one would run on every benchmarked request. What they would give:
# - Host validation: done by the endpoint decorator and the dashboard (check_host).
# - Security headers: the dashboard's own deployment adds them around its handler (config.dashboard_headers).
# - CSRF: nothing here uses cookies or sessions, and the dashboard is read-only.
MIDDLEWARE: list[str] = []
SILENCED_SYSTEM_CHECKS = [
    "security.W001",  # SecurityMiddleware: no TLS on loopback; dashboard sets nosniff/referrer itself
    "security.W002",  # XFrameOptionsMiddleware: the dashboard sends X-Frame-Options: DENY itself
    "security.W003",  # CsrfViewMiddleware: no cookies, no sessions, no state-changing forms
]

# The WSGI and ASGI entry points give each request its own urlconf (see config/wsgi.py,
# config/asgi.py), so /api/ resolves to sync or async views by interface. This default
# serves tools such as `manage.py check` and Django's test client.
# Lab requests carry their own urlconf (workloads.interface); this one is for reverse() in the
# dashboard's pages and reports, and for Django's checks.
ROOT_URLCONF = "config.urls_wsgi" if LAB_APP == "lab" else "config.urls_dashboard"
WSGI_APPLICATION = "config.wsgi.application"

DATABASES = django_databases(check_connections=LAB_APP == "dashboard")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

USE_TZ = True
TIME_ZONE = "UTC"
USE_I18N = False

# Bodies: one limit, enforced before anything is read where the server allows it.
LAB_MAX_BODY_BYTES = env_int("LAB_MAX_BODY_BYTES", 16 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = LAB_MAX_BODY_BYTES
# Django's ASGI handler spools a body into a SpooledTemporaryFile of this size before
# the view runs; bigger bodies roll over to disk. Django's default, kept on purpose.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {"context_processors": []},
    }
]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"stderr": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["stderr"], "level": os.environ.get("LAB_LOG_LEVEL", "WARNING")},
    # 4xx are answers, not incidents: a load test of bad input must not flood the log.
    "loggers": {"django.request": {"level": "ERROR"}},
}
