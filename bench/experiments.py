"""The experiment catalogue: for each claim (docs/claims.md), which deployments, which
scenario with which knobs, which concurrency levels, how long each step lasts.

One readable table; the suites below pick from it. A *variant* is one cell of a
comparison: a deployment plus the scenario knobs it is run with. Variants that share a
deployment run on the same server, started once.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, field, replace

from bench import faults, variant_keys
from bench.faults import Fault
from bench.pgbench import ENDPOINT_NAME as PGBENCH_ENDPOINT
from groundwork.database import PoolLimits
from deploy.deployments import Deployment

SERVER_CPUS = (0,)  # the runner moves the load generator to the other CPUs when there are any


@dataclass(frozen=True, eq=False)
class Variant:
    """Compared by identity: a verdict names the very object the catalogue defines."""

    label: str
    deployment: Deployment | None  # None: no server at all (the database alone, driven by pgbench)
    knobs: dict = field(default_factory=dict)  # Locust custom arguments, e.g. {"endpoint": "cpu"}
    env: tuple[tuple[str, str], ...] = ()  # extra environment for the server, e.g. a small pool
    users: tuple[int, ...] | None = None  # its own load levels instead of the experiment's (0 = probe alone)
    fresh_server: bool = False  # memory is measured: a server process of its own, never a reused one
    coroutine_counts: tuple[int, ...] = ()  # after the steps: io/gather with each n (USS per coroutine)
    neighbour: bool = False  # a CPU-bound process shares the server's core while it is measured
    upstream: bool = False  # the server calls the upstream stub (io/upstream): the runner starts it first
    count_thread_starts: bool = False  # the server counts the threads it starts (config.thread_starts; C11)
    stack: str = ""  # a grid cell's stack (its heat map's row), by name: a name, so outside the key like the label
    role: str = ""  # what the cell is in its experiment, alike on each framework ("io/sleep"): charts pair by it

    @functools.cached_property
    def key(self) -> str:
        """What it is, hashed (``bench.variant_keys``): stored with each of its runs, which the readers
        find by it, so that a reworded label orphans nothing."""
        return variant_keys.key_of(self)


@dataclass(frozen=True)
class Load:
    """One measured step's load: ``users`` scenario users, paced to ``rate`` requests/s when
    ``rate`` > 0 (``--arrival-rate``); open loop, ``rate`` requests/s started on a schedule by
    ``users`` generators (``--lab-rate``, one per Locust process)."""

    users: int
    rate: float = 0.0
    open_loop: bool = False


LENGTHEN_CAP = 4  # a step is lengthened to at most this many times its planned length (Experiment.lengthen_cap)


@dataclass(frozen=True)
class Experiment:
    name: str
    claim: str
    question: str
    scenario: str  # a file in loadtests/
    variants: tuple[Variant, ...]
    users: tuple[int, ...]  # scenario users per measured step (the probe, if any, comes on top)
    step_s: float = 8.0
    warmup_s: float = 2.0
    key_endpoint: str = ""  # the endpoint whose RPS/p99 the summary shows
    arrival_rate: float = 0.0  # >0: paced users aiming at this many requests/s
    observe_whoami: tuple[str, ...] = ()  # prefixes to sample whoami on (C4, C7, C2's switch interval)
    fault: Fault | None = None  # injected while the (single) step is measured
    failures_intended: bool = False  # failed requests are what it measures (overload), not a fault of the step
    probe: bool = True  # the scenario runs one probe user beside its users
    generator: str = "locust"  # "pgbench": steps are pgbench runs, levels are connections (no server)
    rates: tuple[float, ...] = ()  # open loop: the offered requests/s per step, instead of user counts
    arrivals: str = "poisson"  # open loop: "poisson" or "constant" gaps between scheduled starts
    rate_change: tuple[float, float] | None = None  # open loop: (s into the measured window, factor)
    measures_generator: bool = False  # its steps measure the load generator's capacity (saturating it is the point)
    server_core_exclusive: bool = False  # its steps need the server's core to itself (bench.step_quality)
    # server and load generator share the machine's first two CPUs (the one experiment about cores):
    # nothing is kept apart, so the generator's CPU is measured and accounted for instead
    both_cores: bool = False
    # The smallest change in throughput (%) its rule must tell apart: a step whose own 95 % interval
    # (bench.step_quality) is this wide or wider is measured again twice as long, up to
    # LENGTHEN_CAP x its step, and marked imprecise if it still is. None: no rule reads its throughput
    # that finely (a probe's latency, a grid's share of an ideal rate, memory).
    resolve_pct: float | None = None
    # How many times its planned length a step may be measured for (1: never measured again, only
    # marked imprecise: the quick suite's one-repeat steps, whose judges already treat a step whose
    # interval is unknown or spans a band's edge as deciding nothing firmly).
    lengthen_cap: int = LENGTHEN_CAP

    @property
    def open_loop(self) -> bool:
        return bool(self.rates)

    def levels(self, variant: Variant) -> tuple[int, ...]:
        return variant.users if variant.users is not None else self.users

    def resolve(self, run, variant: Variant, read=None) -> tuple["Experiment", Variant, dict]:
        """What actually runs for ``variant`` in ``run``: itself, unless its steps depend on what the
        run measured before (see ``bench.curves.CurveExperiment``); plus what was decided, for the record.
        ``read(experiment, run)``: the store's reader of what ``run`` measured (``bench.evidence``),
        handed in by the runner so that an experiment's definition never imports its own results."""
        return self, variant, {}

    def loads(self, variant: Variant, generators: int = 1) -> tuple[Load, ...]:
        """Each measured step's load; an open loop has one generator per Locust process."""
        if self.open_loop:
            return tuple(Load(generators, rate, open_loop=True) for rate in self.rates)
        return tuple(Load(users, self.arrival_rate) for users in self.levels(variant))


