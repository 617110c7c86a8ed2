"""Where a request's CPU time goes in a server at saturation, from a py-spy profile.

    .venv/bin/python scripts/profile_server.py uvicorn /async/ping [--env LAB_ASGI_TWEAK=reuse-thread]

Starts one worker pinned to CPU 0 (``manage.py serve``), loads it with ``wrk -t1 -c32`` pinned
to CPU 1, records the worker with ``py-spy record --nonblocking --format raw`` (every thread;
samples of threads that wait are left out) and sorts each sample into a layer by its innermost frame that belongs to one:
a sample inside ``threading.py`` called by asgiref counts as "threads", one inside Django's
request class as "request building". Prints the layers' shares of the worker's CPU samples,
then the leaf functions with the most samples. ``--raw FILE`` summarises an existing profile.
"""
from __future__ import annotations

import argparse
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# (layer, pattern on "function (file:line)"); the innermost matching frame of a sample decides.
LAYERS: list[tuple[str, re.Pattern]] = [(name, re.compile(pattern)) for name, pattern in [
    ("signals (request_started/finished receivers)", r"django/dispatch/|django/db/__init__\.py|close_old_connections|reset_queries|reset_urlconf"),
    ("threads: start, join, hand-over (asgiref, executors)", r"asgiref/|concurrent/futures/|/threading\.py|_thread"),
    ("request building (ASGIRequest, QueryDict, headers)", r"django/http/request\.py|django/core/handlers/asgi\.py:\d+\)$|ASGIRequest|create_request|django/utils/datastructures"),
    ("response (HttpResponse, headers, JSON)", r"django/http/response\.py|orjson|send_response|json_response"),
    ("view + endpoint (lab code)", r"/workloads/|/async_views/|/sync_views/"),
    ("URL resolving, handler (get_response_async)", r"django/urls/|django/core/handlers/base\.py|django/core/handlers/exception\.py"),
    ("ORM / DB driver", r"django/db/|psycopg|django_async_backend"),
    ("ASGI handler (Django asgi.py: handle, body, TaskGroup)", r"django/core/handlers/asgi\.py|tempfile\.py"),
    ("server (Uvicorn protocol, httptools)", r"uvicorn/|httptools"),
    ("event loop (asyncio/uvloop scheduling, tasks)", r"asyncio/|uvloop|contextvars"),
]]
OTHER = "other"
# Leaves where a thread waits, not runs: py-spy cannot always tell an idle thread (e.g. an
# executor's worker blocked on its queue) from a running one, so these samples are left out.
WAITING = re.compile(r"^(_worker \(concurrent/futures/thread\.py:\d+\)|Condition\.wait |Event\.wait |"
                     r"Thread\._wait_for_tstate_lock |Thread\.join |select |_run_once \(asyncio)")


def classify(stack: list[str]) -> str:
    if not stack:  # a thread with no Python frame: being started or torn down
        return LAYERS[1][0]
    for frame in reversed(stack):  # innermost first
        for name, pattern in LAYERS:
            if pattern.search(frame):
                return name
    return OTHER


def summarise(raw: str, top: int = 15) -> str:
    layers, leaves, threads = Counter(), Counter(), Counter()
    total = waiting = 0
    for line in raw.splitlines():
        stack_text, _, count = line.rpartition(" ")
        if not stack_text or not count.isdigit():
            continue
        stack, n = stack_text.split(";"), int(count)
        if WAITING.match(stack[-1]):
            waiting += n
            continue
        total += n
        thread = stack[0]
        threads["main thread" if "MainThread" in thread else "other threads"] += n
        layers[classify(stack[1:])] += n
        leaves[stack[-1]] += n
    if not total:
        return "no samples"
    out = [f"{total} CPU samples of the worker ({waiting} samples of waiting threads left out)"]
    out += [f"  {n / total:6.1%}  {name}" for name, n in threads.most_common()]
    out.append("by layer (innermost frame that belongs to one):")
    out += [f"  {n / total:6.1%}  {name}" for name, n in layers.most_common()]
    out.append(f"top {top} leaf functions:")
    out += [f"  {n / total:6.1%}  {leaf[:110]}" for leaf, n in leaves.most_common(top)]
    return "\n".join(out)


def worker_pid(serve: subprocess.Popen) -> int:
    """The process that serves: Uvicorn with one worker is the server itself; Gunicorn's worker
    is the newest child of its master."""
    children = subprocess.run(["pgrep", "-P", str(serve.pid)], capture_output=True, text=True).stdout.split()
    server = int(children[0])
    workers = subprocess.run(["pgrep", "-n", "-P", str(server)], capture_output=True, text=True).stdout.split()
    return int(workers[0]) if workers else server


def profile(server: str, path: str, env: list[str], seconds: int, port: int) -> str:
    extra = {k: v for k, _, v in (item.partition("=") for item in env)}
    argv = [sys.executable, "manage.py", "serve", server, "--workers", "1", "--cpus", "0", "--port", str(port)]
    serve = subprocess.Popen(argv, cwd=ROOT, env={**os.environ, **extra}, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL, start_new_session=True)
    url = f"http://127.0.0.1:{port}{path}"
    try:
        for _ in range(150):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/api/ping", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        wrk = ["taskset", "-c", "1", "wrk", "-t1", "-c32"]
        subprocess.run([*wrk, "-d2s", url], check=True, capture_output=True)  # warm-up
        load = subprocess.Popen([*wrk, f"-d{seconds + 2}s", url], stdout=subprocess.PIPE, text=True)
        time.sleep(1)
        with tempfile.NamedTemporaryFile(suffix=".txt", delete=False) as f:
            out = f.name
        subprocess.run([str(ROOT / ".venv/bin/py-spy"), "record", "--pid", str(worker_pid(serve)), "--duration",
                        str(seconds), "--rate", "200", "--threads", "--nonblocking", "--format", "raw",
                        "-o", out], check=True, capture_output=True)
        rps = re.search(r"Requests/sec:\s+(\S+)", load.communicate()[0])
        raw = Path(out).read_text()
        print(f"profile kept in {out}; wrk: {rps.group(1) if rps else '?'} requests/s (while sampled)")
        return raw
    finally:
        os.killpg(serve.pid, signal.SIGTERM)
        serve.wait(30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("server", nargs="?", default="uvicorn", choices=["uvicorn", "gunicorn"])
    parser.add_argument("path", nargs="?", default="/async/ping")
    parser.add_argument("--env", action="append", default=[], help="NAME=VALUE for the server (repeatable)")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--port", type=int, default=8191)
    parser.add_argument("--raw", help="summarise this py-spy raw profile instead of recording one")
    args = parser.parse_args()
    raw = Path(args.raw).read_text() if args.raw else profile(args.server, args.path, args.env, args.seconds, args.port)
    print(summarise(raw))


if __name__ == "__main__":
    main()
