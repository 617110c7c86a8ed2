"""The experiment catalogue: for each claim (../shared/CLAIMS.md), which deployments, which
scenario with which knobs, which concurrency levels, how long each step lasts.

One readable table; the suites below pick from it. A *variant* is one cell of a
comparison: a deployment plus the scenario knobs it is run with. Variants that share a
deployment run on the same server, started once.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from bench.faults import Fault
from deploy.deployments import Deployment

SERVER_CPUS = (0,)  # the runner moves the load generator to the other CPUs when there are any


@dataclass(frozen=True)
class Variant:
    label: str
    deployment: Deployment
    knobs: dict = field(default_factory=dict)  # Locust custom arguments, e.g. {"endpoint": "cpu"}
    env: tuple[tuple[str, str], ...] = ()  # extra environment for the server, e.g. a small pool


@dataclass(frozen=True)
class Experiment:
    name: str
    claim: str
    question: str
    scenario: str  # a file in loadtests/
    variants: tuple[Variant, ...]
    users: tuple[int, ...]  # one measured step per level
    step_s: float = 8.0
    warmup_s: float = 2.0
    key_endpoint: str = ""  # the endpoint whose RPS/p99 the summary shows
    arrival_rate: float = 0.0  # >0: paced users aiming at this many requests/s
    observe_whoami: tuple[str, ...] = ()  # prefixes to sample whoami on (C4, C7)
    fault: Fault | None = None  # injected while the (single) step is measured


def gthread(workers: int = 1, threads: int = 8, cpus=SERVER_CPUS, **kw) -> Deployment:
    return Deployment("gunicorn", workers=workers, threads=threads, cpus=cpus, port=0, **kw)


def uvicorn(workers: int = 1, cpus=SERVER_CPUS, **kw) -> Deployment:
    return Deployment("uvicorn", workers=workers, cpus=cpus, port=0, **kw)


def gunicorn_uvicorn(workers: int = 1, cpus=SERVER_CPUS, **kw) -> Deployment:
    return Deployment("gunicorn-uvicorn", workers=workers, cpus=cpus, port=0, **kw)


def workers_sweep(endpoint: str, counts=(1, 2, 4), knobs=None) -> tuple[Variant, ...]:
    knobs = {"endpoint": endpoint, **(knobs or {})}
    return tuple(Variant(f"{name} {w}w", make(workers=w), knobs)
                 for name, make in (("gthread", gthread), ("uvicorn", uvicorn), ("gunicorn+uvicorn", gunicorn_uvicorn))
                 for w in counts)


C1_PING = Experiment(
    "c1-workers-one-core-ping", "C1", "Does workers>1 on one core cost throughput? (ping)",
    "c1_workers_on_one_core.py", workers_sweep("ping"), users=(32,), key_endpoint="ping")
C1_CPU = Experiment(
    "c1-workers-one-core-cpu", "C1", "Does workers>1 on one core cost throughput? (cpu)",
    "c1_workers_on_one_core.py", workers_sweep("cpu", knobs={"n": 100_000}), users=(16,), key_endpoint="cpu")
C1_QUICK = Experiment(
    "c1-workers-one-core-ping", "C1", "Does workers>1 on one core cost throughput? (ping)",
    "c1_workers_on_one_core.py",
    tuple(v for v in workers_sweep("ping", counts=(1, 4)) if not v.label.startswith("gunicorn+")),
    users=(32,), step_s=6.0, key_endpoint="ping")

# Two CPU-heavy users with ~90 ms tasks (n = 2,000,000): the claim is about long tasks among
# cheap ones. With many CPU threads the probe queues behind all of them for the GIL, which
# the full suite shows with eight.
C2 = Experiment(
    "c2-preemption-probe", "C2", "Does a cheap request starve behind CPU work: threads vs coroutines?",
    "c2_threads_vs_coroutines_cpu.py",
    (Variant("gthread sync cpu", gthread(threads=8), {"endpoint": "cpu", "n": 2_000_000}),
     Variant("uvicorn async cpu inline", uvicorn(), {"endpoint": "cpu", "n": 2_000_000}),
     Variant("uvicorn async cpu offloaded", uvicorn(), {"endpoint": "cpu/offload", "n": 2_000_000})),
    users=(2,), key_endpoint="probe")
C2_CROWD = Experiment(
    "c2-preemption-crowd", "C2", "The same with eight CPU-heavy users: does preemption still protect the probe?",
    C2.scenario, C2.variants, users=(8,), key_endpoint="probe")

# At a fixed arrival rate (100/s offered, five times what a blocked worker can serve), so
# that each endpoint gets the same load: closed-loop users would hammer the instant
# io/background at full CPU and measure saturation instead of blocking.
C3 = Experiment(
    "c3-blocking-in-async", "C3", "What does time.sleep inside async def cost, and do the fixes work?",
    "c3_blocking_call_in_async_view.py",
    tuple(Variant(f"uvicorn 1w {e}", uvicorn(), {"endpoint": e, "ms": 50, "probe_rate": 20})
          for e in ("io/blocking", "io/sleep", "io/threadpool", "io/background")),
    users=(10,), step_s=10.0, key_endpoint="probe", arrival_rate=100.0)  # 200 probes: p99 is not one outlier

C4 = Experiment(
    "c4-loops-per-worker", "C4", "Are N ASGI workers N processes with one event loop each?",
    "c4_one_loop_per_worker.py",
    (Variant("uvicorn 3w", uvicorn(workers=3, cpus=None)),
     Variant("gunicorn+uvicorn 3w", gunicorn_uvicorn(workers=3, cpus=None))),
    users=(6,), step_s=3.0, warmup_s=1.0, key_endpoint="whoami", observe_whoami=("/api",))

C5 = Experiment(
    "c5-event-loop-lag", "C5", "Does one task that does not yield hold the loop up?",
    "c3_blocking_call_in_async_view.py",
    (Variant("uvicorn 1w io/sleep", uvicorn(), {"endpoint": "io/sleep", "ms": 100}),
     Variant("uvicorn 1w io/blocking", uvicorn(), {"endpoint": "io/blocking", "ms": 100})),
    users=(10,), step_s=6.0, key_endpoint="probe")

C6 = Experiment(
    "c6-big-bodies", "C6", "What does a 5 MB body do to an async worker, read and parsed how?",
    "c6_big_request_bodies.py",
    (Variant("upload buffer", uvicorn(), {"endpoint": "upload", "mode": "buffer"}),
     Variant("upload stream", uvicorn(), {"endpoint": "upload", "mode": "stream"}),
     Variant("json json inline", uvicorn(), {"endpoint": "json", "parser": "json", "offload": 0}),
     Variant("json orjson inline", uvicorn(), {"endpoint": "json", "parser": "orjson", "offload": 0}),
     Variant("json orjson offloaded", uvicorn(), {"endpoint": "json", "parser": "orjson", "offload": 1})),
    users=(4,), step_s=6.0, key_endpoint="probe")

C7 = Experiment(
    "c7-who-runs-the-view", "C7", "Where do async and sync views run under Uvicorn?",
    "c7_who_runs_the_view.py", (Variant("uvicorn 2w", uvicorn(workers=2, cpus=None)),),
    users=(4,), step_s=3.0, warmup_s=1.0, key_endpoint="async whoami", observe_whoami=("/async", "/sync"))

C8_SLEEP = Experiment(
    "c8-many-slow-requests", "C8", "Hundreds of slow requests: a thread each, or a coroutine each?",
    "c8_many_slow_requests.py",
    (Variant("gthread 2w x 8t", gthread(workers=2, threads=8), {"endpoint": "io/sleep", "ms": 100}),
     Variant("gthread 2w x 64t", gthread(workers=2, threads=64, pool_size=64), {"endpoint": "io/sleep", "ms": 100}),
     Variant("uvicorn 1w", uvicorn(), {"endpoint": "io/sleep", "ms": 100})),
    users=(200,), step_s=8.0, key_endpoint="io/sleep")
C8_DB = Experiment(
    "c8-db-drivers", "C8", "Sync ORM vs Django's async ORM vs a native async driver",
    "c8_many_slow_requests.py",
    (Variant("gthread sync ORM", gthread(threads=8), {"endpoint": "db/read", "driver": "orm"}),
     Variant("uvicorn async ORM", uvicorn(), {"endpoint": "db/read", "driver": "orm"}),
     Variant("uvicorn native async", uvicorn(), {"endpoint": "db/read", "driver": "native"})),
    users=(16,), step_s=6.0, key_endpoint="db/read")

# --- faults: each deployment under a steady paced load while something breaks -------------

FAULT_SERVERS = (("gthread 2w x 4t", lambda **kw: gthread(workers=2, threads=4, **kw)),
                 ("uvicorn 2w", lambda **kw: uvicorn(workers=2, **kw)),
                 ("gunicorn+uvicorn 2w", lambda **kw: gunicorn_uvicorn(workers=2, **kw)))
STEADY = {"endpoint": "db/read"}


def fault_experiment(name: str, question: str, fault: Fault, knobs=STEADY, users=10, rate=100.0, step_s=10.0,
                     env=(), pool_size=None) -> Experiment:
    extra = {"pool_size": pool_size} if pool_size else {}
    return Experiment(name, "F", question, "faults_steady_load.py",
                      tuple(Variant(label, make(**extra), knobs, env) for label, make in FAULT_SERVERS),
                      users=(users,), step_s=step_s, warmup_s=2.0, key_endpoint=knobs["endpoint"],
                      arrival_rate=rate, fault=fault)


FAULTS = (
    fault_experiment("fault-kill-worker", "A worker is killed (SIGKILL) mid-run: how long until a new one serves?",
                     Fault("kill-worker")),
    fault_experiment("fault-restart-postgres", "PostgreSQL restarts mid-run: the error burst and the recovery",
                     Fault("restart-postgres"), step_s=12.0, env=(("LAB_DB_POOL_TIMEOUT_S", "5"),)),
    fault_experiment("fault-client-disconnect", "Clients hang up during db/sleep: does the query go on? any leak?",
                     Fault("disconnect"), rate=50.0),
    fault_experiment("fault-pool-exhaustion", "More concurrent DB requests than the pool holds: queue, time out, 503",
                     Fault("pool-exhaustion", at_s=0.0), knobs={"endpoint": "db/sleep", "ms": 300}, users=24,
                     rate=0.0, step_s=8.0, env=(("LAB_DB_POOL_TIMEOUT_S", "1"),), pool_size=2),
    fault_experiment("fault-slow-clients", "40 clients send headers a byte at a time: what do they hold?",
                     Fault("slow-clients", at_s=1.0), rate=50.0),
    fault_experiment("fault-bad-input", "Garbage, oversized, truncated and malformed requests: what comes back?",
                     Fault("bad-input", at_s=0.5), rate=50.0, step_s=6.0),
    fault_experiment("fault-durability", "db/write while a worker is killed: is every acknowledged write stored?",
                     Fault("durability", at_s=1.0), rate=50.0),
)

SMOKE = (
    Experiment("c3-blocking-in-async", "C3", C3.question, C3.scenario, C3.variants[:2], users=(6,),
               step_s=3.0, warmup_s=1.0, key_endpoint="probe", arrival_rate=60.0),
    Experiment("c4-loops-per-worker", "C4", C4.question, C4.scenario, C4.variants[:1], users=(4,),
               step_s=2.0, warmup_s=1.0, key_endpoint="whoami", observe_whoami=("/api",)),
)

SUITES: dict[str, tuple[Experiment, ...]] = {
    "smoke": SMOKE,
    "quick": (C1_QUICK, C2, C3, C4, C5, C6, C7, C8_SLEEP, C8_DB),
    "full": (C1_PING, C1_CPU, C2, C2_CROWD, C3, C4, C5, C6, C7, C8_SLEEP, C8_DB, *FAULTS),
    "faults": FAULTS,
}
FULL_REPEATS = 3
