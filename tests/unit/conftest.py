"""The unit layer: Django's settings configured (some pure code reads them, e.g. ``QueryDict``), no
database, no servers. ``make unit`` runs this layer alone with ``--confcutdir=tests/unit``, so the
PostgreSQL set-up of ``tests/conftest.py`` is never loaded; settings load without a database."""
import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()
