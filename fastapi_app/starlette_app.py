"""The second rung of the tax ladder: the same two endpoints as the bare ASGI app (``ping``,
``db/read`` on the native async pool) as a plain Starlette application, with Starlette's
routing, request and response objects and its lifespan, and no FastAPI on top (no dependency
injection, no parameter models). The rules, shapes and errors are the catalogue's
(``fastapi_app.serving``); Starlette's own 404 is the lab's JSON one.
"""
from __future__ import annotations

from typing import Any, Awaitable, Callable

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from config.body_guard import BodyLimitGuard
from config.loop_lag import watched
from fastapi_app.serving import METHODS, PREFIXES, REFERENCE_ENDPOINTS, answer
from fastapi_app.starlette_io import http_error, lifespan, render, request_host
from workloads.catalogue import Endpoint


def handler(spec: Endpoint, work: Callable[..., Awaitable[Any]]) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        return render(await answer(spec, request.method, request.query_params, request.headers,
                                   request_host(request), work))

    endpoint.__name__ = endpoint.__qualname__ = spec.view_name
    return endpoint


def create_app() -> Starlette:
    routes = [Route(f"/{prefix}/{spec.path}", handler(spec, work), methods=METHODS)
              for spec, work in REFERENCE_ENDPOINTS for prefix in PREFIXES]
    app = Starlette(routes=routes, exception_handlers={HTTPException: http_error}, lifespan=lifespan)
    app.router.redirect_slashes = False  # /api/ping/ is a 404, as under Django and FastAPI
    return app


starlette_application = create_app()
application = watched(BodyLimitGuard(starlette_application))  # lag measured only for the bench runner
