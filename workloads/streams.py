"""Server-sent events: ``n`` events ``every_ms`` apart, each stamped with the time it was sent.

One stream, two ways of waiting between events, as everywhere in the lab: ``frames`` is a sync
generator that sleeps in its thread (a sync view's response: under WSGI it holds one server
thread per subscriber for the stream's life), ``aframes`` an async generator that awaits on the
event loop (an async view's). Which one a response gets is the view flavour's choice, not the
interface's, so the cross cells show what Django does with the other kind: under ASGI it reads a
sync iterator to the end in a thread before sending a byte, and under WSGI an async one, on a
loop of its own (``django.http.response.StreamingHttpResponse.__aiter__`` and ``__iter__``, each
with a warning). A stream of ten one-second events then arrives at once, ten seconds late.

Each event carries ``sent`` (the server's wall clock, Unix seconds): a subscriber on the same
machine subtracts it from its own clock when the event arrives, and has the delivery lag.

``open_streams`` counts the streams this process is serving, from the generator's first step to
its end, however it ends (all sent, the client gone: a ``GeneratorExit`` or a cancellation), so a
test can see a subscriber that hung up free what it held.
"""
from __future__ import annotations

import asyncio
import math
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import orjson

CONTENT_TYPE = "text/event-stream"
# No cache may keep an event, and no proxy may buffer the stream (nginx reads this header).
HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}

_lock = threading.Lock()
_open = 0


def open_streams() -> int:
    """Streams this process is serving right now (begun and not yet ended)."""
    return _open


@contextmanager
def _serving() -> Iterator[None]:
    global _open
    with _lock:
        _open += 1
    try:
        yield
    finally:
        with _lock:
            _open -= 1


def frame(i: int, n: int) -> bytes:
    """Event ``i`` of ``n`` in the text/event-stream format, stamped now."""
    data = orjson.dumps({"i": i, "n": n, "sent": time.time()})
    return b"id: %d\nevent: tick\ndata: %s\n\n" % (i, data)


@dataclass(frozen=True)
class EventStream:
    """What a stream view returns; the adapter renders it with the iterator its flavour waits with."""

    n: int
    every_ms: int
    schedule: str = "staggered"

    def first_due(self, now: float) -> float:
        """When event 0 is due (wall clock, s): at once, or on the next multiple of ``every_ms``
        when every stream keeps the same beat (``burst``)."""
        every = self.every_ms / 1000
        if self.schedule == "burst" and every > 0:
            return math.ceil(now / every) * every
        return now

    def delays(self) -> Iterator[float]:
        """Before each event, how long to wait (s), from the schedule, not from the last send:
        a slow send does not push every later event back."""
        start = self.first_due(time.time())
        for i in range(self.n):
            yield max(0.0, start + i * self.every_ms / 1000 - time.time())

    def frames(self) -> Iterator[bytes]:
        with _serving():
            for i, delay in enumerate(self.delays()):
                if delay:
                    time.sleep(delay)
                yield frame(i, self.n)

    async def aframes(self) -> AsyncIterator[bytes]:
        with _serving():
            for i, delay in enumerate(self.delays()):
                if delay:
                    await asyncio.sleep(delay)
                yield frame(i, self.n)
