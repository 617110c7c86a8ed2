"""The ASGI application a ``fastapi`` deployment serves (``fastapi_app.app:application``).

Per worker process, the lifespan opens the native psycopg async pool on the worker's loop
(sized by ``LAB_DB_POOL_SIZE``, which the deployment sets) and closes it at shutdown, and
sizes Starlette's thread pool like the lab's offload pool (``LAB_OFFLOAD_THREADS``), so that
"offloaded" means as many threads under FastAPI as under Django. In front: the same body
guard as Django's ASGI entry point, and the loop-lag monitor when the bench runner asks.
(Importing this module runs ``fastapi_app/__init__.py`` first, which configures Django's settings.)
"""
from __future__ import annotations

from contextlib import asynccontextmanager
from typing import AsyncIterator

from fastapi import FastAPI
from starlette.exceptions import HTTPException

from config import thread_starts
from config.body_guard import BodyLimitGuard
from config.executor import with_default_executor
from config.loop_lag import watched
from fastapi_app.adapter import add_routes
from fastapi_app.endpoints import SERVED
from fastapi_app.starlette_io import http_error, lifespan as starlette_lifespan
from workloads import upstream


@asynccontextmanager
async def lifespan(app) -> AsyncIterator[None]:
    """Starlette's (the pools), and at shutdown the worker's upstream client closed if a call made one."""
    async with starlette_lifespan(app):
        try:
            yield
        finally:
            await upstream.close_loop_client()


def create_app() -> FastAPI:
    # No docs, no OpenAPI schema, no slash redirects: the process serves the catalogue only,
    # and /api/ping/ is a 404 as under Django.
    app = FastAPI(lifespan=lifespan, openapi_url=None, docs_url=None, redoc_url=None,
                  redirect_slashes=False)
    app.add_exception_handler(HTTPException, http_error)
    add_routes(app, SERVED)
    return app


fastapi_application = create_app()
# Lag and thread starts measured, and the default executor sized, only when the bench runner asks.
application = watched(with_default_executor(BodyLimitGuard(fastapi_application)))
thread_starts.install()
