"""Turn a catalogue ``Endpoint`` and an async work function into a FastAPI route.

The counterpart of ``workloads.endpoint.endpoint`` for Django: the same host, method,
query and body-header rules (``check_request``), the same error mapping (``error_reply``)
and the same reply (``reply``); this module only renders them as Starlette responses.
Routes accept every method so that the lab's own 405 (JSON, ``Allow``) answers a wrong
one rather than Starlette's. ``sync_endpoint`` makes FastAPI's own sync flavour, a ``def``
endpoint that FastAPI runs in its thread pool, served under ``/sync/`` as Django's sync views are.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Awaitable, Callable

from fastapi import BackgroundTasks, FastAPI, Request
from fastapi.responses import Response
from starlette.exceptions import HTTPException

from workloads.catalogue import Endpoint
from workloads.endpoint import check_host_header, check_request, reply
from workloads.errors import Reply, error_reply, no_endpoint

INTERFACE = "asgi"
VIEW = "async"  # an ``endpoint`` is an ``async def`` on the worker's loop
SYNC_VIEW = "sync"  # a ``sync_endpoint`` is a ``def``, run in FastAPI's thread pool
# Every endpoint is served under /api/ and /async/; /sync/ serves only the ``def`` endpoints
# (whoami, for C7): io/threadpool already measures what a ``def`` endpoint's thread hop costs.
PREFIXES = ("api", "async")
SYNC_PREFIXES = ("sync",)
METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]

Work = Callable[[Request, Any, BackgroundTasks], Awaitable[Any]]
SyncWork = Callable[[Request, Any], Any]


@dataclass(frozen=True)
class Route:
    """One served endpoint: the catalogue's spec, the FastAPI handler built for it, and the
    prefixes it is served under."""

    spec: Endpoint
    handler: Callable[..., Any]
    prefixes: tuple[str, ...] = PREFIXES


def render(answer: Reply) -> Response:
    """Starlette sets Content-Length itself; no charset is added to application/json."""
    return Response(answer.body, status_code=answer.status, headers=answer.headers, media_type="application/json")


def raw_host(request: Request) -> str:
    """The Host header, or the server's own address when a client sent none (Django falls
    back to SERVER_NAME:SERVER_PORT the same way)."""
    if host := request.headers.get("host"):
        return host
    server = request.scope.get("server") or ("", None)
    return f"{server[0]}:{server[1]}" if server[1] else server[0]


def checked(spec: Endpoint, request: Request) -> Any:
    """The request's arguments, or the ``ApiError`` the lab answers a bad request with."""
    check_host_header(raw_host(request))
    return check_request(spec, request.method, request.query_params, request.headers, INTERFACE)


def endpoint(spec: Endpoint) -> Callable[[Work], Route]:
    """Decorate ``async def work(request, args, tasks)`` as the route for ``spec``.

    ``tasks`` is FastAPI's own ``BackgroundTasks``: FastAPI attaches it to the returned
    response, so jobs added to it run after the response was sent."""

    def decorate(work: Work) -> Route:
        async def handler(request: Request, tasks: BackgroundTasks) -> Response:
            try:
                args = checked(spec, request)
                return render(reply(spec, args, await work(request, args, tasks), VIEW))
            except Exception as exc:  # mapped to 4xx/503, or re-raised as a bug
                return render(error_reply(exc))

        handler.__name__ = handler.__qualname__ = work.__name__
        return Route(spec, handler)

    return decorate


def sync_endpoint(spec: Endpoint) -> Callable[[SyncWork], Route]:
    """Decorate ``def work(request, args)`` as a ``def`` route for ``spec`` under /sync/: FastAPI
    sees a plain function and calls it through ``run_in_threadpool``, off the event loop."""

    def decorate(work: SyncWork) -> Route:
        def handler(request: Request) -> Response:
            try:
                args = checked(spec, request)
                return render(reply(spec, args, work(request, args), SYNC_VIEW))
            except Exception as exc:  # mapped to 4xx/503, or re-raised as a bug
                return render(error_reply(exc))

        handler.__name__ = handler.__qualname__ = work.__name__
        return Route(spec, handler, SYNC_PREFIXES)

    return decorate


def add_routes(app: FastAPI, routes: tuple[Route, ...]) -> None:
    for route in routes:
        for prefix in route.prefixes:
            app.add_api_route(f"/{prefix}/{route.spec.path}", route.handler, methods=METHODS,
                              include_in_schema=False)


async def http_error(request: Request, exc: HTTPException) -> Response:
    """What Starlette itself refuses (no route: 404; a method outside ``METHODS``: 405), in the
    lab's JSON shape."""
    if exc.status_code == 404:
        return render(no_endpoint(request.url.path))
    return render(Reply(exc.status_code, {"error": str(exc.detail)}, dict(exc.headers or {})))
