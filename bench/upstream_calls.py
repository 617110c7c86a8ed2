"""Calls to another service (C15): N requests in flight, each one a call to the upstream stub that
answers after ``ms``, on one server core; two rows, 100 calls of 1 s and 1,000 calls of 5 s.

A grid read and judged by the same machinery as the thousands-in-flight one (``bench.in_flight``):
each row's period is the upstream's wait, so the ideal rate is N / wait. Its stacks are ways of
making the call (``workloads.upstream``), each on the stack at its strongest: every pool keeps N
connections (``LAB_UPSTREAM_POOL``), the thread pool that carries the sync client for async views
has N threads (``LAB_OFFLOAD_THREADS``), gthread has a thread per request. Beside them, each server
serves ``io/sleep`` of the same wait at the same N: the calls' *marginal* CPU per request is
theirs minus that baseline's, what the call itself costs over holding a request that long.

The stub runs on the load generator's core, started by the runner (``Variant.upstream``), and its
CPU over each step is stored with the step: it must never be the limit.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Callable

from bench.experiments import Variant, fastapi, gthread, uvicorn
from bench.in_flight import CALIBRATION, MEASURED_S, Grid, GridStack, InFlightExperiment, cell_label, warmup_s
from deploy.deployments import Deployment
from groundwork.names import UPSTREAM_POOL_ENV

ROWS_N_WAIT = ((100, 1), (1_000, 5))
SCENARIO = "c15_calls_to_other_services.py"


@dataclass(frozen=True)
class CallStack:
    """A stack and how its view calls the upstream (``client``), or ``io/sleep`` (the baseline)."""

    name: str
    role: str  # "async-pooled", "offloaded", "async-per-request", "sync-pooled", "sync-per-request", "baseline", "reference"
    make: Callable[[int], Deployment]
    endpoint: str = "io/upstream"
    client: str = "pooled"
    offload_threads: bool = False  # the offload pool sized N (the sync client carried for async views)
    baseline: str = ""  # the io/sleep stack of the same server

    def env(self, n: int) -> tuple[tuple[str, str], ...]:
        env = [(UPSTREAM_POOL_ENV, str(n))]
        if self.offload_threads:
            env.append(("LAB_OFFLOAD_THREADS", str(n)))
        return tuple(env)

    @property
    def grid_stack(self) -> GridStack:
        return GridStack(self.name, self.role, self.make)


def _gthread(n: int) -> Deployment:
    return gthread(workers=1, threads=n, backpressure=2 * n, backlog=n)


def _uvicorn(n: int) -> Deployment:
    return uvicorn(workers=1, backlog=n)


def _fastapi(n: int) -> Deployment:
    return fastapi(workers=1, backlog=n)


GTHREAD_SLEEP, DJANGO_SLEEP, FASTAPI_SLEEP = "gthread · io/sleep", "django uvicorn 1w · io/sleep", "fastapi · io/sleep"
STACKS = (
    CallStack("django uvicorn 1w · AsyncClient pooled", "async-pooled", _uvicorn, baseline=DJANGO_SLEEP),
    CallStack("django uvicorn 1w · sync client in the thread pool", "offloaded", _uvicorn, client="offloaded",
              offload_threads=True, baseline=DJANGO_SLEEP),
    CallStack("django uvicorn 1w · AsyncClient per request", "async-per-request", _uvicorn, client="per-request",
              baseline=DJANGO_SLEEP),
    CallStack("gthread · httpx.Client pooled", "sync-pooled", _gthread, baseline=GTHREAD_SLEEP),
    CallStack("gthread · httpx.Client per request", "sync-per-request", _gthread, client="per-request",
              baseline=GTHREAD_SLEEP),
    CallStack("fastapi · AsyncClient pooled", "reference", _fastapi, baseline=FASTAPI_SLEEP),
    CallStack(DJANGO_SLEEP, "baseline", _uvicorn, endpoint="io/sleep"),
    CallStack(GTHREAD_SLEEP, "baseline", _gthread, endpoint="io/sleep"),
    CallStack(FASTAPI_SLEEP, "baseline", _fastapi, endpoint="io/sleep"),
)


def stack_named(name: str) -> CallStack:
    return next(s for s in STACKS if s.name == name)


def role(name: str) -> CallStack:
    return next(s for s in STACKS if s.role == name)


@functools.cache
def cell(stack_name: str, n: int, wait_s: int) -> Variant:
    stack = stack_named(stack_name)
    knobs = {"endpoint": stack.endpoint, "ms": wait_s * 1000, "client": stack.client}
    return Variant(cell_label(stack.grid_stack, n), stack.make(n), knobs, env=stack.env(n), users=(n,),
                   fresh_server=True, upstream=True, stack=stack.grid_stack.name)


def row(n: int, wait_s: int, stacks: tuple[CallStack, ...] = STACKS, suffix: str = "") -> InFlightExperiment:
    return InFlightExperiment(
        f"c15-upstream-{wait_s}s{suffix}", "C15", f"{n:,} calls in flight to a service that answers after {wait_s} s: "
        "what does each way of calling cost?", SCENARIO, tuple(cell(s.name, n, wait_s) for s in stacks),
        users=(n,), step_s=MEASURED_S, warmup_s=warmup_s(n, wait_s), key_endpoint="io/upstream", probe=False,
        wait_s=wait_s, calibration=CALIBRATION, server_core_exclusive=True)


ROWS = tuple(row(n, w) for n, w in ROWS_N_WAIT)
# The quick suite's provisional slice: the first row, the cells that decide (Django's three ways and its baseline).
DECIDING = tuple(s for s in STACKS if s.role in ("async-pooled", "offloaded", "async-per-request")
                 or s.name == DJANGO_SLEEP)
QUICK_ROW = row(*ROWS_N_WAIT[0], stacks=DECIDING, suffix="-quick")
UPSTREAM = Grid("calls to another service", (*ROWS, QUICK_ROW), tuple(s.grid_stack for s in STACKS),
                tuple(n for n, _ in ROWS_N_WAIT), "io/upstream")
UPSTREAM_SUITE = (CALIBRATION, *ROWS)
