"""``whoami``: which process, thread and event loop served this request (claims C4, C7, C9)."""
from __future__ import annotations

import asyncio
import os
import sys
import threading

import psutil

# The frameworks whose adapters serve the catalogue (``whoami`` reports which one did).
DJANGO = "django"
FASTAPI = "fastapi"

def identify(interface: str, framework: str) -> dict:
    """Describe the execution context *of the caller*: call it where the view runs.
    ``interface`` is "wsgi" or "asgi"; ``framework`` the one whose adapter served the request."""
    try:
        loop = asyncio.get_running_loop()
        event_loop = {"id": id(loop), "class": f"{type(loop).__module__}.{type(loop).__qualname__}"}
    except RuntimeError:
        event_loop = None
    current = threading.current_thread()
    return {
        "pid": os.getpid(),
        "thread_id": threading.get_ident(),
        "thread_name": current.name,
        "is_main_thread": current is threading.main_thread(),
        "event_loop": event_loop,
        "process_threads": psutil.Process().num_threads(),  # OS threads, not only Python's
        "interface": interface,
        "framework": framework,
        "switch_interval_s": sys.getswitchinterval(),  # how often a thread is asked to give up the GIL
        "deployment": os.environ.get("LAB_DEPLOYMENT", ""),  # e.g. gunicorn-2w x8t:8001, set by deploy
    }
