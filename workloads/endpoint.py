"""Turn a function that only *does the work* into a Django view, sync or async.

The rules every adapter applies live here once, framework-neutral: the host check, the
method check, parameter parsing, the cross-site checks of a POST, the body headers (limit,
content type) and the reply with its ``view`` field and ``Server-Timing`` header. The
``endpoint`` decorator below is Django's adapter; ``fastapi_app.adapter`` is FastAPI's. The
wrapped function receives ``(request, args)`` and returns the work's result; the catalogue's
``shape`` turns that into the response.
"""
from __future__ import annotations

import functools
import inspect
from dataclasses import replace
from collections.abc import Mapping
from types import SimpleNamespace
from typing import Any, Awaitable, Callable

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.http import HttpRequest, HttpResponse
from django.http.request import split_domain_port, validate_host
from django.utils.http import parse_header_parameters

from workloads.catalogue import Endpoint
from workloads.cross_site import check_not_a_form, check_same_origin
from workloads.errors import ApiError, Reply, error_response, render
from workloads.interface import interface_of
from workloads.params import Query, parse_query
from workloads.streams import CONTENT_TYPE as EVENT_STREAM, HEADERS as STREAM_HEADERS, EventStream
from workloads.work import Timed


# --- the rules, framework-neutral ----------------------------------------------------------

def host_not_allowed() -> ApiError:
    return ApiError(400, "Host header not allowed (see ALLOWED_HOSTS)")


def check_host_header(raw_host: str) -> None:
    """ALLOWED_HOSTS by Django's own rule (``HttpRequest.get_host``), for an adapter that has
    the Host header but no Django request."""
    domain, _ = split_domain_port(raw_host)
    if not (domain and validate_host(domain, settings.ALLOWED_HOSTS)):
        raise host_not_allowed()


def allowed_methods(spec: Endpoint) -> tuple[str, ...]:
    return (spec.method, "HEAD") if spec.method == "GET" else (spec.method,)


def check_request(spec: Endpoint, method: str, query: Query, headers: Mapping[str, str],
                  interface: str) -> SimpleNamespace:
    """Check method, query and body headers before any work or body read happens.

    ``query`` is a multi-valued mapping (Django's ``QueryDict``, Starlette's ``QueryParams``);
    ``headers`` a case-insensitive mapping (``request.headers`` in either framework)."""
    allowed = allowed_methods(spec)
    if method not in allowed:
        error = ApiError(405, f"method {method} not allowed on {spec.path}; use {spec.method}")
        error.headers["Allow"] = ", ".join(allowed)
        raise error
    args = parse_query(query, spec.params)
    if spec.method == "POST":  # what another site's page could make a browser send (workloads.cross_site)
        check_same_origin(headers)
        if spec.body != "json":  # json's own rule below admits application/json only
            check_not_a_form(headers)
    if spec.body is not None:
        _check_body_headers(spec, headers, interface)
    return args


def _check_body_headers(spec: Endpoint, headers: Mapping[str, str], interface: str) -> None:
    limit = settings.LAB_MAX_BODY_BYTES
    raw_length = headers.get("content-length") or ""
    if raw_length:
        if not raw_length.isdigit():
            raise ApiError(400, f"invalid Content-Length {raw_length!r}")
        if int(raw_length) > limit:
            raise ApiError(413, f"request body of {int(raw_length)} bytes exceeds the limit of {limit} bytes",
                           limit=limit)
    elif "chunked" in headers.get("transfer-encoding", "").lower() and interface == "wsgi":
        # Django's WSGIRequest reads Content-Length bytes and nothing else: a chunked body
        # would silently arrive empty. Refuse it rather than lose it.
        raise ApiError(411, "chunked request bodies are not supported under WSGI (Django reads "
                            "Content-Length bytes only); send a Content-Length")
    if spec.body == "json":
        content_type = parse_header_parameters(headers.get("content-type", ""))[0]
        if content_type != "application/json":
            raise ApiError(415, f"Content-Type must be application/json, got {content_type!r}")


def reply(spec: Endpoint, args: SimpleNamespace, result: Any, view: str, method: str = "GET") -> Reply:
    if isinstance(result, EventStream):  # the view flavour says how the stream waits between events
        if method == "HEAD":  # the headers only: a server would run the stream to its end and drop it
            result = replace(result, n=0)
        chunks = result.aframes() if view == "async" else result.frames()
        return Reply(spec.status, {}, dict(STREAM_HEADERS), stream=chunks, content_type=EVENT_STREAM)
    headers = {}
    if isinstance(result, Timed):  # durations the work measured: reported, not part of the body
        headers["Server-Timing"] = server_timing(result.timings)
        result = result.value
    return Reply(spec.status, {"view": view, **spec.shape(args, result)}, headers)


def server_timing(timings: dict[str, float]) -> str:
    """The ``Server-Timing`` header value (W3C syntax), e.g. ``parse;dur=0.412``: ms, 3 decimals."""
    return ", ".join(f"{name};dur={ms:.3f}" for name, ms in timings.items())


# --- Django's adapter ------------------------------------------------------------------------

def check_host(request: HttpRequest) -> None:
    """Enforce ALLOWED_HOSTS. Django checks the Host header only when something calls
    ``get_host()`` (usually CommonMiddleware or CSRF); the lab runs no middleware, so it asks here."""
    try:
        request.get_host()
    except DisallowedHost:
        raise host_not_allowed() from None


def accept(spec: Endpoint, request: HttpRequest) -> SimpleNamespace:
    check_host(request)
    return check_request(spec, request.method, request.GET, request.headers, interface_of(request))


def respond(spec: Endpoint, request: HttpRequest, args: SimpleNamespace, result: Any, view: str) -> HttpResponse:
    return render(reply(spec, args, result, view, request.method))


def endpoint(spec: Endpoint) -> Callable[[Callable], Callable[[HttpRequest], Any]]:
    """Decorate a sync or async work function as the view for ``spec``."""

    def decorate(work: Callable) -> Callable:
        if inspect.iscoroutinefunction(work):
            async_work: Callable[..., Awaitable[Any]] = work

            @functools.wraps(work)
            async def async_view(request: HttpRequest) -> HttpResponse:
                try:
                    args = accept(spec, request)
                    return respond(spec, request, args, await async_work(request, args), "async")
                except Exception as exc:  # mapped to 4xx/503, or re-raised as a bug
                    return error_response(exc)

            return async_view

        @functools.wraps(work)
        def sync_view(request: HttpRequest) -> HttpResponse:
            try:
                args = accept(spec, request)
                return respond(spec, request, args, work(request, args), "sync")
            except Exception as exc:
                return error_response(exc)

        return sync_view

    return decorate
