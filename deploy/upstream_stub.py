"""The upstream stub: "another service" for ``io/upstream`` (C15), answering ``GET /wait?ms=N``
after N ms with ``{"waited_ms": N}``.

A raw ASGI callable on Uvicorn (uvloop, httptools, no lifespan, no access log, keep-alive longer
than any wait): thousands of waits in flight cost it a timer each. The runner starts it pinned to
the load generator's core (never the server's) and checks it is never the limit: its own CPU is
sampled beside the server's. ``/wait?ms=N&status=S`` answers with status S instead (the tests'
"upstream answers an error"); anything else is a 404.

    python -m deploy.upstream_stub --port 8010
"""
from __future__ import annotations

import argparse
import asyncio
from urllib.parse import parse_qs

MAX_MS = 600_000


async def app(scope, receive, send) -> None:
    if scope["type"] != "http":
        return
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    status, body = 404, b'{"error": "no such path"}'
    if scope["path"] == "/wait":
        try:
            ms = int(query.get("ms", ["0"])[0])
            answer = int(query.get("status", ["200"])[0])
        except ValueError:
            ms, answer = -1, 400
        if 0 <= ms <= MAX_MS and 200 <= answer <= 599:
            await asyncio.sleep(ms / 1000)
            status, body = answer, b'{"waited_ms": %d}' % ms
        else:
            status, body = 400, b'{"error": "ms must be 0..600000, status 200..599"}'
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


def main(argv: list[str] | None = None) -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--backlog", type=int, default=4096)
    o = parser.parse_args(argv)
    uvicorn.run(app, host=o.host, port=o.port, loop="uvloop", http="httptools", lifespan="off", access_log=False,
                log_level="warning", backlog=o.backlog, timeout_keep_alive=MAX_MS // 1000)


if __name__ == "__main__":
    main()