def gthread(workers: int = 1, threads: int = 8, cpus=SERVER_CPUS, **kw) -> Deployment:
    return Deployment("gunicorn", workers=workers, threads=threads, cpus=cpus, port=0, **kw)


def uvicorn(workers: int = 1, cpus=SERVER_CPUS, **kw) -> Deployment:
    return Deployment("uvicorn", workers=workers, cpus=cpus, port=0, **kw)


def gunicorn_uvicorn(workers: int = 1, cpus=SERVER_CPUS, **kw) -> Deployment:
    return Deployment("gunicorn-uvicorn", workers=workers, cpus=cpus, port=0, **kw)


def granian_wsgi(workers: int = 1, threads: int = 8, cpus=SERVER_CPUS, **kw) -> Deployment:
    return Deployment("granian", interface="wsgi", workers=workers, threads=threads, cpus=cpus, port=0, **kw)


def granian_asgi(workers: int = 1, cpus=SERVER_CPUS, **kw) -> Deployment:
    return Deployment("granian", interface="asgi", workers=workers, cpus=cpus, port=0, **kw)


def fastapi(workers: int = 1, cpus=SERVER_CPUS, **kw) -> Deployment:
    """FastAPI on the same Uvicorn as ``uvicorn``: serves the endpoints in ``fastapi_app.endpoints``."""
    return Deployment("fastapi", workers=workers, cpus=cpus, port=0, **kw)


def starlette(workers: int = 1, cpus=SERVER_CPUS, **kw) -> Deployment:
    """ping and db/read as a plain Starlette app on the same Uvicorn (``fastapi_app.starlette_app``)."""
    return Deployment("starlette", workers=workers, cpus=cpus, port=0, **kw)


def bare_asgi(workers: int = 1, cpus=SERVER_CPUS, **kw) -> Deployment:
    """ping and db/read as a raw ASGI callable on the same Uvicorn (``fastapi_app.bare``)."""
    return Deployment("bare-asgi", workers=workers, cpus=cpus, port=0, **kw)


STACKS = {"gthread": gthread, "uvicorn": uvicorn, "gunicorn+uvicorn": gunicorn_uvicorn,
          "granian-wsgi": granian_wsgi, "granian-asgi": granian_asgi, "fastapi": fastapi,
          "starlette": starlette, "bare-asgi": bare_asgi}

