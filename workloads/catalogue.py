"""The endpoint catalogue: every endpoint's method, parameters, bounds, body and response
shape, written once. ``sync_views`` and ``async_views`` only say how the work is waited for.

Add an endpoint here and both view modules must implement it (their urlconfs are built
from this list, so a missing view fails at import, not at benchmark time).
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from types import SimpleNamespace
from typing import Any, Callable

from workloads.params import ChoiceParam, IntParam, Param

MS = IntParam("ms", default=100, low=0, high=10_000)
# io/sleep waits without holding anything but the request: up to a minute, so that the
# thousands-in-flight grid can hold requests of 30 s (the other sleeps hold a thread, a loop or
# a database connection, and stop at 10 s).
WAIT_MS = IntParam("ms", default=100, low=0, high=60_000)
N = IntParam("n", default=200_000, low=0, high=20_000_000)
COUNT = IntParam("count", default=10, low=1, high=500)
# orm: Django's ORM (async views: sync_to_async); native: raw SQL on a psycopg pool;
# asyncbackend: django-async-backend's async ORM/cursors (async views under ASGI only, else 400).
DRIVER = ChoiceParam("driver", default="orm", choices=("orm", "native", "asyncbackend"))
# What a framework other than Django offers: no ORM, so the native async driver only (a
# request for "orm" gets the ChoiceParam's own 400). See ``without_orm``.
NATIVE_DRIVER = replace(DRIVER, default="native", choices=("native",))
UPLOAD_MODE = ChoiceParam("mode", default="buffer", choices=("buffer", "stream"))
JSON_PARSER = ChoiceParam("parser", default="json", choices=("json", "orjson"))
OFFLOAD = IntParam("offload", default=0, low=0, high=1)
# io/background: what is handed to background work. "sleep" = asyncio.sleep on the loop (ASGI);
# "blocking" = the blocking call itself, on a thread (the document's BackgroundTasks(time.sleep)).
BACKGROUND_CALL = ChoiceParam("call", default="sleep", choices=("sleep", "blocking"))
COROUTINES = IntParam("n", default=1000, low=1, high=100_000)
# io/upstream: how the call to the upstream stub is made (workloads.upstream says what each means).
UPSTREAM_CLIENT = ChoiceParam("client", default="pooled", choices=("pooled", "per-request", "offloaded"))
# stream/events: n server-sent events every_ms apart (a subscriber that stays may stay long; a HEAD
# gets the headers only, not a stream nobody reads).
EVENTS = IntParam("n", default=10, low=1, high=86_400)
EVERY_MS = IntParam("every_ms", default=1000, low=0, high=60_000)
# staggered: each stream ticks from its own start (subscribers that arrive spread out are served
# spread out); burst: every stream ticks on the same wall-clock multiples of every_ms.
SCHEDULE = ChoiceParam("schedule", default="staggered", choices=("staggered", "burst"))
# handover (C11): how work is handed to a thread, and which work (workloads.handover says what each means).
# The blocking call is a 50 ms sleep, the CPU task ~20 ms of pure Python on the development machine.
HANDOVER_HOW = ChoiceParam("how", default="shared", choices=("per-request", "shared", "to-thread", "sync-to-async"))
HANDOVER_WORK = ChoiceParam("work", default="blocking", choices=("blocking", "cpu"))
HANDOVER_MS = replace(MS, default=50)
HANDOVER_N = replace(N, default=400_000, high=2_000_000)

Shape = Callable[[SimpleNamespace, Any], dict]


@dataclass(frozen=True)
class Endpoint:
    path: str  # below /api/, /sync/ and /async/
    method: str  # "GET" or "POST"
    shape: Shape  # (parsed args, the work's result) -> the JSON fields besides "view"
    params: tuple[Param, ...] = ()
    body: str | None = None  # None, "raw" (any bytes) or "json"
    status: int = 200

    @property
    def view_name(self) -> str:
        """The function name each view module must define for this endpoint."""
        return self.path.replace("/", "_")


def without_orm(spec: Endpoint) -> Endpoint:
    """``spec`` as a framework without Django's ORM serves it: the driver is "native" only."""
    return replace(spec, params=tuple(NATIVE_DRIVER if p is DRIVER else p for p in spec.params))


def _slept(a, _):
    return {"slept_ms": a.ms}


def _row(a, r):
    return {"id": r[0], "randomnumber": r[1], "driver": a.driver}


