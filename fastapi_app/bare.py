"""The bottom rung of the tax ladder: a raw ASGI callable, no framework at all.

It serves ``ping`` and ``db/read`` (native async pool) under ``/api/`` and ``/async/`` with the
catalogue's rules, shapes and errors (``fastapi_app.serving``), answers anything else with the
lab's JSON 404, and speaks the lifespan protocol to open the native pool per worker. What it
does per request is only what any ASGI app must: find the route, parse the query string, send
two messages. So the CPU a request costs here is the server's (Uvicorn, uvloop, httptools)
plus the lab's own checks, the floor every framework above is measured from.
"""
from __future__ import annotations

from urllib.parse import parse_qs

from config.body_guard import BodyLimitGuard
from config.loop_lag import watched
from fastapi_app.serving import PREFIXES, REFERENCE_ENDPOINTS, answer, raw_host
from workloads import db_async
from workloads.errors import Reply, no_endpoint

ROUTES = {f"/{prefix}/{spec.path}": (spec, work) for prefix in PREFIXES for spec, work in REFERENCE_ENDPOINTS}


class QueryParams(dict):
    """name -> every value given, in order: the multi-valued mapping ``parse_query`` reads."""

    def getlist(self, key: str) -> list[str]:
        return self.get(key, [])


def query_params(raw: bytes) -> QueryParams:
    # Percent-decoded as UTF-8, undecodable bytes replaced: what Django's QueryDict does.
    return QueryParams(parse_qs(raw.decode("latin-1"), keep_blank_values=True, encoding="utf-8", errors="replace"))


async def send_reply(send, reply: Reply) -> None:
    body = reply.body
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    headers += [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in reply.headers.items()]
    await send({"type": "http.response.start", "status": reply.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def lifespan(receive, send) -> None:
    """The worker's native pool opens at start-up and closes at shutdown, as FastAPI's does."""
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            try:
                await db_async.open_loop_pool()
            except Exception as exc:  # the server reports it and exits: no worker without its pool
                await send({"type": "lifespan.startup.failed", "message": f"{type(exc).__name__}: {exc}"})
                return
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await db_async.close_loop_pool()
            await send({"type": "lifespan.shutdown.complete"})
            return


async def bare_application(scope, receive, send) -> None:
    if scope["type"] == "lifespan":
        return await lifespan(receive, send)
    if scope["type"] != "http":  # websockets: not served (closing the handshake refuses it)
        return None
    route = ROUTES.get(scope["path"])
    if route is None:
        return await send_reply(send, no_endpoint(scope["path"]))
    spec, work = route
    # ASGI servers give header names lower-cased; a later duplicate wins, as in a dict of headers.
    headers = {name.decode("latin-1"): value.decode("latin-1") for name, value in scope["headers"]}
    reply = await answer(spec, scope["method"], query_params(scope["query_string"]), headers,
                         raw_host(headers.get("host"), scope.get("server")), work)
    await send_reply(send, reply)


application = watched(BodyLimitGuard(bare_application))  # lag measured only for the bench runner