# --- C1: workers on one core, on every workload the claim covers -----------------------------
# Each endpoint with enough closed-loop users to saturate one core on any of the stacks:
# io/sleep with 10 ms sleeps and 256 users offers far more than one core can serve.
C1_WORKLOADS = {
    "ping": ({}, 32),
    "cpu": ({"n": 100_000}, 16),
    "mixed": ({"ms": 10, "n": 50_000}, 64),
    "io/sleep": ({"ms": 10}, 256),
    "db/read": ({"driver": "orm"}, 32),
}


# Every process's pool holds a connection for each db/read user it may serve (no default cap: with
# the default 10, one Uvicorn worker queued 32 users' queries on 10 connections while four workers
# had 40). One server serves all five workloads in turn, so every C1 deployment gets this pool.
C1_POOL = C1_WORKLOADS["db/read"][1]


@functools.cache
def c1_variant(stack: str, workers: int, endpoint: str) -> Variant:
    """One object per cell, however often it is asked for (variants compare by identity)."""
    knobs, users = C1_WORKLOADS[endpoint]
    return Variant(f"{stack} {workers}w {endpoint}", STACKS[stack](workers=workers, pool_size=C1_POOL),
                   {"endpoint": endpoint, **knobs}, users=(users,))


def c1_experiment(stacks, worker_counts, step_s: float, warmup_s: float, lengthen_cap: int = LENGTHEN_CAP) -> Experiment:
    """Variants ordered by deployment, so that one server serves all five workloads in turn."""
    return Experiment(
        "c1-workers-one-core", "C1", "Does workers>1 on one core cost throughput, on each workload?",
        "c1_workers_on_one_core.py",
        tuple(c1_variant(s, w, e) for s in stacks for w in worker_counts for e in C1_WORKLOADS),
        users=(32,), step_s=step_s, warmup_s=warmup_s, key_endpoint="", resolve_pct=C1_RESOLVE_PCT,
        lengthen_cap=lengthen_cap)


# C1's rule tells a 5 % drop (its partly band's edge) from none: a step whose own throughput interval
# is ±5 % or wider cannot, and is measured longer (bench.runner._measure).
C1_RESOLVE_PCT = 5.0
# The stacks C1 compares (its verdict reads these cells): the three it was designed with; the
# Granian stacks join the comparisons that name them.
C1_STACKS = ("gthread", "uvicorn", "gunicorn+uvicorn")
C1_FULL = c1_experiment(C1_STACKS, (1, 2, 4), step_s=6.0, warmup_s=2.0)
C1_QUICK = c1_experiment(("gthread", "uvicorn"), (1, 4), step_s=2.5, warmup_s=0.5, lengthen_cap=1)

# --- C2: a long task among cheap requests --------------------------------------------------
# ~80 ms tasks on the development machine (n = 2,000,000), 1, 2 and 4 of them beside the probe.
# The utilisation half: ``mixed`` (a sleep, then CPU work) with enough users to want more
# than one core: async views sleep on the loop and offload the CPU part to the thread pool.
C2_HEAVY = {"endpoint": "cpu", "n": 2_000_000}
C2_THREADS = Variant("gthread sync cpu", gthread(threads=8), C2_HEAVY)
C2_INLINE = Variant("uvicorn async cpu inline", uvicorn(), C2_HEAVY)
C2_OFFLOADED = Variant("uvicorn async cpu offloaded", uvicorn(), {**C2_HEAVY, "endpoint": "cpu/offload"})
C2_MIXED_KNOBS = {"endpoint": "mixed", "ms": 20, "n": 200_000}
C2_MIXED_ASYNC = Variant("uvicorn async mixed (sleep + offloaded cpu)", uvicorn(), C2_MIXED_KNOBS, users=(16,))
C2_MIXED_THREADS = Variant("gthread sync mixed", gthread(threads=8), C2_MIXED_KNOBS, users=(16,))


