"""What a coroutine in flight costs, measured inside the server (claim C8).

The document says a coroutine costs about 1 KB. Asked of a whole Django request, the answer
mixes in the request object, the ASGI scope, the response and the framework's own tasks;
this module asks of the coroutine alone: suspend ``n`` of them at once inside one request
and read the process's unique set size (USS, the memory only this process holds) before
and while they are all pending. ``asyncio.gather`` wraps each coroutine in a Task, which is
what a coroutine scheduled on a loop always is, so the figure is coroutine + Task.
"""
from __future__ import annotations

import asyncio

import psutil


def unique_set_size() -> int:
    """This process's USS in bytes (reads /proc/self/smaps_rollup: a few ms)."""
    return psutil.Process().memory_full_info().uss


async def hold_coroutines(n: int, ms: int) -> dict:
    """Keep ``n`` ``asyncio.sleep(ms)`` coroutines pending, measure USS before and during."""
    before = unique_set_size()
    pending = asyncio.gather(*(asyncio.sleep(ms / 1000) for _ in range(n)))
    await asyncio.sleep(0)  # let every task start and suspend at its sleep
    during = unique_set_size()
    await pending
    return {"uss_before": before, "uss_during": during}
