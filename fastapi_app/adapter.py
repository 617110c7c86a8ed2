"""Turn a catalogue ``Endpoint`` and a work function into a FastAPI route.

The counterpart of ``workloads.endpoint.endpoint`` for Django: the same host, method,
query and body-header rules and the same error mapping and reply (``fastapi_app.serving``);
this module only hands FastAPI's request and ``BackgroundTasks`` to the work. Routes accept every
method so that the lab's own 405 (JSON, ``Allow``) answers a wrong one rather than Starlette's.
``sync_endpoint`` makes FastAPI's own sync flavour, a ``def`` endpoint that FastAPI runs in its
thread pool, served under ``/sync/`` as Django's sync views are.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Awaitable, Callable

from fastapi import BackgroundTasks, FastAPI, Request
from fastapi.responses import Response

from fastapi_app.serving import INTERFACE, METHODS, PREFIXES, SYNC_PREFIXES, VIEW, answer, answer_sync
from fastapi_app.starlette_io import http_error, render, request_host
from workloads.catalogue import Endpoint

__all__ = ["INTERFACE", "METHODS", "PREFIXES", "VIEW", "Route", "add_routes", "endpoint", "http_error", "render",
           "sync_endpoint"]

Work = Callable[[Request, Any, BackgroundTasks], Awaitable[Any]]
SyncWork = Callable[[Request, Any], Any]


@dataclass(frozen=True)
class Route:
    """One served endpoint: the catalogue's spec, the FastAPI handler built for it, and the
    prefixes it is served under."""

    spec: Endpoint
    handler: Callable[..., Any]
    prefixes: tuple[str, ...] = PREFIXES


def endpoint(spec: Endpoint) -> Callable[[Work], Route]:
    """Decorate ``async def work(request, args, tasks)`` as the route for ``spec``.

    ``tasks`` is FastAPI's own ``BackgroundTasks``: FastAPI attaches it to the returned
    response, so jobs added to it run after the response was sent."""

    def decorate(work: Work) -> Route:
        async def handler(request: Request, tasks: BackgroundTasks) -> Response:
            return render(await answer(spec, request.method, request.query_params, request.headers,
                                       request_host(request), lambda args: work(request, args, tasks)))

        handler.__name__ = handler.__qualname__ = work.__name__
        return Route(spec, handler)

    return decorate


def sync_endpoint(spec: Endpoint) -> Callable[[SyncWork], Route]:
    """Decorate ``def work(request, args)`` as a ``def`` route for ``spec`` under /sync/: FastAPI
    sees a plain function and calls it through ``run_in_threadpool``, off the event loop."""

    def decorate(work: SyncWork) -> Route:
        def handler(request: Request) -> Response:
            return render(answer_sync(spec, request.method, request.query_params, request.headers,
                                      request_host(request), lambda args: work(request, args)))

        handler.__name__ = handler.__qualname__ = work.__name__
        return Route(spec, handler, SYNC_PREFIXES)

    return decorate


def add_routes(app: FastAPI, routes: tuple[Route, ...]) -> None:
    for route in routes:
        for prefix in route.prefixes:
            app.add_api_route(f"/{prefix}/{route.spec.path}", route.handler, methods=METHODS,
                              include_in_schema=False)
