"""Every client error the lab returns: a JSON object with an ``error`` field, never a 500."""
from __future__ import annotations

import logging

import orjson
from django.http import HttpResponse

log = logging.getLogger("workloads")


class ApiError(Exception):
    """A request the lab refuses, with the status and the reason the client sees."""

    def __init__(self, status: int, message: str, **details: object):
        super().__init__(message)
        self.status = status
        self.message = message
        self.details = details
        self.headers: dict[str, str] = {}


def json_response(data: dict, status: int = 200, headers: dict[str, str] | None = None) -> HttpResponse:
    """The one way the lab answers. Sets Content-Length itself (CommonMiddleware would; the lab
    runs none), so servers need not fall back to chunked transfer encoding."""
    body = orjson.dumps(data)
    response = HttpResponse(body, status=status, content_type="application/json")
    response["Content-Length"] = str(len(body))
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def error_response(exc: BaseException) -> HttpResponse:
    """Map an exception raised while serving an endpoint to a JSON error response.

    Database unavailability (pool exhausted, server restarting) is the server's problem,
    not the client's, and is reported as 503 so a load test counts it apart from bugs.
    """
    if isinstance(exc, ApiError):
        return json_response({"error": exc.message, **exc.details}, exc.status, exc.headers)
    from django.core.exceptions import RequestDataTooBig
    from django.db import DatabaseError, InterfaceError
    import psycopg
    import psycopg_pool

    if isinstance(exc, RequestDataTooBig):
        return json_response({"error": "request body too large"}, 413)
    causes = _causes(exc)  # Django wraps driver errors in its own (django.db.utils.*)
    if any(isinstance(c, psycopg_pool.PoolTimeout) for c in causes):
        return json_response({"error": "database pool exhausted: no connection became free in time"}, 503)
    if any(isinstance(c, psycopg.errors.QueryCanceled) for c in causes):
        return json_response({"error": "database statement timeout"}, 503)
    if isinstance(exc, (DatabaseError, InterfaceError, psycopg.OperationalError, psycopg_pool.PoolClosed)):
        log.warning("database unavailable: %s", exc)
        return json_response({"error": "database unavailable", "detail": type(exc).__name__}, 503)
    raise exc


def _causes(exc: BaseException) -> list[BaseException]:
    chain = []
    while exc is not None and exc not in chain:
        chain.append(exc)
        exc = exc.__cause__ or exc.__context__
    return chain


# Django's error handlers (named in the urlconfs) so that even a path that matches no
# endpoint gets a JSON body.
def bad_request(request, exception=None):
    return json_response({"error": "bad request"}, 400)


def not_found(request, exception=None):
    return json_response({"error": f"no endpoint at {request.path}"}, 404)


def server_error(request):
    return json_response({"error": "internal server error (a bug in the lab: please report it)"}, 500)