def c2_experiment(step_s: float, warmup_s: float, levels=(1, 2, 4)) -> Experiment:
    return Experiment(
        "c2-preemption", "C2", "Does a cheap request starve behind CPU work: threads vs coroutines?",
        "c2_threads_vs_coroutines_cpu.py",
        (C2_THREADS, C2_INLINE, C2_OFFLOADED, C2_MIXED_THREADS, C2_MIXED_ASYNC),
        users=levels, step_s=step_s, warmup_s=warmup_s, key_endpoint="probe", observe_whoami=("/api",))


C2_FULL = c2_experiment(step_s=8.0, warmup_s=2.0)
C2_QUICK = c2_experiment(step_s=2.5, warmup_s=1.0, levels=(1, 4))

# --- C3: a blocking call inside async def, and the fixes ------------------------------------
# At a fixed arrival rate (100/s offered, five times what a blocked worker can serve), so
# that each endpoint gets the same load: closed-loop users would hammer the instant
# io/background at full CPU and measure saturation instead of blocking. The probe's
# unloaded p99, measured first on the same server, is what "unaffected" is measured against.
C3_MS = 50
C3_KNOBS = {"ms": C3_MS, "probe_rate": 20}


@dataclass(frozen=True)
class C3Cells:
    """One framework's cells of C3 on one worker: the probe alone, the blocking call, each fix
    the verdict judges, and what is shown beside them without being judged."""

    unloaded: Variant
    blocking: Variant
    fixes: tuple[Variant, ...]
    shown_only: tuple[Variant, ...] = ()

    @property
    def variants(self) -> tuple[Variant, ...]:
        return (self.unloaded, self.blocking, *self.fixes, *self.shown_only)


def c3_cells(server: str, make, background_sleep: bool = True) -> C3Cells:
    """The same cells on ``make()``'s framework, labelled "``server`` 1w ..."."""
    def cell(what: str, endpoint: str, users: tuple[int, ...] | None = None, **knobs) -> Variant:
        return Variant(f"{server} 1w {what}", make(), {"endpoint": endpoint, **knobs, **C3_KNOBS}, users=users,
                       role=what)

    fixes = (cell("io/sleep", "io/sleep"), cell("io/threadpool", "io/threadpool"),
             cell("io/background (blocking call)", "io/background", call="blocking"))
    shown = (cell("io/background (asyncio.sleep)", "io/background", call="sleep"),) if background_sleep else ()
    return C3Cells(cell("unloaded (probe alone)", "io/sleep", users=(0,)), cell("io/blocking", "io/blocking"),
                   fixes, shown)


# Django (the lab's subject) and FastAPI (the framework the document reasons with), each on one
# Uvicorn worker: the FastAPI cells are what the document's own examples do (BackgroundTasks with
# time.sleep, run_in_threadpool); the asyncio.sleep background cell is shown for Django only.
C3_DJANGO = c3_cells("uvicorn", uvicorn)
C3_FASTAPI = c3_cells("fastapi", fastapi, background_sleep=False)
C3_UNLOADED, C3_BLOCKING = C3_DJANGO.unloaded, C3_DJANGO.blocking
C3_SLEEP, C3_THREADPOOL, C3_BACKGROUND_BLOCKING = C3_FIXES = C3_DJANGO.fixes
(C3_BACKGROUND_SLEEP,) = C3_DJANGO.shown_only
C3 = Experiment(
    "c3-blocking-in-async", "C3", "What does time.sleep inside async def cost, and do the fixes work?",
    "c3_blocking_call_in_async_view.py", (*C3_DJANGO.variants, *C3_FASTAPI.variants),
    users=(10,), step_s=8.0, key_endpoint="probe", arrival_rate=100.0)  # 160 probes: p99 is not one outlier

C4_DJANGO = (Variant("uvicorn 3w", uvicorn(workers=3, cpus=None)),
             Variant("gunicorn+uvicorn 3w", gunicorn_uvicorn(workers=3, cpus=None)))
