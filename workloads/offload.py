"""The thread pools work is handed to, shared by both view flavours so that "offloaded"
means the same pool, the same size and the same threads on WSGI and on ASGI.

- ``offload pool``: work a request waits for (``io/threadpool``, ``cpu/offload``, the
  compute half of ``mixed``, ``json?offload=1``). Sized like Python's default executor
  (``min(32, cpus + 4)``, what ``asyncio.to_thread`` would use), overridable with
  ``LAB_OFFLOAD_THREADS``: its size caps offloaded throughput and the lab shows that.
- ``background``: work a request does *not* wait for (``io/background``). Bounded: past
  ``LAB_BACKGROUND_MAX`` pending jobs a request gets 503 instead of an unbounded queue.
"""
from __future__ import annotations

import asyncio
import functools
import inspect
import logging
import os
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Callable, Coroutine, TypeVar

from groundwork.database import env_int
from workloads.errors import ApiError

T = TypeVar("T")
log = logging.getLogger("workloads.background")

# A number, or a multiple of the logical cores this process may run on (its CPU affinity, as
# os.process_cpu_count reads it on 3.13: one when pinned to one core): "cores", "4x-cores". The
# experiments that sweep the pool's size ask for it by role, so that a cell means the same on a
# machine of any size (and its stored definition does not depend on the machine).
CORE_MULTIPLES = {"cores": 1, "4x-cores": 4}


def pool_size(name: str, default: int) -> int:
    raw = os.environ.get(name, "")
    if raw in CORE_MULTIPLES:
        return CORE_MULTIPLES[raw] * len(os.sched_getaffinity(0))
    return env_int(name, default)


OFFLOAD_THREADS = pool_size("LAB_OFFLOAD_THREADS", min(32, (os.cpu_count() or 1) + 4))
BACKGROUND_THREADS = env_int("LAB_BACKGROUND_THREADS", 32)
BACKGROUND_MAX = env_int("LAB_BACKGROUND_MAX", 1000)

offload_pool = ThreadPoolExecutor(max_workers=OFFLOAD_THREADS, thread_name_prefix="lab-offload")
background_pool = ThreadPoolExecutor(max_workers=BACKGROUND_THREADS, thread_name_prefix="lab-background")


def run_offloaded(fn: Callable[..., T], *args: Any) -> T:
    """Blocking flavour: hand ``fn`` to the offload pool and block this thread until done."""
    return offload_pool.submit(fn, *args).result()


async def await_offloaded(fn: Callable[..., T], *args: Any) -> T:
    """Async flavour: hand ``fn`` to the same pool; the event loop stays free meanwhile."""
    return await asyncio.get_running_loop().run_in_executor(offload_pool, functools.partial(fn, *args))


class _Budget:
    """Counts background jobs not yet finished, across threads and the event loop."""

    def __init__(self, limit: int):
        self.limit = limit
        self.pending = 0
        self._lock = threading.Lock()

    def take(self) -> None:
        with self._lock:
            if self.pending >= self.limit:
                raise ApiError(503, f"background queue full ({self.limit} jobs pending)")
            self.pending += 1

    def give_back(self) -> None:
        with self._lock:
            self.pending -= 1


background_budget = _Budget(BACKGROUND_MAX)
_background_tasks: set[asyncio.Task] = set()  # strong references: the loop keeps weak ones only


def _finished(outcome: Future | asyncio.Task) -> None:
    background_budget.give_back()
    if isinstance(outcome, asyncio.Task):
        _background_tasks.discard(outcome)
        if outcome.cancelled():
            return
    if outcome.exception() is not None:
        log.error("background job failed", exc_info=outcome.exception())


def submit_background(fn: Callable[..., Any], *args: Any) -> None:
    """Run ``fn`` on the background pool; return at once."""
    background_budget.take()
    background_pool.submit(fn, *args).add_done_callback(_finished)


def schedule_background_task(coro: Coroutine[Any, Any, Any]) -> None:
    """Run ``coro`` as a task on the running loop; return at once. Only for a loop that
    outlives the request (ASGI): under WSGI each async view gets a loop that dies with it."""
    try:
        background_budget.take()
    except ApiError:
        coro.close()
        raise
    task = asyncio.get_running_loop().create_task(coro)
    _background_tasks.add(task)
    task.add_done_callback(_finished)


def background_job(fn: Callable[..., Any], *args: Any) -> Callable[[], Any]:
    """For a runner of its own (Starlette's ``BackgroundTasks``): take a background slot now
    (503 past ``LAB_BACKGROUND_MAX``, as for the lab's own pool) and return ``fn(*args)`` as a
    job, sync or async like ``fn``, that gives the slot back when it ends."""
    background_budget.take()
    if inspect.iscoroutinefunction(fn):
        async def async_job() -> Any:
            try:
                return await fn(*args)
            finally:
                background_budget.give_back()

        return async_job

    def job() -> Any:
        try:
            return fn(*args)
        finally:
            background_budget.give_back()

    return job
