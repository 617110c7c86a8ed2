"""Where a request's time goes between sync and async code: per request, how many
times it crossed between the event loop and a thread, and what each crossing cost.

Active only in a server started with ``LAB_COUNT_HOPS=1`` (``config.asgi`` / ``config.wsgi``
wrap their application then); a normal run imports nothing from here and carries nothing.

What is counted, per request (a contextvar set at the request's entry, so concurrent
requests are counted apart; asgiref copies contextvars into the threads it runs code in):

- ``s2a``: ``SyncToAsync.__call__`` (sync code awaited from the loop, e.g. the async ORM,
  a sync view under ASGI, the sync receivers of Django's request signals, ``response.close``).
  ``dispatch`` = from the await to the sync function starting in its thread; ``return`` = from
  the function returning to the awaiting coroutine resuming; total = the whole await.
- ``a2s``: ``AsyncToSync.__call__`` (async code called from a thread, e.g. an async view under
  WSGI). ``dispatch`` = from the call to the coroutine starting on its loop (a new thread and
  loop for each call under WSGI); ``return`` = from the coroutine ending to the call returning.
- ``signals``: wall time in ``request_started`` and ``request_finished`` (``send``/``asend``),
  including the hop that runs their sync receivers under ASGI.
- ``app``: the whole request inside the application, for scale.

It is reported in the response's ``Server-Timing`` header, which the bench recorder aggregates
per endpoint (``loadtests/_recorder.py``): times as ``dur`` in ms, and the counts as
``s2a_n``/``a2s_n`` whose ``dur`` is a *count*, not ms (the recorder only keeps ``dur``).
To count the hops that follow the response (``response.close`` fires ``request_finished``),
the wrapper holds the response's messages until the application returns: with
``LAB_COUNT_HOPS=1`` a response leaves after its clean-up instead of before. Its cost is
measured, not assumed (see scripts/profile_server.py).
"""
from __future__ import annotations

import contextvars
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from asgiref.sync import AsyncToSync, SyncToAsync
from django.core import signals

ENV = "LAB_COUNT_HOPS"
_clock = time.perf_counter


@dataclass
class Hops:
    """One request's tally; times in seconds."""

    s2a: int = 0
    s2a_s: float = 0.0
    s2a_dispatch_s: float = 0.0
    s2a_return_s: float = 0.0
    a2s: int = 0
    a2s_s: float = 0.0
    a2s_dispatch_s: float = 0.0
    a2s_return_s: float = 0.0
    signals_s: float = 0.0
    started: float = field(default_factory=_clock)

    def server_timing(self) -> str:
        """The header value: ``s2a;desc="n=2";dur=0.123, ...``; ms with 3 decimals."""
        ms = lambda s: f"{1000 * s:.3f}"  # noqa: E731
        return ", ".join([
            f'app;dur={ms(_clock() - self.started)}',
            f's2a_n;desc="count";dur={self.s2a}',
            f's2a;desc="n={self.s2a}";dur={ms(self.s2a_s)}',
            f's2a_dispatch;dur={ms(self.s2a_dispatch_s)}',
            f's2a_return;dur={ms(self.s2a_return_s)}',
            f'a2s_n;desc="count";dur={self.a2s}',
            f'a2s;desc="n={self.a2s}";dur={ms(self.a2s_s)}',
            f'a2s_dispatch;dur={ms(self.a2s_dispatch_s)}',
            f'a2s_return;dur={ms(self.a2s_return_s)}',
            f'signals;dur={ms(self.signals_s)}',
        ])


_request: contextvars.ContextVar[Hops | None] = contextvars.ContextVar("lab_hops_request", default=None)
# The hop in flight, [entered, wrapped code started, wrapped code ended]: set by the wrapper of
# __call__, stamped by the code that runs on the other side (it sees the copied context).
_hop: contextvars.ContextVar[list[float] | None] = contextvars.ContextVar("lab_hops_hop", default=None)


def _stamp(index: int) -> None:
    hop = _hop.get()
    if hop is not None:
        hop[index] = _clock()


def _settle(tally: Hops, kind: str, hop: list[float]) -> None:
    end = _clock()
    setattr(tally, kind, getattr(tally, kind) + 1)
    setattr(tally, f"{kind}_s", getattr(tally, f"{kind}_s") + end - hop[0])
    if hop[1] and hop[2]:
        setattr(tally, f"{kind}_dispatch_s", getattr(tally, f"{kind}_dispatch_s") + hop[1] - hop[0])
        setattr(tally, f"{kind}_return_s", getattr(tally, f"{kind}_return_s") + end - hop[2])


# --- the patches -----------------------------------------------------------------------------

_original: dict[str, Any] = {}


