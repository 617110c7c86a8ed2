"""Turn a catalogue ``Endpoint`` and an async work function into a FastAPI route.

The counterpart of ``workloads.endpoint.endpoint`` for Django: the same host, method,
query and body-header rules and the same error mapping and reply (``fastapi_app.serving.answer``);
this module only hands FastAPI's request and ``BackgroundTasks`` to the work. Routes accept every
method so that the lab's own 405 (JSON, ``Allow``) answers a wrong one rather than Starlette's.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Awaitable, Callable

from fastapi import BackgroundTasks, FastAPI, Request
from fastapi.responses import Response

from fastapi_app.serving import INTERFACE, METHODS, PREFIXES, VIEW, answer
from fastapi_app.starlette_io import http_error, render, request_host
from workloads.catalogue import Endpoint

__all__ = ["INTERFACE", "METHODS", "PREFIXES", "VIEW", "Route", "add_routes", "endpoint", "http_error", "render"]

Work = Callable[[Request, Any, BackgroundTasks], Awaitable[Any]]


@dataclass(frozen=True)
class Route:
    """One served endpoint: the catalogue's spec and the FastAPI handler built for it."""

    spec: Endpoint
    handler: Callable[..., Awaitable[Response]]


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


def add_routes(app: FastAPI, routes: tuple[Route, ...]) -> None:
    for route in routes:
        for prefix in PREFIXES:
            app.add_api_route(f"/{prefix}/{route.spec.path}", route.handler, methods=METHODS,
                              include_in_schema=False)
