"""Sync views: each one only says how the work is waited for, by blocking this thread.

Parameters, bounds, errors and response shapes come from ``workloads.catalogue`` via the
``endpoint`` decorator. Under WSGI a request owns a Gunicorn thread; under ASGI Django
runs these in a worker thread (``sync_to_async``), which ``whoami`` makes visible.
"""
import asyncio

from workloads import catalogue as c
from workloads import db, memory, streams, upstream, work
from workloads.endpoint import endpoint
from workloads.handover import hand_over_blocking, job
from workloads.identity import DJANGO, identify
from workloads.interface import interface_of
from workloads.offload import run_offloaded, submit_background


@endpoint(c.PING)
def ping(request, a):
    return None


@endpoint(c.WHOAMI)
def whoami(request, a):
    return identify(interface_of(request), DJANGO)


@endpoint(c.IO_SLEEP)
def io_sleep(request, a):
    work.sleep_ms(a.ms)


@endpoint(c.IO_BLOCKING)
def io_blocking(request, a):
    work.sleep_ms(a.ms)  # blocking is the norm in a sync view: same as io/sleep


@endpoint(c.IO_THREADPOOL)
def io_threadpool(request, a):
    run_offloaded(work.sleep_ms, a.ms)


@endpoint(c.IO_BACKGROUND)
def io_background(request, a):
    submit_background(work.sleep_ms, a.ms)  # a sync view has only the blocking call to hand over


@endpoint(c.IO_GATHER)
def io_gather(request, a):
    return asyncio.run(memory.hold_coroutines(a.n, a.ms))  # a loop of its own, in this thread


@endpoint(c.CPU)
def cpu(request, a):
    return work.compute(a.n)


@endpoint(c.CPU_OFFLOAD)
def cpu_offload(request, a):
    return run_offloaded(work.compute, a.n)


@endpoint(c.CPU_HASH)
def cpu_hash(request, a):
    return work.hash_mib(a.mib)


@endpoint(c.CPU_CYTHON)
def cpu_cython(request, a):
    return work.spin(a.n)


@endpoint(c.MIXED)
def mixed(request, a):
    return work.sleep_then_compute(a.ms, a.n)


@endpoint(c.DB_READ)
def db_read(request, a):
    return db.READ[a.driver]()


@endpoint(c.DB_QUERIES)
def db_queries(request, a):
    return db.QUERIES[a.driver](a.count)


@endpoint(c.DB_SLEEP)
def db_sleep(request, a):
    db.SLEEP[a.driver](a.ms)


@endpoint(c.DB_WRITE)
def db_write(request, a):
    return db.WRITE[a.driver]()


@endpoint(c.UPLOAD)
def upload(request, a):
    return work.digest_body(request, a.mode)


@endpoint(c.JSON)
def json(request, a):
    if a.offload:
        return run_offloaded(work.parse_json, work.read_body(request), a.parser)
    return work.parse_json(work.read_body(request), a.parser)


@endpoint(c.STREAM_EVENTS)
def stream_events(request, a):
    return streams.EventStream(a.n, a.every_ms, a.schedule)  # frames: sleeps in this thread


@endpoint(c.STREAM_OPEN)
def stream_open(request, a):
    return streams.open_streams()


@endpoint(c.IO_UPSTREAM)
def io_upstream(request, a):
    if a.client == "offloaded":  # the same pooled call, made in the offload pool while this thread waits
        return run_offloaded(upstream.call, a.ms, "pooled")
    return upstream.call(a.ms, a.client)


@endpoint(c.HANDOVER)
def handover(request, a):
    return hand_over_blocking(a.how, job(a.work, a.ms, a.n))
