"""Gunicorn settings shared by the gthread (WSGI) and UvicornWorker (ASGI) deployments.

Only production-like choices; workers, threads and bind come from ``manage.py serve``.
"""
import gc
import os

from groundwork.names import GC_FREEZE_ENV

accesslog = None  # an access log line per request would be measured too
errorlog = "-"
loglevel = "warning"
timeout = 60  # longest endpoint: io/sleep 10 s, cpu with n=20M takes a few seconds
graceful_timeout = 10
keepalive = 5
worker_tmp_dir = "/dev/shm"  # heartbeat file off the disk, as Gunicorn's docs advise


def pre_fork(server, worker):
    """With the app preloaded (``--preload``) and ``LAB_GC_FREEZE`` set: every object the master
    made moves to the collector's permanent generation before the fork, so that a worker's garbage
    collections never write to (and so copy) the pages it shares with the master (the gc docs'
    advice for fork without exec)."""
    if os.environ.get(GC_FREEZE_ENV) == "1":
        gc.freeze()
