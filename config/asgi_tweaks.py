"""Production-legitimate changes to Django's ASGI path, off unless selected.

``LAB_ASGI_TWEAK`` is a comma-separated list (empty = Django as shipped):

- ``reuse-thread``: Django's ``ASGIHandler`` enters a fresh ``ThreadSensitiveContext`` per
  request, so the first sync hop of every request (its ``request_started`` receivers, at the
  latest) starts a new single-thread executor, and leaving the context starts one more thread
  to join it: two thread starts per request. This tweak hands each request a thread from a
  free list instead (asgiref 3.13 ``ThreadSensitiveContext(executor=...)``), taken at its first
  hop and given back when the request ends. A request holds its thread from that first hop (the
  ``request_started`` receivers) to its end, so the list grows to the peak number of requests
  in flight, and its threads live as long as the worker: what it saves is the two thread starts
  per request, not the thread per request in flight (bench/in_flight.py and
  docs/asgi-thread-per-request/ measure both). Thread-sensitive
  code still runs one request's calls in one thread, one request per thread at a time: what a
  gthread worker does with its threads. Thread-locals (Django's connections, the urlconf)
  outlive a request as they do in a gthread thread, and ``request_finished`` still closes the
  connection (returns it to the pool) in that thread.
- ``no-start-receivers``: disconnects Django's two ``request_started`` receivers
  (``close_old_connections``, ``reset_queries``) in the ASGI process. Both act on the
  connections of the thread they run in; with Django's per-request thread that thread is new
  and has none, so under ASGI they only cost a hop to a thread. Kept: ``request_finished`` (it
  returns the request's connection to the pool; removing it leaks one pooled connection per
  ORM request until the pool is empty). With ``reuse-thread`` a reused thread's connection was
  already closed by the previous request's ``request_finished``, so nothing is lost either.
  ``DEBUG`` query logs are then not reset per request (DEBUG is off in every deployment).
"""
from __future__ import annotations

import os
import threading
from collections import deque
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from typing import Any, Callable

from asgiref.sync import ThreadSensitiveContext
from django.core import signals
from django.core.handlers.asgi import ASGIHandler

ENV = "LAB_ASGI_TWEAK"
TWEAKS = ("reuse-thread", "no-start-receivers")


def selected(raw: str | None = None) -> frozenset[str]:
    """The tweaks named in ``LAB_ASGI_TWEAK``; an unknown name stops the server at start."""
    raw = os.environ.get(ENV, "") if raw is None else raw
    names = frozenset(name.strip() for name in raw.split(",") if name.strip())
    unknown = sorted(names - set(TWEAKS))
    if unknown:
        raise ValueError(f"{ENV}: unknown tweak(s) {', '.join(unknown)}; choose from {', '.join(TWEAKS)}")
    return names


class RequestThread(Executor):
    """One request's thread-sensitive executor: a worker thread borrowed on first use."""

    _idle: deque[ThreadPoolExecutor] = deque()
    _started = 0
    _lock = threading.Lock()

    def __init__(self):
        self._worker: ThreadPoolExecutor | None = None

    def submit(self, fn: Callable, /, *args: Any, **kwargs: Any) -> Future:
        if self._worker is None:
            try:
                self._worker = self._idle.pop()
            except IndexError:
                with self._lock:
                    RequestThread._started += 1
                self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="lab-request")
        return self._worker.submit(fn, *args, **kwargs)

    def release(self) -> None:
        """Give the thread back; every hop of the request has returned by now (asgiref waits
        for a running sync call even when the awaiting task is cancelled)."""
        if self._worker is not None:
            self._idle.append(self._worker)
            self._worker = None


class ReuseThreadMixin:
    """``ASGIHandler.__call__`` with a borrowed thread instead of a new one per request."""

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await super().__call__(scope, receive, send)  # Django refuses it
        executor = RequestThread()
        try:
            async with ThreadSensitiveContext(executor=executor):
                await self.handle(scope, receive, send)
        finally:
            executor.release()


def handler_class(base: type[ASGIHandler], tweaks: frozenset[str]) -> type[ASGIHandler]:
    """``base``, or a subclass with the selected handler tweaks."""
    if "reuse-thread" in tweaks:
        return type(base.__name__, (ReuseThreadMixin, base), {"__doc__": base.__doc__})
    return base


def apply_signal_tweaks(tweaks: frozenset[str]) -> None:
    if "no-start-receivers" in tweaks:
        from django.db import close_old_connections, reset_queries

        signals.request_started.disconnect(close_old_connections)
        signals.request_started.disconnect(reset_queries)
