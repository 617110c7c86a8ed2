"""One request to a catalogue endpoint, served outside Django, framework-neutral.

What the FastAPI adapter, the Starlette app and the bare ASGI app share: the prefixes and
methods they route, and ``answer``, which applies the catalogue's rules (``workloads.endpoint``:
host, method, query, body headers) around the work and maps any error (``workloads.errors``),
returning a ``Reply`` each framework renders its own way. No framework is imported here, so the
bare ASGI app can use it without loading Starlette.
"""
from __future__ import annotations

from collections.abc import Mapping
from types import SimpleNamespace
from typing import Any, Awaitable, Callable

from workloads import catalogue, db_async
from workloads.catalogue import Endpoint
from workloads.endpoint import check_host_header, check_request, reply
from workloads.errors import Reply, error_reply
from workloads.params import Query

INTERFACE = "asgi"
VIEW = "async"  # an endpoint served outside Django is an ``async def`` on the worker's loop ...
SYNC_VIEW = "sync"  # ... except FastAPI's ``def`` endpoints, run in its thread pool
# Every endpoint is served under /api/ and /async/; /sync/ serves only FastAPI's ``def`` endpoints
# (whoami, for C7): io/threadpool already measures what a ``def`` endpoint's thread hop costs.
PREFIXES = ("api", "async")
SYNC_PREFIXES = ("sync",)
METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


def raw_host(host_header: str | None, server: tuple[str, int | None] | None) -> str:
    """The Host header, or the server's own address when a client sent none (Django falls
    back to SERVER_NAME:SERVER_PORT the same way)."""
    if host_header:
        return host_header
    name, port = server or ("", None)
    return f"{name}:{port}" if port else name


def checked(spec: Endpoint, method: str, query: Query, headers: Mapping[str, str], host: str) -> SimpleNamespace:
    """The request's arguments, or the ``ApiError`` the lab answers a bad request with."""
    check_host_header(host)
    return check_request(spec, method, query, headers, INTERFACE)


async def answer(spec: Endpoint, method: str, query: Query, headers: Mapping[str, str], host: str,
                 work: Callable[[SimpleNamespace], Awaitable[Any]]) -> Reply:
    """The catalogue's checks, then ``await work(args)``, shaped by the catalogue; any error as
    its JSON reply (a bug re-raises)."""
    try:
        args = checked(spec, method, query, headers, host)
        return reply(spec, args, await work(args), VIEW, method)
    except Exception as exc:  # mapped to 4xx/503, or re-raised as a bug
        return error_reply(exc)


def answer_sync(spec: Endpoint, method: str, query: Query, headers: Mapping[str, str], host: str,
                work: Callable[[SimpleNamespace], Any]) -> Reply:
    """``answer`` for a ``def`` endpoint, which a framework runs in its thread pool."""
    try:
        args = checked(spec, method, query, headers, host)
        return reply(spec, args, work(args), SYNC_VIEW, method)
    except Exception as exc:  # mapped to 4xx/503, or re-raised as a bug
        return error_reply(exc)


# --- the bottom rungs of the tax ladder (``bench.ladders``) ------------------------------------
# The endpoints the bare ASGI and Starlette apps serve: a request with no work, and one row
# through the native async pool (no ORM there, so "native" is the only driver: ``without_orm``).

async def _ping(args: SimpleNamespace) -> None:
    return None


async def _db_read(args: SimpleNamespace) -> Any:
    return await db_async.READ[args.driver](INTERFACE)


REFERENCE_ENDPOINTS: tuple[tuple[Endpoint, Callable[[SimpleNamespace], Awaitable[Any]]], ...] = (
    (catalogue.PING, _ping), (catalogue.without_orm(catalogue.DB_READ), _db_read))
