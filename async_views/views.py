"""Async views: each one only says how the work is awaited (or, on purpose, not).

Parameters, bounds, errors and response shapes come from ``workloads.catalogue`` via the
``endpoint`` decorator. Under ASGI these run as coroutines on the worker's event loop, in
its main thread; under WSGI Django runs each one on a fresh event loop in a new thread
(``async_to_sync``), a cost the cross-cell measurements show.
"""
import asyncio

from workloads import catalogue as c
from workloads import db_async, memory, streams, upstream, work
from workloads.endpoint import endpoint
from workloads.handover import hand_over, job
from workloads.identity import DJANGO, identify
from workloads.interface import interface_of
from workloads.offload import await_offloaded, schedule_background_task, submit_background


@endpoint(c.PING)
async def ping(request, a):
    return None


@endpoint(c.WHOAMI)
async def whoami(request, a):
    return identify(interface_of(request), DJANGO)


@endpoint(c.IO_SLEEP)
async def io_sleep(request, a):
    await asyncio.sleep(a.ms / 1000)


@endpoint(c.IO_BLOCKING)
async def io_blocking(request, a):
    # The anti-pattern, on purpose: a blocking call inside a coroutine stalls the loop.
    work.sleep_ms(a.ms)


@endpoint(c.IO_THREADPOOL)
async def io_threadpool(request, a):
    await await_offloaded(work.sleep_ms, a.ms)


@endpoint(c.IO_BACKGROUND)
async def io_background(request, a):
    if interface_of(request) == "asgi" and a.call == "sleep":
        schedule_background_task(asyncio.sleep(a.ms / 1000))
    else:
        # The blocking call goes to the background thread pool, as Starlette runs a sync
        # BackgroundTasks function. Under WSGI this coroutine's loop dies with the response
        # and would cancel a task, so both calls take this path there, as in the sync view.
        submit_background(work.sleep_ms, a.ms)


@endpoint(c.IO_GATHER)
async def io_gather(request, a):
    return await memory.hold_coroutines(a.n, a.ms)


@endpoint(c.CPU)
async def cpu(request, a):
    return work.compute(a.n)  # inline: holds the loop for the whole computation


@endpoint(c.CPU_OFFLOAD)
async def cpu_offload(request, a):
    return await await_offloaded(work.compute, a.n)


@endpoint(c.CPU_HASH)
async def cpu_hash(request, a):
    return await await_offloaded(work.hash_mib, a.mib)  # C work: the pool's threads share the cores


@endpoint(c.CPU_CYTHON)
async def cpu_cython(request, a):
    return await await_offloaded(work.spin, a.n)


@endpoint(c.MIXED)
async def mixed(request, a):
    await asyncio.sleep(a.ms / 1000)
    return await await_offloaded(work.sum_of_squares, a.n)


@endpoint(c.DB_READ)
async def db_read(request, a):
    return await db_async.READ[a.driver](interface_of(request))


@endpoint(c.DB_QUERIES)
async def db_queries(request, a):
    return await db_async.QUERIES[a.driver](interface_of(request), a.count)


@endpoint(c.DB_SLEEP)
async def db_sleep(request, a):
    await db_async.SLEEP[a.driver](interface_of(request), a.ms)


@endpoint(c.DB_WRITE)
async def db_write(request, a):
    return await db_async.WRITE[a.driver](interface_of(request))


@endpoint(c.UPLOAD)
async def upload(request, a):
    # The body is already in Django's spool (see work.digest_body); reading it is local I/O.
    return work.digest_body(request, a.mode)


@endpoint(c.JSON)
async def json(request, a):
    if a.offload:
        return await await_offloaded(work.parse_json, work.read_body(request), a.parser)
    return work.parse_json(work.read_body(request), a.parser)  # inline: parsing holds the loop


@endpoint(c.STREAM_EVENTS)
async def stream_events(request, a):
    return streams.EventStream(a.n, a.every_ms, a.schedule)  # aframes: awaits on the loop


@endpoint(c.STREAM_OPEN)
async def stream_open(request, a):
    return streams.open_streams()


@endpoint(c.IO_UPSTREAM)
async def io_upstream(request, a):
    if a.client == "offloaded":  # a sync-only client from async code: the pooled sync call, in the pool
        return await await_offloaded(upstream.call, a.ms, "pooled")
    return await upstream.acall(a.ms, a.client, loop_outlives_request=interface_of(request) == "asgi")


@endpoint(c.HANDOVER)
async def handover(request, a):
    return await hand_over(a.how, job(a.work, a.ms, a.n))
