"""Calls to another service (C15): ``io/upstream`` asks the upstream stub to answer after ``ms``.

How the call is made is the ``client`` parameter:

- ``pooled``: the view flavour's own long-lived client. Sync views share one ``httpx.Client`` per
  process (thread-safe; its pool serves every thread). Async views use one ``httpx.AsyncClient``
  per event loop: under ASGI the worker's loop, so one per worker, opened at the first call and
  closed by the lifespan shutdown hook where the server speaks it (FastAPI; Django's ASGI handler
  has no lifespan, so the worker's client goes with the process); under WSGI an async view runs on
  a fresh loop per request, so its "pooled" client lives for that request only.
- ``per-request``: a new client for each call, closed after it (connection set-up every time).
- ``offloaded``: the pooled sync client called from the offload thread pool; what an async view
  does with a sync-only library. In a sync view it is the same call as ``pooled``, made in the pool.

Every pool keeps ``LAB_UPSTREAM_POOL`` connections (default 100; the C15 experiment sets N), and
every client shares one SSL context, so a client per request pays for its connections, not for
loading certificates. httpx, the context and the clients are made at the first call: a process
that never calls out (every other experiment's server) carries none of them. Clients ignore proxy
variables (``trust_env=False``): a call to the stub on loopback must not go through a proxy. Timeouts are bounded: connecting 2 s, reading ``ms`` + 5 s, waiting for a
pooled connection 10 s. What goes wrong upstream becomes the lab's JSON answer, never a 500 or a
worker that hangs: 502 when the upstream cannot be reached, closes the connection or answers an
error; 504 when it or the pool took too long.
"""
from __future__ import annotations

import asyncio
import functools
import os
import threading
import time
import weakref
from typing import TYPE_CHECKING, Any

from groundwork.database import env_int
from groundwork.names import UPSTREAM_POOL_ENV, UPSTREAM_URL_ENV
from workloads.errors import ApiError
from workloads.work import Timed

if TYPE_CHECKING:
    import httpx

POOL = env_int(UPSTREAM_POOL_ENV, 100)
CONNECT_S, READ_MARGIN_S, POOL_WAIT_S = 2.0, 5.0, 10.0


@functools.cache
def _httpx():
    import httpx  # at the first call, not at import: see the module's docstring

    return httpx


@functools.cache
def client_options() -> dict[str, Any]:
    """What every client is made with: the pool's size, one SSL context (loading CA certificates
    costs milliseconds), no proxy from the environment."""
    http = _httpx()
    return {"limits": http.Limits(max_connections=POOL, max_keepalive_connections=POOL),
            "verify": http.create_ssl_context(), "trust_env": False}


def timeout(ms: int) -> "httpx.Timeout":
    return _httpx().Timeout(connect=CONNECT_S, read=ms / 1000 + READ_MARGIN_S, write=CONNECT_S, pool=POOL_WAIT_S)


def target(ms: int) -> str:
    base = os.environ.get(UPSTREAM_URL_ENV, "")
    if not base:
        raise ApiError(502, f"no upstream is configured ({UPSTREAM_URL_ENV} is not set)")
    return f"{base.rstrip('/')}/wait?ms={ms}"


def _checked(response: "httpx.Response") -> None:
    if response.status_code != 200:
        raise ApiError(502, f"the upstream answered {response.status_code}", upstream_status=response.status_code)


def _mapped(exc: Exception) -> ApiError:
    """What the client is told when the call itself failed; anything else is re-raised (a bug)."""
    httpx = _httpx()
    if isinstance(exc, httpx.InvalidURL):
        return ApiError(502, f"the upstream's address is not a valid URL ({UPSTREAM_URL_ENV})")
    if not isinstance(exc, httpx.HTTPError):
        raise exc
    if isinstance(exc, httpx.PoolTimeout):
        return ApiError(504, f"no upstream connection came free within {POOL_WAIT_S:.0f} s (pool of {POOL})")
    if isinstance(exc, httpx.TimeoutException):
        return ApiError(504, f"the upstream did not answer in time ({type(exc).__name__})")
    if isinstance(exc, httpx.ConnectError):
        return ApiError(502, "the upstream cannot be reached (connection refused or failed)")
    return ApiError(502, f"the upstream call failed ({type(exc).__name__})")


def _timed(started: float) -> dict[str, float]:
    return {"upstream": (time.perf_counter() - started) * 1000}


# --- sync ------------------------------------------------------------------------------------

_sync_lock = threading.Lock()
_sync_client: "httpx.Client | None" = None


def shared_client() -> "httpx.Client":
    """This process's pooled sync client (made once, under a lock: threads race for it)."""
    global _sync_client
    if _sync_client is None:
        with _sync_lock:
            if _sync_client is None:
                _sync_client = _httpx().Client(**client_options())
    return _sync_client


def call(ms: int, client: str) -> Timed:
    """The blocking call (sync views; async views' ``offloaded`` runs this in the pool)."""
    url, started = target(ms), time.perf_counter()
    try:
        if client == "per-request":
            with _httpx().Client(**client_options()) as own:
                response = own.get(url, timeout=timeout(ms))
        else:
            response = shared_client().get(url, timeout=timeout(ms))
    except Exception as exc:  # httpx's errors become 502/504; anything else re-raises
        raise _mapped(exc) from None
    _checked(response)
    return Timed(None, _timed(started))


# --- async -----------------------------------------------------------------------------------

_loop_clients: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, httpx.AsyncClient]" = weakref.WeakKeyDictionary()


def loop_client() -> "httpx.AsyncClient":
    """The running loop's pooled async client (one per worker under ASGI)."""
    loop = asyncio.get_running_loop()
    client = _loop_clients.get(loop)
    if client is None:
        client = _loop_clients[loop] = _httpx().AsyncClient(**client_options())
    return client


async def close_loop_client() -> None:
    """A lifespan shutdown hook: close this loop's client and its connections."""
    client = _loop_clients.pop(asyncio.get_running_loop(), None)
    if client is not None:
        await client.aclose()


async def acall(ms: int, client: str, loop_outlives_request: bool) -> Timed:
    """The awaited call (async views). ``loop_outlives_request``: under WSGI each async view runs
    on a loop of its own, so a client kept per loop would never be reused; it is closed instead."""
    url, started = target(ms), time.perf_counter()
    try:
        if client == "pooled" and loop_outlives_request:
            response = await loop_client().get(url, timeout=timeout(ms))
        else:
            async with _httpx().AsyncClient(**client_options()) as own:
                response = await own.get(url, timeout=timeout(ms))
    except Exception as exc:  # httpx's errors become 502/504; anything else re-raises
        raise _mapped(exc) from None
    _checked(response)
    return Timed(None, _timed(started))
