"""Handing work to a thread from a view (C11): the work, and each way of handing it over, once.

``handover?how=...&work=...`` runs ``work`` (a blocking call of ``ms``, or pure-Python CPU work of
size ``n``) in a thread, handed over ``how``:

- ``per-request``: what the claim's source does. A ``ThreadPoolExecutor()`` is opened inside the
  view for each request, in a ``with`` block: its default size, one thread started for the one job
  (an executor starts threads as jobs arrive), and on leaving the block ``shutdown(wait=True)``
  joins that thread. In an async view the join runs *on the event loop's thread*: the loop waits
  for the worker thread to wake up and exit.
- ``shared``: the process's offload pool (``workloads.offload``, ``LAB_OFFLOAD_THREADS``), made once.
- ``to-thread``: ``asyncio.to_thread``, i.e. the loop's default executor. Python makes it at the
  first use with ``min(32, cpus + 4)`` threads (cpus: ``os.process_cpu_count()`` from 3.13, which
  counts the CPUs this process may run on; ``os.cpu_count()`` before). ``LAB_DEFAULT_EXECUTOR_THREADS``
  installs one of a given size instead (``config.executor``, at the worker's first request).
- ``sync-to-async``: asgiref's ``sync_to_async`` with its default ``thread_sensitive=True``: every
  thread-sensitive call of one context runs in one thread. Django's ASGI handler opens a context
  per request (``ThreadSensitiveContext``), so the work runs in that request's own single thread,
  the one its ``request_started`` receivers already started; outside such a context (FastAPI)
  asgiref's one process-wide thread runs every call, one at a time.

A sync view has no event loop to hand over from: ``per-request`` and ``shared`` block its thread on
the pool's future; ``to-thread`` and ``sync-to-async`` are async-only, and a sync view refuses them
(400) rather than run something else under their name.
"""
from __future__ import annotations

import asyncio
import os
from concurrent.futures import ThreadPoolExecutor
from typing import Callable

from asgiref.sync import sync_to_async

from workloads.catalogue import HANDOVER_HOW, HANDOVER_WORK
from workloads.errors import ApiError
from workloads.offload import await_offloaded, run_offloaded
from workloads.work import sleep_ms, sum_of_squares

HOWS, WORKS = HANDOVER_HOW.choices, HANDOVER_WORK.choices
ASYNC_ONLY = ("to-thread", "sync-to-async")


def job(work: str, ms: int, n: int) -> Callable[[], int | None]:
    """The work a request hands over: ``time.sleep(ms)`` (blocking) or ``sum_of_squares(n)`` (cpu)."""
    if work == "cpu":
        return lambda: sum_of_squares(n)
    return lambda: sleep_ms(ms)


def default_executor_threads() -> int:
    """The size Python gives a ``ThreadPoolExecutor()`` (and so the loop's default executor)."""
    count = getattr(os, "process_cpu_count", os.cpu_count)  # 3.13 counts the CPUs this process may use
    return min(32, (count() or 1) + 4)


async def hand_over(how: str, fn: Callable[[], int | None]) -> int | None:
    """Run ``fn`` in a thread, handed over ``how``; the event loop is free while it runs."""
    if how == "per-request":
        loop = asyncio.get_running_loop()
        with ThreadPoolExecutor() as pool:  # the source's sample; leaving the block joins on this thread
            return await loop.run_in_executor(pool, fn)
    if how == "shared":
        return await await_offloaded(fn)
    if how == "to-thread":
        return await asyncio.to_thread(fn)
    return await sync_to_async(fn)()


def hand_over_blocking(how: str, fn: Callable[[], int | None]) -> int | None:
    """A sync view's hand-over: run ``fn`` in a pool and block this thread on it."""
    if how in ASYNC_ONLY:
        raise ApiError(400, f"how={how!r} hands work over from an event loop: async views only "
                            f"(use /api/ on an ASGI deployment, or /async/)")
    if how == "per-request":
        with ThreadPoolExecutor() as pool:
            return pool.submit(fn).result()
    return run_offloaded(fn)
