"""Threads, processes and the GIL on two cores (C10): the one experiment that gives the server
more than one core.

The same CPU task of about 50 ms in three forms: pure Python, which holds the GIL (``cpu``; async
views hand it to the thread pool, ``cpu/offload``), and two C calls that release it: SHA-256 over a
buffer (``cpu/hash``, the standard library's) and a Cython ``nogil`` loop (``cpu/cython``, built
by `make setup` where a C compiler is present). Each form on a threaded deployment and a
two-process one of the same total threads, WSGI and ASGI, plus one thread alone (the C forms'
floor). The server and the load generator share the machine's first two CPUs (nothing else would
let the server use two); each user opens a fresh connection per request, so that the kernel
spreads them over the workers' shared socket, and each worker's share of the CPU is recorded.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass

from bench.experiments import LENGTHEN_CAP, Experiment, Variant, gthread, uvicorn
from deploy.deployments import Deployment

SCENARIO = "c10_gil_on_two_cores.py"
BOTH = (0, 1)  # placeholder: the runner pins both_cores experiments to the machine's first two CPUs
USERS = 16  # closed loop: four times the most request threads any deployment here has
TASK_N = 1_000_000  # cpu and cpu/cython: ~50 ms on the development machine
TASK_MIB = 85  # cpu/hash: ~50 ms of SHA-256 there
# Its closest call: threads at 0.85x two processes against 1.0x, a 15 % step; a throughput interval of
# ±10 % or more cannot place a repeat on either side of it, so such a step is measured longer.
RESOLVE_PCT = 10.0


@dataclass(frozen=True)
class TaskForm:
    name: str  # "python", "hash", "cython"
    releases_gil: bool
    sync_endpoint: str
    async_endpoint: str  # what an async view does with it: offloaded to the thread pool in every form

    def knobs(self, asynchronous: bool) -> dict:
        endpoint = self.async_endpoint if asynchronous else self.sync_endpoint
        size = {"mib": TASK_MIB} if endpoint == "cpu/hash" else {"n": TASK_N}
        return {"endpoint": endpoint, **size}


PYTHON = TaskForm("python", False, "cpu", "cpu/offload")
HASH = TaskForm("hash", True, "cpu/hash", "cpu/hash")
CYTHON = TaskForm("cython", True, "cpu/cython", "cpu/cython")
FORMS = (PYTHON, HASH, CYTHON)


@dataclass(frozen=True)
class CoreStack:
    """One deployment on both cores. ``role``: "threads" (one process), "processes" (two), "one-thread"."""

    name: str
    role: str
    interface: str  # "wsgi" (sync views) or "asgi" (async views offloading to the pool)
    make: functools.partial

    @property
    def deployment(self) -> Deployment:
        return self.make()


STACKS = (
    CoreStack("gthread 1w x 4t", "threads", "wsgi", functools.partial(gthread, workers=1, threads=4, cpus=BOTH)),
    CoreStack("gthread 2w x 2t", "processes", "wsgi", functools.partial(gthread, workers=2, threads=2, cpus=BOTH)),
    CoreStack("uvicorn 1w (thread pool)", "threads", "asgi", functools.partial(uvicorn, workers=1, cpus=BOTH)),
    CoreStack("uvicorn 2w (thread pool)", "processes", "asgi", functools.partial(uvicorn, workers=2, cpus=BOTH)),
    CoreStack("gthread 1w x 1t", "one-thread", "wsgi", functools.partial(gthread, workers=1, threads=1, cpus=BOTH)),
)


def stack(interface: str, role: str) -> CoreStack:
    return next(s for s in STACKS if s.interface == interface and s.role == role)


@functools.cache
def cell(stack_name: str, form_name: str) -> Variant:
    """One object per (deployment, task form), however often it is asked for (compared by identity)."""
    s = next(x for x in STACKS if x.name == stack_name)
    form = next(f for f in FORMS if f.name == form_name)
    return Variant(f"{s.name} · {form.name}", s.deployment, form.knobs(s.interface == "asgi"), fresh_server=False)


def cells() -> tuple[Variant, ...]:
    """Ordered by deployment (one server serves its forms in turn); one thread alone does the C forms
    only (it is their floor: pure Python on one thread is what the threaded deployment is judged by)."""
    return tuple(cell(s.name, f.name) for s in STACKS for f in FORMS if s.role != "one-thread" or f.releases_gil)


def c10_experiment(step_s: float, warmup_s: float, lengthen_cap: int = LENGTHEN_CAP) -> Experiment:
    return Experiment(
        "c10-gil-two-cores", "C10", "Do CPU-bound threads use one core, processes two, and GIL-releasing C work two?",
        SCENARIO, cells(), users=(USERS,), step_s=step_s, warmup_s=warmup_s, probe=False, both_cores=True,
        resolve_pct=RESOLVE_PCT, lengthen_cap=lengthen_cap)


C10_FULL = c10_experiment(step_s=8.0, warmup_s=3.0)
C10_QUICK = c10_experiment(step_s=5.0, warmup_s=1.5, lengthen_cap=1)  # five whole seconds: the least a batch-means interval needs
