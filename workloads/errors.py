"""Every client error the lab returns: a JSON object with an ``error`` field, never a 500.

What the lab answers is decided here once, framework-neutral, as a ``Reply`` (status, JSON
fields, headers); each adapter only renders it: Django's ``HttpResponse`` below
(``render``), FastAPI's ``Response`` in ``fastapi_app``.
"""
from __future__ import annotations

import logging
from collections.abc import AsyncIterable, Iterable
from dataclasses import dataclass, field

import orjson
from django.http import HttpResponse, StreamingHttpResponse

log = logging.getLogger("workloads")


class ApiError(Exception):
    """A request the lab refuses, with the status and the reason the client sees."""

    def __init__(self, status: int, message: str, **details: object):
        super().__init__(message)
        self.status = status
        self.message = message
        self.details = details
        self.headers: dict[str, str] = {}


@dataclass(frozen=True)
class Reply:
    """An answer before a framework renders it: the status, the JSON fields, extra headers; or,
    for a stream, the body's chunks as they are made (``content_type`` then says what they are)."""

    status: int
    data: dict
    headers: dict[str, str] = field(default_factory=dict)
    stream: Iterable[bytes] | AsyncIterable[bytes] | None = None
    content_type: str = "application/json"

    @property
    def body(self) -> bytes:
        return orjson.dumps(self.data)


def error_reply(exc: BaseException) -> Reply:
    """Map an exception raised while serving an endpoint to a JSON error reply; a bug re-raises.

    Database unavailability (pool exhausted, server restarting) is the server's problem,
    not the client's, and is reported as 503 so a load test counts it apart from bugs.
    """
    if isinstance(exc, ApiError):
        return Reply(exc.status, {"error": exc.message, **exc.details}, exc.headers)
    from django.core.exceptions import RequestDataTooBig
    from django.db import DatabaseError, InterfaceError
    import psycopg
    import psycopg_pool

    if isinstance(exc, RequestDataTooBig):
        return Reply(413, {"error": "request body too large"})
    causes = _causes(exc)  # Django wraps driver errors in its own (django.db.utils.*)
    if any(isinstance(c, psycopg_pool.PoolTimeout) for c in causes):
        return Reply(503, {"error": "database pool exhausted: no connection became free in time"})
    if any(isinstance(c, psycopg.errors.QueryCanceled) for c in causes):
        return Reply(503, {"error": "database statement timeout"})
    if isinstance(exc, (DatabaseError, InterfaceError, psycopg.OperationalError, psycopg_pool.PoolClosed)):
        log.warning("database unavailable: %s", exc)
        return Reply(503, {"error": "database unavailable", "detail": type(exc).__name__})
    raise exc


def _causes(exc: BaseException) -> list[BaseException]:
    chain = []
    while exc is not None and exc not in chain:
        chain.append(exc)
        exc = exc.__cause__ or exc.__context__
    return chain


BAD_REQUEST = Reply(400, {"error": "bad request"})
SERVER_ERROR = Reply(500, {"error": "internal server error (a bug in the lab: please report it)"})


def no_endpoint(path: str) -> Reply:
    return Reply(404, {"error": f"no endpoint at {path}"})


# --- Django rendering ----------------------------------------------------------------------

def json_response(data: dict, status: int = 200, headers: dict[str, str] | None = None) -> HttpResponse:
    """The one way the lab answers under Django. Sets Content-Length itself (CommonMiddleware
    would; the lab runs none), so servers need not fall back to chunked transfer encoding."""
    return render(Reply(status, data, headers or {}))


def render(reply: Reply) -> HttpResponse | StreamingHttpResponse:
    if reply.stream is not None:
        streaming = StreamingHttpResponse(reply.stream, status=reply.status, content_type=reply.content_type)
        for name, value in reply.headers.items():
            streaming[name] = value
        return streaming
    body = reply.body
    response = HttpResponse(body, status=reply.status, content_type="application/json")
    response["Content-Length"] = str(len(body))
    for name, value in reply.headers.items():
        response[name] = value
    return response


def error_response(exc: BaseException) -> HttpResponse:
    return render(error_reply(exc))


# Django's error handlers (named in the urlconfs) so that even a path that matches no
# endpoint gets a JSON body.
def bad_request(request, exception=None):
    return render(BAD_REQUEST)


def not_found(request, exception=None):
    return render(no_endpoint(request.path))


def server_error(request):
    return render(SERVER_ERROR)
