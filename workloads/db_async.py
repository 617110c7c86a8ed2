"""Database work, async flavour: Django's async ORM, and raw SQL on a psycopg *async* pool.

What each path really costs:
- Django's async ORM (``aget``) is the sync ORM run through ``sync_to_async``: one hop to a
  worker thread per query. Django has no async cursor or async transaction, so
  ``db/sleep`` and ``db/write`` on the ORM hop once with the whole sync function; a
  transaction therefore runs start-to-commit in one thread on one connection, which is
  what makes it safe (``transaction.atomic`` cannot span ``await``s).
- "native" uses psycopg's ``AsyncConnectionPool`` on the worker's event loop: no thread hop.
  That pool belongs to one loop. Under ASGI the loop lives as long as the worker; under
  WSGI (the cross cell) Django runs each async view on a fresh loop that dies with the
  request, so there the view opens one connection for the request and closes it: a full
  connection set-up per request, which the lab measures rather than hides.
- "asyncbackend" is django-async-backend: Django's ORM and cursors on a real psycopg async
  connection from an ``AsyncConnectionPool`` on the worker's loop (database alias
  ``asyncbackend``), no thread hop, async transactions (``async_atomic``). Its pool belongs to
  one loop, so it is refused under WSGI (and by sync views) with a 400, as the package
  supports ASGI only. A task owns one connection per alias; each request gives it back to
  the pool when its work ends (``backend_connection``).
"""
from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager
from typing import AsyncIterator, Awaitable, Callable

import psycopg
from asgiref.sync import sync_to_async
from django_async_backend.db import async_connections
from django_async_backend.db.transaction import async_atomic
from psycopg_pool import AsyncConnectionPool

from groundwork.database import ASYNC_BACKEND_ALIAS, database_target
from workloads import db
from workloads.errors import ApiError
from workloads.models import World, WriteLog

_pool_task: asyncio.Task[AsyncConnectionPool] | None = None
_pool_loop: asyncio.AbstractEventLoop | None = None


async def _open_pool() -> AsyncConnectionPool:
    pool = AsyncConnectionPool(**db.pool_kwargs(), name="lab-native-async")
    await pool.open()
    return pool


async def _loop_pool() -> AsyncConnectionPool:
    """The pool of the running loop. Concurrent first requests await the same opening task
    (no await between the check and the assignment, so there is no race)."""
    global _pool_task, _pool_loop
    loop = asyncio.get_running_loop()
    if _pool_task is None or _pool_loop is not loop:
        _pool_task, _pool_loop = loop.create_task(_open_pool()), loop
    return await _pool_task


async def open_loop_pool() -> None:
    """Open this loop's pool now rather than at the first request (a lifespan start-up hook)."""
    await _loop_pool()


async def close_loop_pool() -> None:
    """Close this loop's pool (a lifespan shutdown hook): its connections go back to PostgreSQL."""
    global _pool_task, _pool_loop
    if _pool_task is not None and _pool_loop is asyncio.get_running_loop():
        pool, _pool_task, _pool_loop = await _pool_task, None, None
        await pool.close()


@asynccontextmanager
async def native_connection(interface: str) -> AsyncIterator[psycopg.AsyncConnection]:
    """``interface`` "asgi": the loop outlives the request, so its pool serves; "wsgi": a
    connection of its own (see the module's docstring)."""
    if interface == "asgi":
        async with (await _loop_pool()).connection() as conn:
            yield conn
    else:
        async with await psycopg.AsyncConnection.connect(database_target().conninfo()) as conn:
            yield conn


# --- Django's async ORM ------------------------------------------------------------------

async def orm_read(interface: str) -> db.Row:
    world = await World.objects.aget(id=db.random_id())
    return world.id, world.randomnumber


async def orm_queries(interface: str, count: int) -> list[db.Row]:
    return [await orm_read(interface) for _ in range(count)]


async def orm_sleep(interface: str, ms: int) -> None:
    await sync_to_async(db.orm_sleep)(ms)


async def orm_write(interface: str) -> db.Write:
    return await sync_to_async(db.orm_write)()


# --- native async pool -------------------------------------------------------------------

async def native_read(interface: str) -> db.Row:
    async with native_connection(interface) as conn:
        return await (await conn.execute(db.READ_SQL, (db.random_id(),))).fetchone()


async def native_queries(interface: str, count: int) -> list[db.Row]:
    async with native_connection(interface) as conn:
        return [await (await conn.execute(db.READ_SQL, (db.random_id(),))).fetchone()
                for _ in range(count)]


async def native_sleep(interface: str, ms: int) -> None:
    async with native_connection(interface) as conn:
        await conn.execute(db.SLEEP_SQL, (ms / 1000,))


async def native_write(interface: str) -> db.Write:
    world_id, number = db.random_id(), db.random_number()
    async with native_connection(interface) as conn, conn.transaction():
        await conn.execute(db.UPDATE_SQL, (number, world_id))
        write_id = (await (await conn.execute(db.LOG_SQL, (world_id, number))).fetchone())[0]
    return world_id, number, write_id


# --- django-async-backend ----------------------------------------------------------------

@asynccontextmanager
async def backend_connection(interface: str) -> AsyncIterator[object]:
    """This task's connection of the ``asyncbackend`` alias, back to the pool afterwards."""
    if interface != "asgi":
        raise ApiError(400, db.ASYNC_ONLY)
    conn = async_connections[ASYNC_BACKEND_ALIAS]
    try:
        yield conn
    finally:
        await conn.close()


def _worlds():
    return World.async_objects.using(ASYNC_BACKEND_ALIAS)


async def backend_read(interface: str) -> db.Row:
    async with backend_connection(interface):
        world = await _worlds().aget(id=db.random_id())
    return world.id, world.randomnumber


async def backend_queries(interface: str, count: int) -> list[db.Row]:
    async with backend_connection(interface):
        worlds = [await _worlds().aget(id=db.random_id()) for _ in range(count)]
    return [(world.id, world.randomnumber) for world in worlds]


async def backend_sleep(interface: str, ms: int) -> None:
    async with backend_connection(interface) as conn:  # the ORM has no pg_sleep: an async cursor
        async with await conn.cursor() as cursor:
            await cursor.execute(db.SLEEP_SQL, [ms / 1000])


async def backend_write(interface: str) -> db.Write:
    world_id, number = db.random_id(), db.random_number()
    async with backend_connection(interface), async_atomic(using=ASYNC_BACKEND_ALIAS):
        await _worlds().filter(id=world_id).aupdate(randomnumber=number)
        log = await WriteLog.async_objects.using(ASYNC_BACKEND_ALIAS).acreate(
            world_id=world_id, randomnumber=number)
    return world_id, number, log.id


READ: dict[str, Callable[..., Awaitable[db.Row]]] = {
    "orm": orm_read, "native": native_read, "asyncbackend": backend_read}
QUERIES: dict[str, Callable[..., Awaitable[list[db.Row]]]] = {
    "orm": orm_queries, "native": native_queries, "asyncbackend": backend_queries}
SLEEP: dict[str, Callable[..., Awaitable[None]]] = {
    "orm": orm_sleep, "native": native_sleep, "asyncbackend": backend_sleep}
WRITE: dict[str, Callable[..., Awaitable[db.Write]]] = {
    "orm": orm_write, "native": native_write, "asyncbackend": backend_write}
