"""What a worker process costs, and what it buys (C13).

**Memory.** Each deployment on a server of its own (its memory is what is measured), idle (the
probe alone) and then under the same closed-loop load, on one core: one process with threads
against four processes with fewer threads each, for gthread and for Uvicorn; and gthread's four
workers again with the app loaded in the master before the fork (``--preload``), then with the
collector's objects frozen before each fork as well. The sampler reads each process's
``smaps_rollup``: PSS (a page shared by k processes counts 1/k in each, so the sum over the tree,
master included, counts it once) beside USS (pages no other process maps).

**Isolation.** Under a load that keeps every request thread busy (each request waits 500 ms), from a client
that never resends a request (``loadtests/c13_crash_isolation.py`` says why), a
worker of four is killed, and, in the one-process deployment, one request thread crashes (a
fatal signal aimed at that thread: the kernel ends the whole process, as a segfault in a C
extension would). The worker killed is the one holding the most connections: a worker that
held none would prove nothing. Each fault reports the connections the process held when it went, and the
recorder counts the requests that failed.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass

from bench import faults
from bench.experiments import Experiment, Variant, gthread, uvicorn

SCENARIO = "c13_workers_memory.py"
ISOLATION_SCENARIO = "c13_crash_isolation.py"  # a client that never resends a request its connection lost
USERS = 16  # the load step: as many requests in flight as the one-process deployment has threads, twice
# The same load for every deployment, paced, well below what any serves on one core: memory "under
# load" compares like with like, and neither Locust nor PostgreSQL (unpinned) crowds a core.
LOAD_RATE = 200.0
LOAD = {"endpoint": "db/read", "driver": "orm"}


@dataclass(frozen=True)
class MemoryPair:
    """One scope of the memory part: one process against four, on one stack (or one way of forking)."""

    name: str
    one: Variant
    four: Variant


def _variant(label: str, deployment) -> Variant:
    return Variant(label, deployment, LOAD, users=(0, USERS), fresh_server=True)


GTHREAD_ONE = _variant("gthread 1w x 8t", gthread(workers=1, threads=8))
GTHREAD_FOUR = _variant("gthread 4w x 2t", gthread(workers=4, threads=2))
GTHREAD_PRELOAD = _variant("gthread 4w x 2t --preload", gthread(workers=4, threads=2, preload="preload"))
GTHREAD_FREEZE = _variant("gthread 4w x 2t --preload + gc.freeze", gthread(workers=4, threads=2, preload="freeze"))
UVICORN_ONE = _variant("uvicorn 1w", uvicorn(workers=1))
UVICORN_FOUR = _variant("uvicorn 4w", uvicorn(workers=4))

PAIRS = (
    MemoryPair("gthread", GTHREAD_ONE, GTHREAD_FOUR),
    MemoryPair("uvicorn", UVICORN_ONE, UVICORN_FOUR),
    MemoryPair("gthread --preload", GTHREAD_ONE, GTHREAD_PRELOAD),
    MemoryPair("gthread --preload + gc.freeze", GTHREAD_ONE, GTHREAD_FREEZE),
)
LEVELS = (("idle", 0), ("under load", USERS))


def memory_experiment(step_s: float, warmup_s: float) -> Experiment:
    variants = (GTHREAD_ONE, GTHREAD_FOUR, GTHREAD_PRELOAD, GTHREAD_FREEZE, UVICORN_ONE, UVICORN_FOUR)
    return Experiment("c13-worker-memory", "C13", "What do four worker processes cost in memory against one with "
                      "threads, and what do preloading and gc.freeze save?", SCENARIO, variants, users=(0, USERS),
                      step_s=step_s, warmup_s=warmup_s, key_endpoint="db/read", arrival_rate=LOAD_RATE)


C13_MEMORY = memory_experiment(step_s=6.0, warmup_s=2.0)
C13_MEMORY_QUICK = memory_experiment(step_s=3.0, warmup_s=1.0)

# --- isolation -------------------------------------------------------------------------------
HOLD = {"endpoint": "io/blocking", "ms": 500}  # every request thread busy most of the time
ISOLATION_USERS = 8  # the threads of either deployment: 4 x 2 and 1 x 8
KILL_ONE_OF_FOUR = Variant("gthread 4w x 2t, a worker killed", gthread(workers=4, threads=2), HOLD,
                           users=(ISOLATION_USERS,), fresh_server=True)
THREAD_CRASH = Variant("gthread 1w x 8t, a request thread crashes", gthread(workers=1, threads=8), HOLD,
                       users=(ISOLATION_USERS,), fresh_server=True)


@functools.cache
def isolation_experiment(name: str, variant: Variant, fault: faults.Fault) -> Experiment:
    return Experiment(name, "C13", "Does a crash stay inside its process?", ISOLATION_SCENARIO, (variant,),
                      users=(ISOLATION_USERS,), step_s=8.0, warmup_s=2.0, key_endpoint="io/blocking",
                      fault=fault, probe=False)


C13_KILL = isolation_experiment("c13-kill-one-worker", KILL_ONE_OF_FOUR, faults.KillWorker(at_s=3.0, busiest=True))
C13_CRASH = isolation_experiment("c13-crash-one-thread", THREAD_CRASH, faults.CrashThread(at_s=3.0))
C13_SUITE = (C13_MEMORY, C13_KILL, C13_CRASH)
C13_QUICK = (C13_MEMORY_QUICK, C13_KILL, C13_CRASH)
