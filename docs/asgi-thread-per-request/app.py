"""A whole Django project in one module: settings, URLs, two async views, three ASGI handlers.

    REPRO_VARIANT=stock  uvicorn app:application   # Django's ASGIHandler as shipped
    REPRO_VARIANT=reuse  uvicorn app:application   # same, per-request thread borrowed from a free list
    REPRO_VARIANT=shared uvicorn app:application   # no per-request context: one thread for all requests

No database, no middleware, DEBUG off. Django still connects its own signal receivers
(django/db/__init__.py, django/core/cache/__init__.py, django/core/handlers/base.py), which are
synchronous: every request makes two thread-sensitive sync_to_async hops, one for
``request_started`` and one for ``response.close()`` (which sends ``request_finished``).
"""
from __future__ import annotations

import asyncio
import os
import threading
import time
from collections import deque
from concurrent.futures import Executor, Future, ThreadPoolExecutor

import django
from asgiref.sync import sync_to_async
from django.conf import settings
from django.http import HttpResponse
from django.urls import path

VARIANTS = ("stock", "reuse", "shared")
VARIANT = os.environ.get("REPRO_VARIANT", "stock")
if VARIANT not in VARIANTS:
    raise SystemExit(f"REPRO_VARIANT={VARIANT!r}: choose one of {', '.join(VARIANTS)}")

settings.configure(
    DEBUG=False,
    ALLOWED_HOSTS=["*"],
    SECRET_KEY="reproducer-not-secret",
    ROOT_URLCONF=__name__,
    DATABASES={},
    INSTALLED_APPS=[],
    MIDDLEWARE=[],
    USE_TZ=True,
)
django.setup()


async def sleep(request):
    ms = int(request.GET.get("ms", "0"))
    await asyncio.sleep(ms / 1000)
    return HttpResponse(b"ok", content_type="text/plain")


async def ping(request):
    return HttpResponse(b"pong", content_type="text/plain")


# --- for tradeoffs.py only (not used by the load): what each handler does with sync code -----
request_local = threading.local()
lingering: list[str] = []  # what a task that outlives its request got from a sync hop


async def thread(request):
    """The thread the request's thread-sensitive sync code runs in, and what a thread-local
    set by an earlier request on that thread still holds."""

    def hop():
        previous = getattr(request_local, "value", None)
        request_local.value = request.GET.get("tag", "")
        return f"{threading.current_thread().name} {threading.get_ident()} previous={previous}"

    return HttpResponse(await sync_to_async(hop)(), content_type="text/plain")


async def slow_hop(request):
    """A thread-sensitive sync call that takes ms milliseconds (an ORM query, say)."""
    await sync_to_async(time.sleep)(int(request.GET.get("ms", "100")) / 1000)
    return HttpResponse(b"ok", content_type="text/plain")


async def linger(request):
    """Starts a task that makes a thread-sensitive sync call after the response is sent."""

    async def later():
        await asyncio.sleep(0.05)
        try:
            ident = await sync_to_async(threading.get_ident)()
            lingering.append(f"ran in thread {ident}")
        except RuntimeError as exc:
            lingering.append(f"RuntimeError: {exc}")

    task = asyncio.create_task(later())
    lingering_tasks.add(task)
    task.add_done_callback(lingering_tasks.discard)
    return HttpResponse(b"ok", content_type="text/plain")


lingering_tasks: set = set()

urlpatterns = [
    path("sleep", sleep),
    path("ping", ping),
    path("thread", thread),
    path("slow-hop", slow_hop),
    path("linger", linger),
]


# --- the handlers ---------------------------------------------------------------------------
from asgiref.sync import ThreadSensitiveContext  # noqa: E402
from django.core.asgi import get_asgi_application  # noqa: E402
from django.core.handlers.asgi import ASGIHandler  # noqa: E402


class BorrowedThread(Executor):
    """One request's thread-sensitive executor: a single-thread executor taken from a free
    list at the request's first sync hop (or made if the list is empty), given back when the
    request ends. Threads are never shut down: they live as long as the worker process."""

    idle: deque[ThreadPoolExecutor] = deque()
    made = 0

    def __init__(self) -> None:
        self.worker: ThreadPoolExecutor | None = None

    def submit(self, fn, /, *args, **kwargs) -> Future:
        if self.worker is None:
            try:
                self.worker = self.idle.pop()
            except IndexError:
                BorrowedThread.made += 1
                self.worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="request")
        return self.worker.submit(fn, *args, **kwargs)

    def give_back(self) -> None:
        if self.worker is not None:
            self.idle.append(self.worker)
            self.worker = None


class ReuseThreadASGIHandler(ASGIHandler):
    """ASGIHandler whose per-request ThreadSensitiveContext runs on a reused thread
    (asgiref >= 3.13: ThreadSensitiveContext(executor=...) does not shut the executor down)."""

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await super().__call__(scope, receive, send)  # raises, as Django does
        executor = BorrowedThread()
        try:
            async with ThreadSensitiveContext(executor=executor):
                await self.handle(scope, receive, send)
        finally:
            executor.give_back()


class SharedThreadASGIHandler(ASGIHandler):
    """ASGIHandler without a per-request ThreadSensitiveContext: every thread-sensitive hop of
    every request goes to asgiref's one process-wide SyncToAsync.single_thread_executor."""

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await super().__call__(scope, receive, send)
        await self.handle(scope, receive, send)


if VARIANT == "stock":
    application = get_asgi_application()
else:
    application = {"reuse": ReuseThreadASGIHandler, "shared": SharedThreadASGIHandler}[VARIANT]()
