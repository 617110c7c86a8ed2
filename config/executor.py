"""The event loop's default executor at a chosen size, for the pool-size sweep (claim C11).

``asyncio.to_thread`` and ``loop.run_in_executor(None, ...)`` use the loop's default executor,
which Python makes at the first use with ``min(32, cpus + 4)`` threads
(``workloads.handover.default_executor_threads``). When ``LAB_DEFAULT_EXECUTOR_THREADS`` is set,
the worker's loop gets a ``ThreadPoolExecutor`` of that size at its first ASGI call (the lifespan's,
where the server speaks it; else the first request), before any view hands work to it. Unset, the
application is served as it is.
"""
from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

from groundwork.database import env_int

ENV = "LAB_DEFAULT_EXECUTOR_THREADS"


def with_default_executor(application):
    """``application``, giving its loop a default executor of ``LAB_DEFAULT_EXECUTOR_THREADS`` threads when set."""
    threads = env_int(ENV, 0)
    if threads < 0:
        raise ValueError(f"{ENV} must be a positive number of threads, got {threads}")
    return SizedDefaultExecutor(application, threads) if threads else application


class SizedDefaultExecutor:
    """ASGI wrapper that installs the sized default executor on the worker's loop at the first call.
    A server that already used the default executor (a name lookup when it bound) keeps that one's
    idle threads; from the first call on, every hand-over to the default goes to the sized one."""

    def __init__(self, app, threads: int):
        self.app = app
        self.threads = threads
        self._loop: asyncio.AbstractEventLoop | None = None

    async def __call__(self, scope, receive, send):
        loop = asyncio.get_running_loop()
        if self._loop is not loop:
            loop.set_default_executor(ThreadPoolExecutor(max_workers=self.threads, thread_name_prefix="lab-default"))
            self._loop = loop
        return await self.app(scope, receive, send)
