"""One valid request per endpoint, and the response fields the catalogue in docs/endpoints.md lists."""
from __future__ import annotations

from dataclasses import dataclass, field

import requests


@dataclass(frozen=True)
class Example:
    path: str
    method: str = "GET"
    query: dict = field(default_factory=dict)
    body: bytes | None = None
    content_type: str | None = None
    status: int = 200
    fields: frozenset = frozenset()

    def send(self, base_url: str, prefix: str, timeout: float = 30) -> requests.Response:
        headers = {"Content-Type": self.content_type} if self.content_type else {}
        return requests.request(self.method, f"{base_url}/{prefix}/{self.path}", params=self.query,
                                data=self.body, headers=headers, timeout=timeout)


def f(*names: str) -> frozenset:
    return frozenset(("view", *names))


EXAMPLES = [
    Example("ping", fields=f("ok")),
    Example("whoami", fields=f("pid", "thread_id", "thread_name", "is_main_thread", "event_loop",
                               "process_threads", "interface", "framework", "switch_interval_s",
                               "deployment")),
    Example("io/sleep", query={"ms": 20}, fields=f("slept_ms")),
    Example("io/blocking", query={"ms": 20}, fields=f("slept_ms")),
    Example("io/threadpool", query={"ms": 20}, fields=f("slept_ms")),
    Example("io/background", query={"ms": 20}, status=202, fields=f("accepted", "ms", "call")),
    Example("io/background", query={"ms": 20, "call": "blocking"}, status=202, fields=f("accepted", "ms", "call")),
    Example("io/gather", query={"n": 500, "ms": 20}, fields=f("n", "ms", "uss_before", "uss_during")),
    Example("cpu", query={"n": 1000}, fields=f("n", "result")),
    Example("cpu/offload", query={"n": 1000}, fields=f("n", "result")),
    Example("cpu/hash", query={"mib": 1}, fields=f("mib", "digest")),
    Example("cpu/cython", query={"n": 1000}, fields=f("n", "result")),
    Example("mixed", query={"ms": 10, "n": 1000}, fields=f("ms", "n", "result")),
    Example("db/read", fields=f("id", "randomnumber", "driver")),
    Example("db/read", query={"driver": "native"}, fields=f("id", "randomnumber", "driver")),
    Example("db/queries", query={"count": 5}, fields=f("rows", "driver")),
    Example("db/queries", query={"count": 5, "driver": "native"}, fields=f("rows", "driver")),
    Example("db/sleep", query={"ms": 20}, fields=f("slept_ms", "driver")),
    Example("db/sleep", query={"ms": 20, "driver": "native"}, fields=f("slept_ms", "driver")),
    Example("db/write", method="POST", fields=f("id", "randomnumber", "write_id", "driver")),
    Example("db/write", method="POST", query={"driver": "native"},
            fields=f("id", "randomnumber", "write_id", "driver")),
    Example("upload", method="POST", body=b"x" * 1000, fields=f("bytes", "sha256", "mode")),
    Example("upload", method="POST", query={"mode": "stream"}, body=b"x" * 1000,
            fields=f("bytes", "sha256", "mode")),
    Example("json", method="POST", body=b'{"a": 1, "b": [1, 2]}', content_type="application/json",
            fields=f("items", "parser", "offload")),
    Example("json", method="POST", query={"parser": "orjson", "offload": 1}, body=b"[1, 2, 3]",
            content_type="application/json", fields=f("items", "parser", "offload")),
    Example("stream/open", fields=f("open")),
    Example("io/upstream", query={"ms": 20}, fields=f("ms", "client")),
    Example("io/upstream", query={"ms": 20, "client": "per-request"}, fields=f("ms", "client")),
    Example("io/upstream", query={"ms": 20, "client": "offloaded"}, fields=f("ms", "client")),
    # the hand-overs every view flavour has (to-thread, sync-to-async: async views only, tests/system/test_handover_endpoint.py)
    Example("handover", query={"ms": 5}, fields=f("how", "work", "ms", "n", "result")),
    Example("handover", query={"how": "per-request", "work": "cpu", "n": 1000}, fields=f("how", "work", "ms", "n", "result")),
]
# Endpoints that answer with a stream, not a JSON object (tests/system/test_streams.py).
STREAM_PATHS = {"stream/events"}


def cheap_stream_query(path: str, query: dict) -> dict:
    """A stream's query made short for tests that send many requests and read whole answers: one
    event, at once, unless the query says otherwise (a stream of the default ten one-second events
    would take ten seconds, and a mismatched flavour sends nothing until the end)."""
    if path not in STREAM_PATHS:
        return query
    return {"n": ["1"], "every_ms": ["0"], **query}


def example_id(example: Example) -> str:
    return example.path + ("?" + "&".join(f"{k}={v}" for k, v in example.query.items()) if example.query else "")
