"""Event-loop lag of each ASGI worker, for the bench runner (claim C5).

Only active when ``LAB_LOOP_LAG_DIR`` is set (the runner sets it for deployments it starts).
A task on the worker's loop sleeps 50 ms at a time and measures how late it wakes up:
that delay is the lag every other ready task suffers. After each tick it overwrites one
line in ``<dir>/<pid>.lag``: the wall time of the tick and the worst lag of the last
~0.5 s. A reader that finds the tick stale knows the loop is blocked right now, and for
how long (``now - tick``), even before the loop gets to report it.
"""
from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

TICK_S = 0.05
WINDOW_S = 0.5


def watched(application):
    """``application``, wrapped in the monitor when the bench runner asks (``LAB_LOOP_LAG_DIR``):
    every ASGI entry point (Django's, FastAPI's) is watched the same way."""
    directory = os.environ.get("LAB_LOOP_LAG_DIR")
    return LoopLagMonitor(application, directory) if directory else application


class LoopLagMonitor:
    """ASGI wrapper that starts the lag task on the worker's loop at the first request."""

    def __init__(self, app, directory: str):
        self.app = app
        self.directory = Path(directory)
        self._task: asyncio.Task | None = None

    async def __call__(self, scope, receive, send):
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._watch())
        return await self.app(scope, receive, send)

    async def _watch(self) -> None:
        loop = asyncio.get_running_loop()
        self.directory.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.directory / f"{os.getpid()}.lag", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        window_start, current_max, previous_max = loop.time(), 0.0, 0.0
        while True:
            before = loop.time()
            await asyncio.sleep(TICK_S)
            lag = max(0.0, loop.time() - before - TICK_S)
            current_max = max(current_max, lag)
            if loop.time() - window_start >= WINDOW_S:
                window_start, previous_max, current_max = loop.time(), current_max, 0.0
            line = f"{time.time():.3f} {1000 * max(current_max, previous_max):.3f}\n"
            os.pwrite(fd, line.ljust(40).encode(), 0)


def read_lag_ms(directory: str | Path, pid: int, now: float | None = None) -> float | None:
    """The worst recent lag of worker ``pid`` in ms, counting a loop that is blocked now."""
    try:
        tick, worst = Path(directory, f"{pid}.lag").read_text().split()[:2]
    except (OSError, ValueError):
        return None
    stalled = max(0.0, (now or time.time()) - float(tick) - TICK_S) * 1000
    return max(float(worst), stalled)