PING = Endpoint("ping", "GET", lambda a, r: {"ok": True})
WHOAMI = Endpoint("whoami", "GET", lambda a, r: r)
IO_SLEEP = Endpoint("io/sleep", "GET", _slept, (WAIT_MS,))
IO_BLOCKING = Endpoint("io/blocking", "GET", _slept, (MS,))
IO_THREADPOOL = Endpoint("io/threadpool", "GET", _slept, (MS,))
IO_BACKGROUND = Endpoint("io/background", "GET", lambda a, r: {"accepted": True, "ms": a.ms, "call": a.call},
                         (MS, BACKGROUND_CALL), status=202)
# n coroutines suspended at once inside one request, and the process's USS before and during:
# the direct measure of what a coroutine in flight costs (claim C8).
IO_GATHER = Endpoint("io/gather", "GET", lambda a, r: {"n": a.n, "ms": a.ms, **r}, (COROUTINES, MS))
CPU = Endpoint("cpu", "GET", lambda a, r: {"n": a.n, "result": r}, (N,))
CPU_OFFLOAD = Endpoint("cpu/offload", "GET", lambda a, r: {"n": a.n, "result": r}, (N,))
# C work that releases the GIL (C10): SHA-256 over mib MiB, or the Cython nogil loop sized like cpu's n.
MIB = IntParam("mib", default=85, low=1, high=4096)
CPU_HASH = Endpoint("cpu/hash", "GET", lambda a, r: {"mib": a.mib, "digest": r}, (MIB,))
CPU_CYTHON = Endpoint("cpu/cython", "GET", lambda a, r: {"n": a.n, "result": r}, (N,))
MIXED = Endpoint("mixed", "GET", lambda a, r: {"ms": a.ms, "n": a.n, "result": r}, (MS, N))
DB_READ = Endpoint("db/read", "GET", _row, (DRIVER,))
DB_QUERIES = Endpoint("db/queries", "GET", lambda a, rows: {
    "rows": [{"id": i, "randomnumber": n} for i, n in rows], "driver": a.driver}, (COUNT, DRIVER))
DB_SLEEP = Endpoint("db/sleep", "GET", lambda a, r: {"slept_ms": a.ms, "driver": a.driver}, (MS, DRIVER))
DB_WRITE = Endpoint("db/write", "POST", lambda a, r: {
    "id": r[0], "randomnumber": r[1], "write_id": r[2], "driver": a.driver}, (DRIVER,))
UPLOAD = Endpoint("upload", "POST", lambda a, r: {"bytes": r[0], "sha256": r[1], "mode": a.mode},
                  (UPLOAD_MODE,), body="raw")
JSON = Endpoint("json", "POST", lambda a, r: {"items": r, "parser": a.parser, "offload": a.offload},
                (JSON_PARSER, OFFLOAD), body="json")

# A call to another service that answers after ms (the upstream stub): 502/504 when it fails.
IO_UPSTREAM = Endpoint("io/upstream", "GET", lambda a, r: {"ms": a.ms, "client": a.client}, (WAIT_MS, UPSTREAM_CLIENT))
# A server-sent-events stream (text/event-stream, not JSON: the adapters render the work's
# ``workloads.streams.EventStream``), and how many streams the answering process is serving.
STREAM_EVENTS = Endpoint("stream/events", "GET", lambda a, r: {}, (EVENTS, EVERY_MS, SCHEDULE))
STREAM_OPEN = Endpoint("stream/open", "GET", lambda a, r: {"open": r})
# Work handed to a thread from the view (C11): ``ms`` sizes the blocking call, ``n`` the CPU task.
HANDOVER = Endpoint("handover", "GET", lambda a, r: {"how": a.how, "work": a.work, "ms": a.ms, "n": a.n, "result": r},
                    (HANDOVER_HOW, HANDOVER_WORK, HANDOVER_MS, HANDOVER_N))

CATALOGUE: tuple[Endpoint, ...] = (
    PING, WHOAMI, IO_SLEEP, IO_BLOCKING, IO_THREADPOOL, IO_BACKGROUND, IO_GATHER, CPU, CPU_OFFLOAD, CPU_HASH, CPU_CYTHON,
    MIXED, DB_READ, DB_QUERIES, DB_SLEEP, DB_WRITE, UPLOAD, JSON, STREAM_EVENTS, STREAM_OPEN, IO_UPSTREAM, HANDOVER,
)
