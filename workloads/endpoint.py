"""Turn a function that only *does the work* into a Django view, sync or async.

Everything the two flavours share happens here, once: the method check, parameter
parsing, the body limit, error mapping, and the response with its ``view`` field. The
wrapped function receives ``(request, args)`` and returns the work's result; the
catalogue's ``shape`` turns that into the response.
"""
from __future__ import annotations

import functools
import inspect
from types import SimpleNamespace
from typing import Any, Awaitable, Callable

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.http import HttpRequest, HttpResponse

from workloads.catalogue import Endpoint
from workloads.errors import ApiError, error_response, json_response
from workloads.params import parse_query
from workloads.interface import interface_of
from workloads.work import Timed


def check_host(request: HttpRequest) -> None:
    """Enforce ALLOWED_HOSTS. Django checks the Host header only when something calls
    ``get_host()`` (usually CommonMiddleware or CSRF); the lab runs no middleware, so it asks here."""
    try:
        request.get_host()
    except DisallowedHost:
        raise ApiError(400, "Host header not allowed (see ALLOWED_HOSTS)") from None


def accept(spec: Endpoint, request: HttpRequest) -> SimpleNamespace:
    """Check host, method, query and body headers before any work or body read happens."""
    check_host(request)
    allowed = (spec.method, "HEAD") if spec.method == "GET" else (spec.method,)
    if request.method not in allowed:
        error = ApiError(405, f"method {request.method} not allowed on {spec.path}; use {spec.method}")
        error.headers["Allow"] = ", ".join(allowed)
        raise error
    args = parse_query(request.GET, spec.params)
    if spec.body is not None:
        _check_body_headers(spec, request)
    return args


def _check_body_headers(spec: Endpoint, request: HttpRequest) -> None:
    limit = settings.LAB_MAX_BODY_BYTES
    raw_length = request.META.get("CONTENT_LENGTH") or ""
    if raw_length:
        if not raw_length.isdigit():
            raise ApiError(400, f"invalid Content-Length {raw_length!r}")
        if int(raw_length) > limit:
            raise ApiError(413, f"request body of {int(raw_length)} bytes exceeds the limit of {limit} bytes",
                           limit=limit)
    elif "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower() and interface_of(request) == "wsgi":
        # Django's WSGIRequest reads Content-Length bytes and nothing else: a chunked body
        # would silently arrive empty. Refuse it rather than lose it.
        raise ApiError(411, "chunked request bodies are not supported under WSGI (Django reads "
                            "Content-Length bytes only); send a Content-Length")
    if spec.body == "json":
        if request.content_type != "application/json":
            raise ApiError(415, f"Content-Type must be application/json, got {request.content_type!r}")


def respond(spec: Endpoint, args: SimpleNamespace, result: Any, view: str) -> HttpResponse:
    headers = None
    if isinstance(result, Timed):  # durations the work measured: reported, not part of the body
        headers = {"Server-Timing": server_timing(result.timings)}
        result = result.value
    return json_response({"view": view, **spec.shape(args, result)}, spec.status, headers)


def server_timing(timings: dict[str, float]) -> str:
    """The ``Server-Timing`` header value (W3C syntax), e.g. ``parse;dur=0.412``: ms, 3 decimals."""
    return ", ".join(f"{name};dur={ms:.3f}" for name, ms in timings.items())


def endpoint(spec: Endpoint) -> Callable[[Callable], Callable[[HttpRequest], Any]]:
    """Decorate a sync or async work function as the view for ``spec``."""

    def decorate(work: Callable) -> Callable:
        if inspect.iscoroutinefunction(work):
            async_work: Callable[..., Awaitable[Any]] = work

            @functools.wraps(work)
            async def async_view(request: HttpRequest) -> HttpResponse:
                try:
                    args = accept(spec, request)
                    return respond(spec, args, await async_work(request, args), "async")
                except Exception as exc:  # mapped to 4xx/503, or re-raised as a bug
                    return error_response(exc)

            return async_view

        @functools.wraps(work)
        def sync_view(request: HttpRequest) -> HttpResponse:
            try:
                args = accept(spec, request)
                return respond(spec, args, work(request, args), "sync")
            except Exception as exc:
                return error_response(exc)

        return sync_view

    return decorate
