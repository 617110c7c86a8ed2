"""Database work, blocking flavour: Django's ORM, and "native" raw SQL on a psycopg pool.

The SQL and the row shapes live here once; ``db_async`` reuses them. Each process owns
one native pool, sized like Django's own pool (``groundwork.database.PoolLimits``), so the
two drivers get equal database resources.
"""
from __future__ import annotations

import random
import threading
from typing import Callable

from django.db import connection, transaction
from psycopg_pool import ConnectionPool

from groundwork.database import PoolLimits, database_target
from workloads.errors import ApiError
from workloads.models import WORLD_ROWS, World, WriteLog

Row = tuple[int, int]
Write = tuple[int, int, int]

READ_SQL = f"SELECT id, randomnumber FROM {World._meta.db_table} WHERE id = %s"
SLEEP_SQL = "SELECT pg_sleep(%s)"
UPDATE_SQL = f"UPDATE {World._meta.db_table} SET randomnumber = %s WHERE id = %s"
LOG_SQL = (f"INSERT INTO {WriteLog._meta.db_table} (world_id, randomnumber, created_at) "
           "VALUES (%s, %s, now()) RETURNING id")


def random_id() -> int:
    return random.randint(1, WORLD_ROWS)


def random_number() -> int:
    return random.randint(1, WORLD_ROWS)


def pool_kwargs() -> dict:
    limits = PoolLimits.from_env()
    return {"conninfo": database_target().conninfo(), "min_size": limits.min_size,
            "max_size": limits.size, "timeout": limits.timeout_s, "open": False}


# --- Django ORM --------------------------------------------------------------------------

def orm_read() -> Row:
    world = World.objects.get(id=random_id())
    return world.id, world.randomnumber


def orm_queries(count: int) -> list[Row]:
    return [orm_read() for _ in range(count)]


def orm_sleep(ms: int) -> None:
    # The ORM has no pg_sleep; Django's cursor runs it on the same pooled connection.
    with connection.cursor() as cur:
        cur.execute(SLEEP_SQL, [ms / 1000])


def orm_write() -> Write:
    world_id, number = random_id(), random_number()
    with transaction.atomic():
        World.objects.filter(id=world_id).update(randomnumber=number)
        log = WriteLog.objects.create(world_id=world_id, randomnumber=number)
    return world_id, number, log.id


# --- native psycopg pool -----------------------------------------------------------------

_pool: ConnectionPool | None = None
_pool_lock = threading.Lock()


def native_pool() -> ConnectionPool:
    """This process's pool, opened on first use (never at import: Gunicorn forks after)."""
    global _pool
    if _pool is None:
        with _pool_lock:
            if _pool is None:
                pool = ConnectionPool(**pool_kwargs(), name="lab-native")
                pool.open()
                _pool = pool
    return _pool


def native_read() -> Row:
    with native_pool().connection() as conn:
        return conn.execute(READ_SQL, (random_id(),)).fetchone()


def native_queries(count: int) -> list[Row]:
    with native_pool().connection() as conn:
        return [conn.execute(READ_SQL, (random_id(),)).fetchone() for _ in range(count)]


def native_sleep(ms: int) -> None:
    with native_pool().connection() as conn:
        conn.execute(SLEEP_SQL, (ms / 1000,))


def native_write() -> Write:
    world_id, number = random_id(), random_number()
    with native_pool().connection() as conn, conn.transaction():
        conn.execute(UPDATE_SQL, (number, world_id))
        write_id = conn.execute(LOG_SQL, (world_id, number)).fetchone()[0]
    return world_id, number, write_id


# --- django-async-backend: async only ------------------------------------------------------

ASYNC_ONLY = ("driver 'asyncbackend' (django-async-backend) runs only in an async view under ASGI: its "
              "connection pool lives on the worker's event loop. Use /api/ or /async/ on an ASGI deployment.")


def async_only(*_args) -> None:
    """A sync view has no async connection to use; running the sync ORM under this name instead
    would measure the "orm" driver and label it otherwise, so the request is refused."""
    raise ApiError(400, ASYNC_ONLY)


READ: dict[str, Callable[[], Row]] = {"orm": orm_read, "native": native_read, "asyncbackend": async_only}
QUERIES: dict[str, Callable[[int], list[Row]]] = {"orm": orm_queries, "native": native_queries,
                                                  "asyncbackend": async_only}
SLEEP: dict[str, Callable[[int], None]] = {"orm": orm_sleep, "native": native_sleep, "asyncbackend": async_only}
WRITE: dict[str, Callable[[], Write]] = {"orm": orm_write, "native": native_write, "asyncbackend": async_only}
