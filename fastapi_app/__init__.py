"""The catalogue served by FastAPI, the framework the source document reasons with, and the
bottom rungs of the tax ladder below it: the same endpoints as a plain Starlette app
(``starlette_app``) and as a raw ASGI callable (``bare``).

An adapter beside Django's (``workloads.endpoint``), not a second lab: the parameters,
bounds, errors, response shapes and the work itself come from ``workloads``. Those modules
read Django *settings* (``LAB_MAX_BODY_BYTES``, ``ALLOWED_HOSTS``) and the models' table
names for the SQL, so Django is configured here, before anything else is imported: with
``LAB_APP=lab``, which every deployment sets, only the ``workloads`` app loads; no urlconf
is loaded, no Django request is built and nothing of the dashboard enters the process.
"""
import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup(set_prefix=False)
