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

from workloads import native
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


_MIB = bytes(range(256)) * 4096  # one MiB, hashed over and over: no allocation per request


def hash_mib(mib: int) -> Timed:
    """SHA-256 over ``mib`` MiB, one MiB per call: C work that releases the GIL for each call
    (hashlib lets go of it above 2 KiB), so threads doing it run on every core. Timed as ``work``."""
    started = time.perf_counter()
    digest = hashlib.sha256()
    for _ in range(mib):
        digest.update(_MIB)
    return Timed(digest.hexdigest()[:16], {"work": (time.perf_counter() - started) * 1000})


def spin(n: int) -> Timed:
    """``n`` units (32 steps each) of the Cython loop in ``workloads.native`` (nogil); 404 where it was not built."""
    if native.spin is None:
        raise ApiError(404, native.SPIN_MISSING)
    started = time.perf_counter()
    result = native.spin(n)
    return Timed(str(result), {"work": (time.perf_counter() - started) * 1000})


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


class BodyReader:
    """A request body as it arrives: bounded by ``LAB_MAX_BODY_BYTES``, hashed and timed.

    Whichever adapter reads the body feeds it here chunk by chunk (Django's
    ``request.read``, Starlette's ``request.stream()``), so the limit, the digest and the
    truncation check are written once. Timed as ``first-chunk`` (ms until the first bytes
    came) and ``body`` (ms until the whole body was read and hashed): a body read from the
    socket while it arrives shows a ``first-chunk`` well below ``body`` when the client is
    slow; one that was spooled before the view ran shows both near zero."""

    def __init__(self, declared_length: str | None):
        self.declared_length = declared_length or ""
        self.limit: int = settings.LAB_MAX_BODY_BYTES
        self.received = 0
        self._digest = hashlib.sha256()
        self._started = time.perf_counter()
        self._first_ms: float | None = None

    def add(self, chunk: bytes) -> None:
        if not chunk:
            return
        if self._first_ms is None:
            self._first_ms = (time.perf_counter() - self._started) * 1000
        self.received += len(chunk)
        if self.received > self.limit:
            raise ApiError(413, f"request body exceeds the limit of {self.limit} bytes", limit=self.limit)
        self._digest.update(chunk)

    def done(self) -> Timed:
        """``(bytes, sha256 hex)``, refused if shorter than the declared Content-Length."""
        check_complete(self.declared_length, self.received)
        body_ms = (time.perf_counter() - self._started) * 1000
        first_ms = body_ms if self._first_ms is None else self._first_ms
        return Timed((self.received, self._digest.hexdigest()), {"first-chunk": first_ms, "body": body_ms})


def digest_body(request: HttpRequest, mode: str) -> Timed:
    """Size and SHA-256 of the request body, read all at once or in 64 KiB chunks.

    Under ASGI, Django has already received the whole body into a SpooledTemporaryFile
    (memory up to FILE_UPLOAD_MAX_MEMORY_SIZE, then disk) before the view runs, so
    "stream" streams from that spool, not from the socket. Under WSGI it reads the socket.
    """
    body = BodyReader(request.headers.get("content-length"))
    if mode == "buffer":
        body.add(request.body)
    else:
        while chunk := request.read(CHUNK_BYTES):
            body.add(chunk)
    return body.done()


def read_body(request: HttpRequest) -> bytes:
    """The whole body, refused if shorter than declared."""
    data = request.body
    check_complete(request.headers.get("content-length"), len(data))
    return data


def check_complete(declared_length: str | None, received: int) -> None:
    """Refuse a body shorter than its Content-Length: under WSGI a client that gave up
    half-way would otherwise be served as if its half body were the whole upload."""
    declared = declared_length or ""
    if declared.isdigit() and received < int(declared):
        raise ApiError(400, f"request body truncated: received {received} of {declared} bytes")
