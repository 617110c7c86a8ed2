"""Turn a catalogue ``Endpoint`` and an async work function into a FastAPI route.

The counterpart of ``workloads.endpoint.endpoint`` for Django: the same host, method,
query and body-header rules (``check_request``), the same error mapping (``error_reply``)
and the same reply (``reply``); this module only renders them as Starlette responses.
Routes accept every method so that the lab's own 405 (JSON, ``Allow``) answers a wrong
one rather than Starlette's.
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
VIEW = "async"  # every FastAPI endpoint here is an ``async def`` on the worker's loop
# /sync/ is left out: FastAPI's answer to a sync view is a ``def`` endpoint run in its thread
# pool, which is what io/threadpool measures already; Django's sync views have no FastAPI twin.
PREFIXES = ("api", "async")
METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]

Work = Callable[[Request, Any, BackgroundTasks], Awaitable[Any]]


@dataclass(frozen=True)
class Route:
    """One served endpoint: the catalogue's spec and the FastAPI handler built for it."""

    spec: Endpoint
    handler: Callable[..., Awaitable[Response]]


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


def endpoint(spec: Endpoint) -> Callable[[Work], Route]:
    """Decorate ``async def work(request, args, tasks)`` as the route for ``spec``.

    ``tasks`` is FastAPI's own ``BackgroundTasks``: FastAPI attaches it to the returned
    response, so jobs added to it run after the response was sent."""

    def decorate(work: Work) -> Route:
        async def handler(request: Request, tasks: BackgroundTasks) -> Response:
            try:
                check_host_header(raw_host(request))
                args = check_request(spec, request.method, request.query_params, request.headers, INTERFACE)
                return render(reply(spec, args, await work(request, args, tasks), VIEW))
            except Exception as exc:  # mapped to 4xx/503, or re-raised as a bug
                return render(error_reply(exc))

        handler.__name__ = handler.__qualname__ = work.__name__
        return Route(spec, handler)

    return decorate


def add_routes(app: FastAPI, routes: tuple[Route, ...]) -> None:
    for route in routes:
        for prefix in PREFIXES:
            app.add_api_route(f"/{prefix}/{route.spec.path}", route.handler, methods=METHODS,
                              include_in_schema=False)


async def http_error(request: Request, exc: HTTPException) -> Response:
    """What Starlette itself refuses (no route: 404; a method outside ``METHODS``: 405), in the
    lab's JSON shape."""
    if exc.status_code == 404:
        return render(no_endpoint(request.url.path))
    return render(Reply(exc.status_code, {"error": str(exc.detail)}, dict(exc.headers or {})))
