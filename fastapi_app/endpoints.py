"""FastAPI endpoints: each one only says how the work is awaited (or, on purpose, not), in
FastAPI's own idiom: ``run_in_threadpool`` to offload, ``BackgroundTasks`` for work after
the response, ``request.stream()`` to read a body as it arrives from the socket.

Served: the endpoints the lab's claims reason about with FastAPI, plus whoami as a ``def``
endpoint (FastAPI's sync flavour) under /sync/. The rest of the catalogue
(io/gather, mixed, db/queries, db/sleep, db/write) answers 404 here; stream/events is an async
generator in a StreamingResponse.
"""
from __future__ import annotations

import asyncio

from fastapi import Request
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect

from fastapi_app.adapter import INTERFACE, Route, endpoint, sync_endpoint
from workloads import catalogue as c
from workloads import db_async, streams, upstream, work
from workloads.handover import hand_over, job
from workloads.identity import FASTAPI, identify
from workloads.offload import background_job


@endpoint(c.PING)
async def ping(request, a, tasks):
    return None


@endpoint(c.WHOAMI)
async def whoami(request, a, tasks):
    return identify(INTERFACE, FASTAPI)


@sync_endpoint(c.WHOAMI)
def sync_whoami(request, a):
    # A ``def`` endpoint: FastAPI runs it in its thread pool (C7: not the main thread, no loop).
    return identify(INTERFACE, FASTAPI)


@endpoint(c.IO_SLEEP)
async def io_sleep(request, a, tasks):
    await asyncio.sleep(a.ms / 1000)


@endpoint(c.IO_BLOCKING)
async def io_blocking(request, a, tasks):
    # The anti-pattern, on purpose: a blocking call inside a coroutine stalls the loop.
    work.sleep_ms(a.ms)


@endpoint(c.IO_THREADPOOL)
async def io_threadpool(request, a, tasks):
    await run_in_threadpool(work.sleep_ms, a.ms)


@endpoint(c.IO_BACKGROUND)
async def io_background(request, a, tasks):
    # Starlette runs an async job on the loop and a sync one in its thread pool, after the response.
    if a.call == "sleep":
        tasks.add_task(background_job(asyncio.sleep, a.ms / 1000))
    else:
        tasks.add_task(background_job(work.sleep_ms, a.ms))


@endpoint(c.CPU)
async def cpu(request, a, tasks):
    return work.compute(a.n)  # inline: holds the loop for the whole computation


@endpoint(c.CPU_OFFLOAD)
async def cpu_offload(request, a, tasks):
    return await run_in_threadpool(work.compute, a.n)


@endpoint(c.without_orm(c.DB_READ))
async def db_read(request, a, tasks):
    return await db_async.READ[a.driver](INTERFACE)


@endpoint(c.UPLOAD)
async def upload(request, a, tasks):
    body = work.BodyReader(request.headers.get("content-length"))
    try:
        if a.mode == "buffer":
            body.add(await request.body())
        else:  # each chunk as the server received it from the socket; nothing was read before
            async for chunk in request.stream():
                body.add(chunk)
    except ClientDisconnect:
        pass  # the client hung up before its Content-Length: done() refuses the short body
    return body.done()


@endpoint(c.JSON)
async def json(request, a, tasks):
    try:
        raw = await request.body()
    except ClientDisconnect:
        raw = b""  # what arrived went with the connection; check_complete refuses it
    work.check_complete(request.headers.get("content-length"), len(raw))
    if a.offload:
        return await run_in_threadpool(work.parse_json, raw, a.parser)
    return work.parse_json(raw, a.parser)  # inline: parsing holds the loop


@endpoint(c.STREAM_EVENTS)
async def stream_events(request, a, tasks):
    return streams.EventStream(a.n, a.every_ms, a.schedule)  # aframes: awaits on the loop


@endpoint(c.STREAM_OPEN)
async def stream_open(request, a, tasks):
    return streams.open_streams()


@endpoint(c.IO_UPSTREAM)
async def io_upstream(request, a, tasks):
    if a.client == "offloaded":
        return await run_in_threadpool(upstream.call, a.ms, "pooled")
    return await upstream.acall(a.ms, a.client, loop_outlives_request=True)


@endpoint(c.HANDOVER)
async def handover(request, a, tasks):
    # The same four hand-overs; sync-to-async has no per-request context here (asgiref's one thread).
    return await hand_over(a.how, job(a.work, a.ms, a.n))


SERVED: tuple[Route, ...] = (ping, whoami, sync_whoami, io_sleep, io_blocking, io_threadpool, io_background, cpu,
                             cpu_offload, db_read, upload, json, stream_events, stream_open, io_upstream,
                             handover)
