"""Unit tests: no database, no servers.

``judging.verdicts`` reads model instances (``bench.models``), so Django is configured here with the
lab's own settings, which need no running PostgreSQL: ``groundwork.database`` only reads where the embedded
server's socket would be, and nothing connects until a query runs. No query may run: every attempt
to open a connection, sync or async, fails with ``DatabaseBlocked`` and is counted in
``blocked_queries`` (tests/unit/test_verdicts.py asserts that the judges make none).

Under ``make unit`` (``--confcutdir=tests/unit``) this is the only conftest loaded; in ``make test``
tests/conftest.py has set Django up first, with its own database, and the block applies all the same.
"""
from __future__ import annotations

import os

import pytest

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402
from django.apps import apps  # noqa: E402

if not apps.ready:
    django.setup()

from django.db.backends.base.base import BaseDatabaseWrapper  # noqa: E402
from django_async_backend.db.backends.base.base import BaseAsyncDatabaseWrapper  # noqa: E402


class DatabaseBlocked(RuntimeError):
    """A unit test tried to reach the database."""


blocked_queries: list[str] = []  # the aliases of the connections tried, in this test


@pytest.fixture(autouse=True)
def no_database(monkeypatch):
    """Every connection attempt in a unit test is recorded and refused (a swallowed exception
    still leaves its record)."""
    blocked_queries.clear()

    def refuse(wrapper):
        blocked_queries.append(wrapper.alias)
        raise DatabaseBlocked(f"a unit test tried to query the database ({wrapper.alias!r})")

    async def refuse_async(wrapper):
        refuse(wrapper)

    monkeypatch.setattr(BaseDatabaseWrapper, "ensure_connection", refuse)
    monkeypatch.setattr(BaseAsyncDatabaseWrapper, "ensure_connection", refuse_async)
    yield blocked_queries
