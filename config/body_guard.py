"""ASGI middleware: refuse a body over ``LAB_MAX_BODY_BYTES`` before Django reads it.

Django's ASGI handler receives the *whole* body into a spooled temporary file before any
view runs, with no size limit of its own, so a view cannot refuse an oversized upload
until it has been stored. This guard answers 413 from the ``Content-Length`` header, or,
for a chunked body, as soon as the running count passes the limit. It costs one header
scan per request and wraps ``receive`` only for bodies without a length.
"""
from __future__ import annotations

import orjson
from django.conf import settings


class _BodyTooLarge(Exception):
    pass


class BodyLimitGuard:
    def __init__(self, app):
        self.app = app
        self.limit: int = settings.LAB_MAX_BODY_BYTES

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        chunked = False
        for name, value in scope["headers"]:
            if name == b"content-length":
                if value.isdigit() and int(value) > self.limit:
                    return await self._refuse(send, int(value))
                return await self.app(scope, receive, send)
            if name == b"transfer-encoding":
                chunked = True
        if not chunked:
            return await self.app(scope, receive, send)

        seen = 0

        async def counting_receive():
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise _BodyTooLarge
            return message

        try:
            await self.app(scope, counting_receive, send)
        except _BodyTooLarge:
            await self._refuse(send, None)

    async def _refuse(self, send, declared: int | None) -> None:
        what = f"request body of {declared} bytes" if declared is not None else "chunked request body"
        body = orjson.dumps({"error": f"{what} exceeds the limit of {self.limit} bytes",
                             "limit": self.limit})
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(body)).encode()),
                                (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": body})
