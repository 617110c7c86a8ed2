"""Handing work to a thread from an async view (C11): which way, and how big a pool.

Two questions, three experiments, each on one Uvicorn worker serving ``handover`` (workloads.handover)
to 32 closed-loop users, every server counting the threads it starts (``Variant.count_thread_starts``):

- ``c11-handover``: each way of handing over (a pool opened per request, as the claim's source does;
  the shared pool; ``asyncio.to_thread``; ``sync_to_async``) for each work (a 50 ms blocking call, a
  ~20 ms CPU task), on one pinned core. No straw man: every pool that has a size is given what the
  cell needs, a thread per user (the shared pool, the loop's default executor); the per-request pool
  starts a thread per request whatever its size, and ``sync_to_async`` runs in the request's own
  thread. ``asyncio.to_thread`` at Python's stock default size is shown beside, not judged.
- ``c11-pool-size-blocking``: the blocking call through the shared pool at 1, cores, 4 x cores and 32
  threads, on one pinned core (there "cores" is 1).
- ``c11-pool-size-cpu``: the CPU task through the shared pool at the same sizes, the server on every
  core (``Experiment.both_cores``: the load generator then runs on the same two cores beside it, as it must share
  a core with it anyway).

Per step the card reads throughput, p99, server CPU per request, threads started per request and
the loop lag's p99 (``bench.evidence.Measured``).
"""
from __future__ import annotations

import functools
import os
from dataclasses import replace

from bench.experiments import SERVER_CPUS, Experiment, Variant, uvicorn
from config.executor import ENV as DEFAULT_EXECUTOR_ENV
from workloads import handover as H

SCENARIO = "c11_thread_pool_handover.py"
ENDPOINT = "handover"
USERS = 32
BLOCKING_MS = 50
CPU_N = 400_000  # ~20 ms of sum_of_squares on the development machine
GRID_THREADS = USERS  # a thread per user in flight: no pool of the grid is the limit
OFFLOAD_ENV = "LAB_OFFLOAD_THREADS"
HOWS, WORKS = H.HOWS, H.WORKS
BLOCKING, CPU = WORKS
PER_REQUEST, SHARED, TO_THREAD, SYNC_TO_ASYNC = HOWS
# The logical cores the server may use: one when pinned (the runner's first CPU), all of them otherwise.
ALL_CORES = len(os.sched_getaffinity(0))
PINNED_CORES = len(SERVER_CPUS)
CORES = {BLOCKING: PINNED_CORES, CPU: ALL_CORES}  # "cores" for each work's sweep


# The sweep's pool sizes by role, so that a run reads the same on any machine (the cores it had are in
# the run's environment): "cores" is what the claim recommends, the larger ones what it says is no better.
ONE, AT_CORES, FOUR_X, THIRTY_TWO = "1 thread", "cores", "4 x cores", "32 threads"
LARGER = (FOUR_X, THIRTY_TWO)


# What each role asks the server for (workloads.offload.pool_size): the server counts its own cores,
# so a cell's definition (and its stored key) is the same on every machine.
POOL_SIZE_ASKED = {ONE: "1", AT_CORES: "cores", FOUR_X: "4x-cores", THIRTY_TWO: "32"}


def threads_for(role: str, cores: int) -> int:
    return {ONE: 1, AT_CORES: cores, FOUR_X: 4 * cores, THIRTY_TWO: 32}[role]


# Every role is run, even where two sizes coincide (on one core "1 thread" and "cores" are both 1: the
# pair shows the step-to-step noise), so that every machine's run has the same cells in the same order.
ROLES = (ONE, AT_CORES, FOUR_X, THIRTY_TWO)


def knobs(how: str, work: str) -> dict:
    return {"how": how, "work": work, "ms": BLOCKING_MS, "n": CPU_N}


@functools.cache
def grid_cell(how: str, work: str, stock_default: bool = False) -> Variant:
    """One way of handing one work over; ``stock_default``: to-thread on Python's default executor size."""
    env: tuple[tuple[str, str], ...] = ()
    if how == SHARED:
        env = ((OFFLOAD_ENV, str(GRID_THREADS)),)
    elif how == TO_THREAD and not stock_default:
        env = ((DEFAULT_EXECUTOR_ENV, str(GRID_THREADS)),)
    sized = " (Python's default executor size)" if stock_default else ""
    return Variant(f"uvicorn 1w · {how}{sized} · {work}", uvicorn(workers=1), knobs(how, work), env=env,
                   count_thread_starts=True)


@functools.cache
def pool_cell(work: str, role: str) -> Variant:
    """The shared pool at ``role``'s size: the blocking call on one pinned core, the CPU task on every core."""
    both = work == CPU
    return Variant(f"uvicorn 1w {'every core' if both else 'one core'} · shared pool of {role} · {work}",
                   uvicorn(workers=1, cpus=None if both else SERVER_CPUS), knobs(SHARED, work),
                   env=((OFFLOAD_ENV, POOL_SIZE_ASKED[role]),), count_thread_starts=True)


GRID = {(how, work): grid_cell(how, work) for work in WORKS for how in HOWS}
STOCK_TO_THREAD = {work: grid_cell(TO_THREAD, work, stock_default=True) for work in WORKS}
SWEEP = {work: {role: pool_cell(work, role) for role in ROLES} for work in WORKS}


def _experiment(name: str, question: str, variants: tuple[Variant, ...], **kw) -> Experiment:
    return Experiment(name, "C11", question, SCENARIO, variants, users=(USERS,), step_s=8.0, warmup_s=2.0,
                      key_endpoint=ENDPOINT, probe=False, **kw)


HANDOVER = _experiment(
    "c11-handover", "Blocking or CPU work from an async view: a pool per request, the shared pool, to_thread or "
    "sync_to_async?", (*GRID.values(), *STOCK_TO_THREAD.values()))
POOL_BLOCKING = _experiment(
    "c11-pool-size-blocking", "A 50 ms blocking call through the shared pool on one core: does a pool bigger than "
    "the cores serve more?", tuple(SWEEP[BLOCKING].values()))
POOL_CPU = _experiment(
    "c11-pool-size-cpu", "A CPU task through the shared pool on every core: does a pool bigger than the cores "
    "serve more?", tuple(SWEEP[CPU].values()), both_cores=True)
HANDOVER_SUITE = (HANDOVER, POOL_BLOCKING, POOL_CPU)


def _quick(experiment: Experiment, variants: tuple[Variant, ...]) -> Experiment:
    return replace(experiment, variants=variants, step_s=3.0, warmup_s=1.0)


# The quick suite's provisional slice: the cells that decide (per-request against shared for each work,
# and each sweep at cores against 32 threads), short steps.
QUICK = (
    _quick(HANDOVER, tuple(GRID[how, work] for work in WORKS for how in (PER_REQUEST, SHARED))),
    _quick(POOL_BLOCKING, (SWEEP[BLOCKING][AT_CORES], SWEEP[BLOCKING][THIRTY_TWO])),
    _quick(POOL_CPU, (SWEEP[CPU][AT_CORES], SWEEP[CPU][THIRTY_TWO])),
)