C4_FASTAPI = Variant("fastapi 3w", fastapi(workers=3, cpus=None))  # FastAPI on uvicorn --workers 3
C4 = Experiment(
    "c4-loops-per-worker", "C4", "Are N ASGI workers N processes with one event loop each?",
    "c4_one_loop_per_worker.py", (*C4_DJANGO, C4_FASTAPI),
    # Paced: C4 asks which processes and loops serve, not how fast. Closed-loop users saturated the
    # load generator against FastAPI (94 % of a core), which invalidated the step its samples hang on.
    users=(6,), step_s=3.0, warmup_s=1.0, key_endpoint="whoami", observe_whoami=("/api",), probe=False,
    arrival_rate=60.0)

C5_SLEEP = Variant("uvicorn 1w io/sleep", uvicorn(), {"endpoint": "io/sleep", "ms": 100}, role="io/sleep")
C5_BLOCKING = Variant("uvicorn 1w io/blocking", uvicorn(), {"endpoint": "io/blocking", "ms": 100}, role="io/blocking")
C5_DJANGO = (C5_SLEEP, C5_BLOCKING)  # (non-blocking, blocking): the verdict reads them in this order
C5_FASTAPI = (Variant("fastapi 1w io/sleep", fastapi(), C5_SLEEP.knobs, role=C5_SLEEP.role),
              Variant("fastapi 1w io/blocking", fastapi(), C5_BLOCKING.knobs, role=C5_BLOCKING.role))
C5 = Experiment(
    "c5-event-loop-lag", "C5", "Does one task that does not yield hold the loop up?",
    "c3_blocking_call_in_async_view.py", (*C5_DJANGO, *C5_FASTAPI),
    users=(10,), step_s=6.0, key_endpoint="probe")

# --- C6: 5 MB bodies -------------------------------------------------------------------------
# Memory is decided, so each upload variant gets a server process of its own. FastAPI's stream
# mode reads the socket as the body arrives (request.stream()); Django's reads its own spool.


@dataclass(frozen=True)
class C6Cells:
    """One framework's cells of C6: the two ways to read an upload, and json parses keyed by
    (parser, offload); a framework may omit a parse the verdict does not judge."""

    upload_buffer: Variant
    upload_stream: Variant
    json: dict[tuple[str, int], Variant]

    @property
    def variants(self) -> tuple[Variant, ...]:
        return (self.upload_buffer, self.upload_stream, *self.json.values())


def c6_json(prefix: str, make, parser: str, offload: int) -> Variant:
    role = f"json {parser} {'offloaded' if offload else 'inline'}"
    return Variant(prefix + role, make(), {"endpoint": "json", "parser": parser, "offload": offload}, role=role)


C6_UPLOAD_BUFFER = Variant("upload buffer", uvicorn(), {"endpoint": "upload", "mode": "buffer"}, fresh_server=True,
                           role="upload buffer")
C6_UPLOAD_STREAM = Variant("upload stream (from Django's spool)", uvicorn(), {"endpoint": "upload", "mode": "stream"},
                           fresh_server=True, role="upload stream")
C6_JSON = {(parser, offload): c6_json("", uvicorn, parser, offload)
           for parser in ("json", "orjson") for offload in (0, 1)}
C6_DJANGO = C6Cells(C6_UPLOAD_BUFFER, C6_UPLOAD_STREAM, C6_JSON)
C6_FASTAPI = C6Cells(
    Variant("fastapi upload buffer", fastapi(), C6_UPLOAD_BUFFER.knobs, fresh_server=True, role=C6_UPLOAD_BUFFER.role),
    Variant("fastapi upload stream (from the socket)", fastapi(), C6_UPLOAD_STREAM.knobs, fresh_server=True,
            role=C6_UPLOAD_STREAM.role),
    {key: c6_json("fastapi ", fastapi, *key) for key in (("json", 0), ("orjson", 0), ("json", 1))})
C6 = Experiment(
    "c6-big-bodies", "C6", "What does a 5 MB body do to an async worker, read and parsed how?",
    "c6_big_request_bodies.py", (*C6_DJANGO.variants, *C6_FASTAPI.variants),
    users=(2, 6), step_s=5.0, warmup_s=1.5, key_endpoint="probe")

