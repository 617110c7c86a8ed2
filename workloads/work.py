"""The work itself: pure functions with no opinion on how they are waited for."""
from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from typing import Any

import orjson
from django.conf import settings
from django.http import HttpRequest

from workloads.errors import ApiError

CHUNK_BYTES = 64 * 1024


def sleep_ms(ms: int) -> None:
    time.sleep(ms / 1000)


def sum_of_squares(n: int) -> int:
    """Pure-Python CPU work that holds the GIL: the sum of i*i for i below n."""
    return sum(i * i for i in range(n))


def sleep_then_compute(ms: int, n: int) -> int:
    sleep_ms(ms)
    return sum_of_squares(n)


@dataclass(frozen=True)
class Timed:
    """A work result with durations measured inside the server, in ms by metric name.

    The endpoint decorator unwraps it: ``value`` goes to the response body, ``timings`` to a
    ``Server-Timing`` header. Being a return value, it comes back from a thread pool too
    (a contextvar set there would not)."""

    value: Any
    timings: dict[str, float]


def compute(n: int) -> Timed:
    """``sum_of_squares`` timed as ``work``: the task length a claim (C2) is judged against,
    read in the server rather than guessed from response times."""
    started = time.perf_counter()
    result = sum_of_squares(n)
    return Timed(result, {"work": (time.perf_counter() - started) * 1000})


def parse_json(raw: bytes, parser: str) -> Timed:
    """Parse a JSON document; its top-level length (CPU work on the body), timed as ``parse``."""
    loads = orjson.loads if parser == "orjson" else json.loads
    try:
        started = time.perf_counter()
        value = loads(raw)
        parse_ms = (time.perf_counter() - started) * 1000
    except ValueError as exc:  # json.JSONDecodeError, orjson.JSONDecodeError, bad UTF-8
        raise ApiError(400, f"malformed JSON body: {exc}") from None
    except RecursionError:
        raise ApiError(400, "malformed JSON body: nested too deeply") from None
    if not isinstance(value, (list, dict)):
        raise ApiError(400, f"JSON body must be an array or an object, got {type(value).__name__}")
    return Timed(len(value), {"parse": parse_ms})


def digest_body(request: HttpRequest, mode: str) -> tuple[int, str]:
    """Size and SHA-256 of the request body, read all at once or in 64 KiB chunks.

    Under ASGI, Django has already received the whole body into a SpooledTemporaryFile
    (memory up to FILE_UPLOAD_MAX_MEMORY_SIZE, then disk) before the view runs, so
    "stream" streams from that spool, not from the socket. Under WSGI it reads the socket.
    """
    digest = hashlib.sha256()
    if mode == "buffer":
        data = read_body(request)
        digest.update(data)
        total = len(data)
    else:
        total = 0
        limit = settings.LAB_MAX_BODY_BYTES
        while chunk := request.read(CHUNK_BYTES):
            total += len(chunk)
            if total > limit:
                raise ApiError(413, f"request body exceeds the limit of {limit} bytes", limit=limit)
            digest.update(chunk)
        check_complete(request, total)
    return total, digest.hexdigest()


def read_body(request: HttpRequest) -> bytes:
    """The whole body, refused if shorter than declared."""
    data = request.body
    check_complete(request, len(data))
    return data


def check_complete(request: HttpRequest, received: int) -> None:
    """Refuse a body shorter than its Content-Length: under WSGI a client that gave up
    half-way would otherwise be served as if its half body were the whole upload."""
    declared = request.META.get("CONTENT_LENGTH") or ""
    if declared.isdigit() and received < int(declared):
        raise ApiError(400, f"request body truncated: received {received} of {declared} bytes")