def install() -> None:
    """Wrap asgiref's two bridges and Django's two request signals (once per process)."""
    if _original:
        return
    _original.update(s2a_call=SyncToAsync.__call__, s2a_thread=SyncToAsync.thread_handler,
                     a2s_call=AsyncToSync.__call__, a2s_main=AsyncToSync.main_wrap)
    s2a_call, s2a_thread = _original["s2a_call"], _original["s2a_thread"]
    a2s_call, a2s_main = _original["a2s_call"], _original["a2s_main"]

    async def counted_s2a(self, *args, **kwargs):
        tally = _request.get()
        if tally is None:
            return await s2a_call(self, *args, **kwargs)
        hop = [_clock(), 0.0, 0.0]
        token = _hop.set(hop)
        try:
            return await s2a_call(self, *args, **kwargs)
        finally:
            _hop.reset(token)
            _settle(tally, "s2a", hop)

    def stamped_thread_handler(self, loop, exc_info, task_context, func, child, *args, **kwargs):
        # ``func`` enters the request's copied context, then calls ``child``: stamp inside it.
        def stamped_child():
            _stamp(1)
            try:
                return child()
            finally:
                _stamp(2)
        return s2a_thread(self, loop, exc_info, task_context, func, stamped_child, *args, **kwargs)

    def counted_a2s(self, *args, **kwargs):
        tally = _request.get()
        if tally is None:
            return a2s_call(self, *args, **kwargs)
        hop = [_clock(), 0.0, 0.0]
        token = _hop.set(hop)
        try:
            return a2s_call(self, *args, **kwargs)
        finally:
            _hop.reset(token)
            _settle(tally, "a2s", hop)

    async def stamped_main_wrap(self, call_result, exc_info, task_context, context, awaitable):
        async def stamped():  # runs after main_wrap restored the caller's context
            _stamp(1)
            try:
                return await awaitable
            finally:
                _stamp(2)
        return await a2s_main(self, call_result, exc_info, task_context, context, stamped())

    SyncToAsync.__call__ = counted_s2a
    SyncToAsync.thread_handler = stamped_thread_handler
    AsyncToSync.__call__ = counted_a2s
    AsyncToSync.main_wrap = stamped_main_wrap
    for signal in (signals.request_started, signals.request_finished):
        signal.send = _timed_send(signal.send)
        signal.asend = _timed_asend(signal.asend)


def _timed_send(send: Callable) -> Callable:
    def timed(*args, **kwargs):
        started = _clock()
        try:
            return send(*args, **kwargs)
        finally:
            tally = _request.get()
            if tally is not None:
                tally.signals_s += _clock() - started
    return timed


def _timed_asend(asend: Callable) -> Callable:
    async def timed(*args, **kwargs):
        started = _clock()
        try:
            return await asend(*args, **kwargs)
        finally:
            tally = _request.get()
            if tally is not None:
                tally.signals_s += _clock() - started
    return timed


# --- the request entries -----------------------------------------------------------------------

class CountHopsASGI:
    """ASGI wrapper: a tally per HTTP request; the response's messages are held until the
    application returns (so hops after the response count), then sent with the header."""

    def __init__(self, app):
        install()
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        tally = Hops()
        token = _request.set(tally)
        held: list[dict] = []

        async def hold(message):
            held.append(message)

        try:
            await self.app(scope, receive, hold)
        finally:
            _request.reset(token)
            for message in held:
                if message["type"] == "http.response.start":
                    message = {**message, "headers": with_timing(list(message.get("headers", ())), tally)}
                await send(message)


class CountHopsWSGI:
    """WSGI wrapper: a tally per request; the body is collected and ``close()`` (which fires
    ``request_finished``) called before the response starts, so the header counts it."""

    def __init__(self, app):
        install()
        self.app = app

    def __call__(self, environ, start_response):
        tally = Hops()
        token = _request.set(tally)
        captured: list = []

        def capture(status, headers, exc_info=None):
            captured[:] = [status, list(headers), exc_info]
            return lambda data: None  # the lab's views never use the write() callable

        try:
            result = self.app(environ, capture)
            try:
                body = b"".join(result)
            finally:
                if hasattr(result, "close"):
                    result.close()
        finally:
            _request.reset(token)
        status, headers, exc_info = captured
        start_response(status, with_timing(headers, tally), exc_info)
        return [body]


def with_timing(headers: list, tally: Hops) -> list:
    """The headers with the tally appended to the view's own ``Server-Timing`` (one header,
    as the recorder reads one), or added; str pairs (WSGI) or bytes pairs (ASGI)."""
    raw = headers and isinstance(headers[0][0], bytes)
    name = b"server-timing" if raw else "server-timing"
    value = tally.server_timing().encode() if raw else tally.server_timing()
    for i, (key, existing) in enumerate(headers):
        if key.lower() == name:
            headers[i] = (key, existing + (b", " if raw else ", ") + value)
            return headers
    return [*headers, (b"server-timing" if raw else "Server-Timing", value)]