# C7 on FastAPI: async def endpoints on the loop, def endpoints in FastAPI's thread pool (/sync/whoami).
C7_DJANGO = Variant("uvicorn 2w", uvicorn(workers=2, cpus=None))
C7_FASTAPI = Variant("fastapi 2w", fastapi(workers=2, cpus=None))
C7 = Experiment(
    "c7-who-runs-the-view", "C7", "Where do async and sync views run under Uvicorn?",
    "c7_who_runs_the_view.py", (C7_DJANGO, C7_FASTAPI),
    users=(4,), step_s=3.0, warmup_s=1.0, key_endpoint="async whoami", observe_whoami=("/async", "/sync"),
    probe=False)

# --- C8: hundreds of slow requests --------------------------------------------------------------
# The threads side is a sweep, and the verdict takes its strongest member: threads per worker
# up to beyond the concurrency a worker sees (200 users: 256 threads for one worker, 128 each
# for two). io/sleep touches no database, so the pool is held equal (16) across the sweep and
# the memory slope compares like with like. The coroutine side: 1 and 2 workers of each ASGI stack.
C8_USERS = 200
C8_SLOW = {"endpoint": "io/sleep", "ms": 100}
C8_POOL = 16


@functools.cache
def c8_threads(workers: int, threads: int) -> Variant:
    return Variant(f"gthread {workers}w x {threads}t", gthread(workers=workers, threads=threads, pool_size=C8_POOL),
                   C8_SLOW)


@functools.cache
def c8_asgi(stack: str, workers: int, **kw) -> Variant:
    return Variant(f"{stack} {workers}w", STACKS[stack](workers=workers), C8_SLOW, **kw)


C8_COROUTINE_COUNTS = (1_000, 10_000, 50_000)
C8_UVICORN_1W = c8_asgi("uvicorn", 1, coroutine_counts=C8_COROUTINE_COUNTS)
C8_THREADS_FULL = (*(c8_threads(1, t) for t in (8, 32, 128, 256)), c8_threads(2, 128))
C8_THREADS_QUICK = tuple(c8_threads(1, t) for t in (8, 64, 256))
C8_ASGI_FULL = (C8_UVICORN_1W, c8_asgi("uvicorn", 2), c8_asgi("gunicorn+uvicorn", 1), c8_asgi("gunicorn+uvicorn", 2))
C8_ASGI_QUICK = C8_ASGI_FULL[:2]


def c8_experiment(threads, asgi, step_s: float, warmup_s: float) -> Experiment:
    return Experiment(
        "c8-many-slow-requests", "C8", "Hundreds of slow requests: a thread each, or a coroutine each?",
        "c8_many_slow_requests.py", (*threads, *asgi), users=(C8_USERS,), step_s=step_s, warmup_s=warmup_s,
        key_endpoint="io/sleep")


C8_SLEEP_FULL = c8_experiment(C8_THREADS_FULL, C8_ASGI_FULL, step_s=8.0, warmup_s=2.0)
C8_SLEEP_QUICK = c8_experiment(C8_THREADS_QUICK, C8_ASGI_QUICK, step_s=3.0, warmup_s=1.0)
C8_THREAD_SWEEPS = (C8_THREADS_FULL, C8_THREADS_QUICK)  # the memory slope reads the one-worker members

