"""Bad input on every server and prefix: a clear 4xx JSON error, never a 500, never a clamp."""
from __future__ import annotations

import socket

import pytest
import requests

from tests.conftest import launch

PREFIXES = ("api", "sync", "async")

# (method, path, query, body, content type, expected status)
BAD_REQUESTS = [
    ("GET", "io/sleep", "ms=abc", None, None, 400),
    ("GET", "io/sleep", "ms=-1", None, None, 400),
    ("GET", "io/sleep", "ms=60001", None, None, 400),  # io/sleep waits up to a minute (the in-flight grid)
    ("GET", "io/threadpool", "ms=10001", None, None, 400),  # the sleeps that hold a thread stop at 10 s
    ("GET", "io/sleep", "ms=1.5", None, None, 400),
    ("GET", "io/sleep", "ms=", None, None, 400),
    ("GET", "io/sleep", "ms=1&ms=2", None, None, 400),
    ("GET", "io/sleep", "ms=--5", None, None, 400),  # was a 500: int("--5") after "--5".lstrip("-").isdigit()
    ("GET", "io/sleep", "ms=%20%205", None, None, 400),  # was read as 5: int() strips whitespace
    ("GET", "cpu", "n=%C2%B2", None, None, 400),  # superscript two: str.isdigit() says yes
    ("GET", "io/sleep", "ms=" + "9" * 40, None, None, 400),  # longer than any bound: refused before int()
    ("GET", "io/blocking", "ms=99999", None, None, 400),
    ("GET", "cpu", "n=20000001", None, None, 400),
    ("GET", "mixed", "n=-5", None, None, 400),
    ("GET", "cpu/hash", "mib=0", None, None, 400),  # at least one MiB
    ("GET", "cpu/hash", "mib=4097", None, None, 400),
    ("GET", "cpu/cython", "n=20000001", None, None, 400),
    ("GET", "db/queries", "count=0", None, None, 400),
    ("GET", "db/queries", "count=501", None, None, 400),
    ("GET", "db/read", "driver=mysql", None, None, 400),
    ("GET", "ping", "foo=1", None, None, 400),
    ("POST", "upload", "mode=mmap", b"abc", None, 400),
    ("POST", "json", "parser=yaml", b"[]", "application/json", 400),
    ("POST", "json", "offload=2", b"[]", "application/json", 400),
    ("POST", "json", "", b"[1, 2,", "application/json", 400),
    ("POST", "json", "parser=orjson", b"{'a': 1}", "application/json", 400),
    ("POST", "json", "", b"3", "application/json", 400),
    ("POST", "json", "", b"\xff\xfe", "application/json", 400),
    ("POST", "json", "", b"[1]", "text/plain", 415),
    ("POST", "ping", "", None, None, 405),
    ("GET", "db/write", "", None, None, 405),
    ("GET", "upload", "", None, None, 405),
    ("DELETE", "json", "", None, None, 405),
    ("GET", "stream/events", "n=0", None, None, 400),
    ("GET", "stream/events", "n=--5", None, None, 400),
    ("GET", "stream/events", "every_ms=60001", None, None, 400),
    ("GET", "stream/events", "schedule=often", None, None, 400),
    ("POST", "stream/events", "", None, None, 405),
    ("GET", "stream/open", "n=1", None, None, 400),
    ("GET", "io/upstream", "client=sometimes", None, None, 400),
    ("GET", "io/upstream", "ms=60001", None, None, 400),
    ("POST", "io/upstream", "", None, None, 405),
    ("GET", "handover", "how=forked", None, None, 400),
    ("GET", "handover", "work=disk", None, None, 400),
    ("GET", "handover", "ms=10001", None, None, 400),
    ("GET", "handover", "n=2000001", None, None, 400),
    ("GET", "handover", "how=shared&how=shared", None, None, 400),
    ("POST", "handover", "", None, None, 405),
    ("GET", "nope", "", None, None, 404),
    ("GET", "db", "", None, None, 404),
]


