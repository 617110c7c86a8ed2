"""What FastAPI and Starlette serve alike (FastAPI is built on Starlette): a ``Reply`` as a
Starlette response, the Host of a Starlette request, Starlette's own refusals in the lab's
JSON shape, and the per-worker lifespan (the native pool, the thread pool's size)."""
from __future__ import annotations

from contextlib import asynccontextmanager
from typing import AsyncIterator

import anyio.to_thread
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from fastapi_app.serving import raw_host
from workloads import db_async
from workloads.errors import Reply, no_endpoint
from workloads.offload import OFFLOAD_THREADS


def render(answer: Reply) -> Response:
    """Starlette sets Content-Length itself; no charset is added to application/json. A stream
    goes out chunk by chunk as its iterator makes them."""
    if answer.stream is not None:
        return StreamingResponse(answer.stream, status_code=answer.status, headers=answer.headers,
                                 media_type=answer.content_type)
    return Response(answer.body, status_code=answer.status, headers=answer.headers, media_type="application/json")


def request_host(request: Request) -> str:
    return raw_host(request.headers.get("host"), request.scope.get("server"))


async def http_error(request: Request, exc: HTTPException) -> Response:
    """What Starlette itself refuses (no route: 404; a method outside the routed ones: 405), in
    the lab's JSON shape."""
    if exc.status_code == 404:
        return render(no_endpoint(request.url.path))
    return render(Reply(exc.status_code, {"error": str(exc.detail)}, dict(exc.headers or {})))


@asynccontextmanager
async def lifespan(app) -> AsyncIterator[None]:
    """Per worker: Starlette's thread pool sized like the lab's offload pool (so "offloaded"
    means as many threads as under Django), and the native pool opened on the worker's loop."""
    anyio.to_thread.current_default_thread_limiter().total_tokens = OFFLOAD_THREADS
    await db_async.open_loop_pool()
    try:
        yield
    finally:
        await db_async.close_loop_pool()