# The ladder of ways to read a row, each with a probe: the ORM's cost (sync ORM vs sync raw
# SQL) and the thread hop's cost (Django's async ORM vs a native async driver) told apart.
# The default pool (10 per process) is kept here although 16 users are sent: this part decides on
# the loop's lag and the CPU per request, which a query waiting for a connection (in a worker
# thread, off the loop) does not move; its throughput is shown, not judged, and is pool-bound.
C8_DB_USERS = 16
C8_DB_SYNC_ORM = Variant("gthread sync ORM", gthread(threads=8), {"endpoint": "db/read", "driver": "orm"})
C8_DB_SYNC_RAW = Variant("gthread sync raw SQL", gthread(threads=8), {"endpoint": "db/read", "driver": "native"})
C8_DB_ASYNC_ORM = Variant("uvicorn async ORM", uvicorn(), {"endpoint": "db/read", "driver": "orm"})
C8_DB_NATIVE = Variant("uvicorn native async", uvicorn(), {"endpoint": "db/read", "driver": "native"})
C8_DB = Experiment(
    "c8-db-drivers", "C8", "Sync ORM, sync raw SQL, Django's async ORM and a native async driver",
    "c8_many_slow_requests.py", (C8_DB_SYNC_ORM, C8_DB_SYNC_RAW, C8_DB_ASYNC_ORM, C8_DB_NATIVE),
    users=(C8_DB_USERS,), step_s=5.0, warmup_s=1.5, key_endpoint="db/read")

# --- the same questions open loop: latency from each request's intended start -----------------
# C3 and C8 ask about latency under load. Closed-loop users (and paced ones: C3's arrival rate)
# stop sending while the server stalls, so the stall is not in their figures. The open loop sends
# on schedule regardless; its corrected p99 is measured from each intended start.
C3_OPEN = Experiment(
    "c3-open-loop", "C3", "C3 open loop: the blocked loop's latency measured from each request's intended start",
    C3.scenario, (C3_BLOCKING, C3_SLEEP, C3_THREADPOOL), users=(1,), step_s=8.0, warmup_s=2.0,
    key_endpoint="probe", rates=(C3.arrival_rate,), arrivals="poisson")
C8_OPEN_RATE = 1000.0  # 100 ms sleeps: about 100 in flight, well inside every C8 configuration's reach
C8_OPEN = Experiment(
    "c8-open-loop", "C8", "C8 open loop: 1,000 slow requests/s on threads or coroutines, latency from intended start",
    "c8_many_slow_requests.py", (c8_threads(1, 256), C8_UVICORN_1W), users=(1,), step_s=8.0, warmup_s=2.0,
    key_endpoint="io/sleep", rates=(C8_OPEN_RATE,), arrivals="poisson")

# --- PostgreSQL alone: the ceiling under every stack's db/read -------------------------------
# db/read's own query sent by pgbench over as many connections as one worker's pool holds, in
# both protocols a Django user meets: the ORM's (simple) and psycopg's prepared statements.
DB_READ_CONNECTIONS = PoolLimits().size
PG_ALONE_SIMPLE = Variant("PostgreSQL alone (pgbench, simple protocol, as the ORM sends)", None,
                          {"protocol": "simple"})
PG_ALONE_PREPARED = Variant("PostgreSQL alone (pgbench, prepared statements)", None, {"protocol": "prepared"})
PG_ALONE = Experiment(
    "db-alone-pgbench", "DB", "What can PostgreSQL itself serve of db/read's query, with no HTTP and no Python?",
    "pgbench", (PG_ALONE_SIMPLE, PG_ALONE_PREPARED), users=(DB_READ_CONNECTIONS,), step_s=6.0, warmup_s=1.0,
    key_endpoint=PGBENCH_ENDPOINT, probe=False, generator="pgbench")
PG_ALONE_QUICK = replace(PG_ALONE, step_s=2.0)

# --- faults: each deployment under a steady paced load while something breaks -------------

FAULT_SERVERS = (("gthread 2w x 4t", lambda **kw: gthread(workers=2, threads=4, **kw)),
                 ("uvicorn 2w", lambda **kw: uvicorn(workers=2, **kw)),
                 ("gunicorn+uvicorn 2w", lambda **kw: gunicorn_uvicorn(workers=2, **kw)))
STEADY = {"endpoint": "db/read"}


