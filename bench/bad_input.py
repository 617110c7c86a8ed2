"""Bad input sent over raw sockets to a running deployment, to record exactly what each
server answers (status, whether the body is the lab's JSON error, how long it took).

Raw sockets, because the interesting cases are the ones an HTTP client refuses to send:
a declared body that never comes, a truncated one, a chunked one over the limit, a
hundred duplicate headers, a request line that is not HTTP.
"""
from __future__ import annotations

import json
import socket
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class Case:
    name: str
    head: str  # request line and headers, without the final blank line
    body: bytes = b""
    half_close: bool = False  # shut our side after sending (a client that gave up)


def _chunked(size: int, piece: int = 65536) -> bytes:
    chunk = f"{piece:x}\r\n".encode() + b"z" * piece + b"\r\n"
    return chunk * (size // piece) + b"0\r\n\r\n"


JSON = "Content-Type: application/json\r\n"
CASES = (
    Case("non-integer parameter", "GET /api/io/sleep?ms=abc HTTP/1.1"),
    Case("out-of-range parameter", "GET /api/io/sleep?ms=99999 HTTP/1.1"),
    Case("unknown choice", "GET /api/db/read?driver=mysql HTTP/1.1"),
    Case("unknown parameter", "GET /api/ping?foo=1 HTTP/1.1"),
    Case("wrong method", "POST /api/ping HTTP/1.1\r\nContent-Length: 0"),
    Case("unknown path", "GET /api/nope HTTP/1.1"),
    Case("malformed JSON", f"POST /api/json HTTP/1.1\r\n{JSON}Content-Length: 6", b"[1, 2,"),
    Case("wrong content type", "POST /api/json HTTP/1.1\r\nContent-Type: text/plain\r\nContent-Length: 3", b"[1]"),
    Case("body over the limit, Content-Length", "POST /api/upload HTTP/1.1\r\nContent-Length: 17825792"),
    Case("body over the limit, chunked", "POST /api/upload HTTP/1.1\r\nTransfer-Encoding: chunked",
         _chunked(17 * 2**20)),
    Case("small chunked body", "POST /api/upload HTTP/1.1\r\nTransfer-Encoding: chunked", _chunked(65536)),
    Case("truncated body (client gives up)", "POST /api/upload HTTP/1.1\r\nContent-Length: 1000", b"x" * 500,
         half_close=True),
    Case("120 duplicate headers", "GET /api/ping HTTP/1.1\r\n" + "\r\n".join(["X-Dup: a"] * 120)),
    Case("Host not allowed", "GET /api/ping HTTP/1.1\r\nHost: evil.example"),
    Case("not HTTP at all", "HELLO THERE"),
)


def send(url: str, case: Case, timeout: float = 10.0) -> dict:
    host, port = url.removeprefix("http://").rsplit(":", 1)
    head = case.head
    if "\r\nHost:" not in head and case.name != "not HTTP at all":
        head += "\r\nHost: 127.0.0.1"
    start = time.perf_counter()
    data = b""
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=timeout) as s:
            try:
                s.sendall(head.encode() + b"\r\nConnection: close\r\n\r\n" + case.body)
                if case.half_close:
                    s.shutdown(socket.SHUT_WR)
            except OSError:
                pass  # the server answered and closed before the body was sent: read the answer
            while True:
                try:
                    chunk = s.recv(65536)
                except OSError:
                    break
                if not chunk:
                    break
                data += chunk
    except OSError as exc:
        return {"case": case.name, "status": None, "outcome": f"connection failed: {exc}", "json_error": False,
                "ms": round((time.perf_counter() - start) * 1000, 1)}
    elapsed = round((time.perf_counter() - start) * 1000, 1)
    if not data.startswith(b"HTTP/"):
        return {"case": case.name, "status": None, "outcome": "closed without an answer", "json_error": False,
                "ms": elapsed}
    status = int(data.split(b" ", 2)[1])
    head_part, _, body = data.partition(b"\r\n\r\n")
    if b"transfer-encoding: chunked" in head_part.lower():
        body = _dechunk(body)
    try:
        json_error = "error" in json.loads(body)
    except ValueError:
        json_error = False
    return {"case": case.name, "status": status, "outcome": f"{status}{' JSON error' if json_error else ''}",
            "json_error": json_error, "ms": elapsed}


def _dechunk(data: bytes) -> bytes:
    out = b""
    while data:
        size_line, _, rest = data.partition(b"\r\n")
        try:
            size = int(size_line.split(b";")[0], 16)
        except ValueError:
            break
        if size == 0:
            break
        out += rest[:size]
        data = rest[size + 2:]
    return out


def send_all(url: str) -> list[dict]:
    return [send(url, case) for case in CASES]
