"""What each handler gives up, shown in-process (no server, no load): python tradeoffs.py

1. thread: two requests one after the other, each with a thread-sensitive sync hop that sets a
   threading.local: which thread ran it, and whether the earlier request's value was still there.
2. slow-hop: 5 concurrent requests whose sync hop takes 200 ms: how long all five took.
3. linger: a request starts a task that makes a thread-sensitive sync call 50 ms after the
   response: what that call got.
"""
import asyncio
import time

import app  # configures Django (REPRO_VARIANT does not matter here: every handler is built below)
from django.core.handlers.asgi import ASGIHandler

HANDLERS = {"stock": ASGIHandler, "reuse": app.ReuseThreadASGIHandler, "shared": app.SharedThreadASGIHandler}


async def get(handler, path: str, query: str = "") -> bytes:
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
             "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": query.encode(),
             "root_path": "", "headers": [(b"host", b"localhost")], "client": ("127.0.0.1", 50000),
             "server": ("127.0.0.1", 8000)}
    messages = [{"type": "http.request", "body": b"", "more_body": False}]
    body = []

    async def receive():
        if messages:
            return messages.pop()
        await asyncio.Event().wait()  # the client never disconnects

    async def send(message):
        if message["type"] == "http.response.body":
            body.append(message.get("body", b""))

    await handler(scope, receive, send)
    return b"".join(body)


async def main():
    for name, cls in HANDLERS.items():
        handler = cls()
        print(f"== {name}")
        for tag in ("first", "second"):
            print(f"  /thread?tag={tag}: {(await get(handler, '/thread', f'tag={tag}')).decode()}")
        start = time.perf_counter()
        await asyncio.gather(*(get(handler, "/slow-hop", "ms=200") for _ in range(5)))
        print(f"  5 concurrent requests with a 200 ms sync hop: {time.perf_counter() - start:.2f} s")
        app.lingering.clear()
        await get(handler, "/linger")
        await asyncio.sleep(0.2)
        print(f"  a task outliving its request, sync hop after the response: {app.lingering}")


asyncio.run(main())