def fault_experiment(name: str, question: str, fault: Fault, knobs=STEADY, users=10, rate=100.0, step_s=10.0,
                     env=(), pool_size=None, upstream: bool = False) -> Experiment:
    extra = {"pool_size": pool_size} if pool_size else {}
    return Experiment(name, "F", question, "faults_steady_load.py",
                      tuple(Variant(label, make(**extra), knobs, env, upstream=upstream)
                            for label, make in FAULT_SERVERS),
                      users=(users,), step_s=step_s, warmup_s=2.0, key_endpoint=knobs["endpoint"],
                      arrival_rate=rate, fault=fault, probe=False)


FAULT_BAD_INPUT = fault_experiment(
    "fault-bad-input", "Garbage, oversized, truncated and malformed requests: what comes back?",
    faults.BadInput(at_s=0.5), rate=50.0, step_s=6.0)
FAULTS = (
    fault_experiment("fault-kill-worker", "A worker is killed (SIGKILL) mid-run: how long until a new one serves?",
                     faults.KillWorker()),
    fault_experiment("fault-restart-postgres", "PostgreSQL restarts mid-run: the error burst and the recovery",
                     faults.RestartPostgres(), step_s=12.0, env=(("LAB_DB_POOL_TIMEOUT_S", "5"),)),
    fault_experiment("fault-client-disconnect", "Clients hang up during db/sleep: does the query go on? any leak?",
                     faults.ClientDisconnect(), rate=50.0),
    fault_experiment("fault-pool-exhaustion", "More concurrent DB requests than the pool holds: queue, time out, 503",
                     faults.PoolExhaustion(at_s=0.0), knobs={"endpoint": "db/sleep", "ms": 300}, users=24,
                     rate=0.0, step_s=8.0, env=(("LAB_DB_POOL_TIMEOUT_S", "1"),), pool_size=2),
    fault_experiment("fault-slow-clients", "40 clients send headers a byte at a time: what do they hold?",
                     faults.SlowClients(at_s=1.0), rate=50.0),
    FAULT_BAD_INPUT,
    fault_experiment("fault-durability", "db/write while a worker is killed: is every acknowledged write stored?",
                     faults.Durability(at_s=1.0), rate=50.0),
    fault_experiment("fault-upstream-down", "The service the views call goes away for 3 s: clear errors, recovery, leaks?",
                     faults.UpstreamDown(at_s=2.0), knobs={"endpoint": "io/upstream", "ms": 100, "client": "pooled"},
                     rate=50.0, step_s=10.0, upstream=True),
    fault_experiment("fault-subscribers-leave", "20 event-stream subscribers come and hang up: is what they held freed?",
                     faults.SubscribersLeave(at_s=1.0), rate=50.0),
)

SMOKE = (
    Experiment("c3-blocking-in-async", "C3", C3.question, C3.scenario, (C3_UNLOADED, C3_BLOCKING), users=(6,),
               step_s=3.0, warmup_s=1.0, key_endpoint="probe", arrival_rate=60.0),
    Experiment("c4-loops-per-worker", "C4", C4.question, C4.scenario, C4.variants[:1], users=(4,),
               step_s=2.0, warmup_s=1.0, key_endpoint="whoami", observe_whoami=("/api",), probe=False),
)

# The quick suite: what every claim's card needs once, in about 13 minutes on the 2-core machine
# (102 entries; it was 6 minutes before C10, C11 and C13 joined it): the same variants with shorter
# steps (step lengths only; no rule, threshold, knob or load level differs from the full suite).
# FastAPI in quick: C4 and C6's uploads only (the streaming read is where FastAPI and Django
# differ); FastAPI's C3, C5, C6 parses and C7 run in the full suite.
C3_QUICK = replace(C3, step_s=6.0, warmup_s=1.5, variants=C3_DJANGO.variants)
C5_QUICK = replace(C5, step_s=4.0, warmup_s=1.5, variants=C5_DJANGO)
C6_QUICK = replace(C6, step_s=3.0, warmup_s=1.0, variants=(*C6_DJANGO.variants, C6_FASTAPI.upload_buffer,
                                                          C6_FASTAPI.upload_stream))
C7_QUICK = replace(C7, variants=(C7_DJANGO,))
C8_DB_QUICK = replace(C8_DB, step_s=3.0, warmup_s=1.0)