@pytest.mark.parametrize("method,path,query,body,ctype,status", BAD_REQUESTS,
                         ids=[f"{m} {p}?{q}->{s}" for m, p, q, _, _, s in BAD_REQUESTS])
def test_bad_request_gets_a_json_error(server, method, path, query, body, ctype, status):
    for prefix in PREFIXES:
        headers = {"Content-Type": ctype} if ctype else {}
        r = requests.request(method, f"{server.url}/{prefix}/{path}?{query}", data=body, headers=headers,
                             timeout=10)
        assert r.status_code == status, (prefix, r.text)
        assert r.headers["Content-Type"] == "application/json", prefix
        assert r.json()["error"], prefix
        if status == 405:
            assert r.headers["Allow"], prefix


def test_an_integer_past_ints_digit_limit_is_a_4xx_naming_the_parameter(server):
    """int() raises ValueError past 4,300 digits (a 500 on Uvicorn before); a server may refuse
    so long a request line itself (Gunicorn: 414), else the lab answers 400."""
    for prefix in PREFIXES:
        r = requests.get(f"{server.url}/{prefix}/io/sleep?ms={'1' * 4301}", timeout=10)
        assert r.status_code in (400, 414), (prefix, r.status_code, r.text[:200])
        if r.status_code == 400:
            assert "'ms'" in r.json()["error"], prefix


def test_unknown_path_outside_prefixes_is_json_404(server):
    for path in ("/", "/nope", "/api/", "/api/ping/"):
        r = requests.get(server.url + path, timeout=10)
        assert r.status_code == 404 and "error" in r.json(), path


def raw_request(url: str, head: str, body: bytes = b"") -> tuple[int, bytes]:
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as s:
        s.sendall(head.encode() + b"\r\n" + body)
        data = b""
        while b"\r\n\r\n" not in data or len(data.split(b"\r\n\r\n", 1)[1]) == 0:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    status = int(data.split(b" ", 2)[1])
    return status, data.split(b"\r\n\r\n", 1)[1]


def test_oversized_body_is_refused_from_its_content_length_before_reading(server):
    """The body is never sent: the server must answer 413 from the header alone."""
    for prefix in PREFIXES:
        head = (f"POST /{prefix}/upload HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                f"Content-Length: {17 * 1024 * 1024}\r\nConnection: close\r\n")
        status, body = raw_request(server.url, head)
        assert status == 413, (prefix, body)
        assert b"exceeds the limit" in body


@pytest.fixture(scope="module")
def small_limit_servers(database, monkeypatch_module):
    monkeypatch_module.setenv("LAB_MAX_BODY_BYTES", str(64 * 1024))
    servers = [launch("gunicorn", workers=1, threads=2), launch("uvicorn", workers=1)]
    yield {s.deployment.interface: s for s in servers}
    for s in servers:
        s.stop()


@pytest.fixture(scope="module")
def monkeypatch_module():
    mp = pytest.MonkeyPatch()
    yield mp
    mp.undo()


def chunked(data: bytes, size: int = 8192) -> bytes:
    parts = [f"{len(data[i:i + size]):x}\r\n".encode() + data[i:i + size] + b"\r\n"
             for i in range(0, len(data), size)]
    return b"".join(parts) + b"0\r\n\r\n"


def test_chunked_bodies(small_limit_servers):
    """ASGI counts a chunked body and refuses it past the limit; WSGI refuses chunked bodies
    outright (411), because Django's WSGIRequest would silently read them as empty."""
    head = "POST /api/upload HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n"
    asgi, wsgi = small_limit_servers["asgi"], small_limit_servers["wsgi"]
    status, body = raw_request(asgi.url, head, chunked(b"y" * 100 * 1024))
    assert status == 413, body
    status, body = raw_request(asgi.url, head, chunked(b"y" * 1000))
    assert status == 200 and b'"bytes":1000' in body, body
    status, body = raw_request(wsgi.url, head, chunked(b"y" * 1000))
    assert status == 411, body
