"""handover (C11): what each hand-over does on a real server, counted, never timed. A pool opened per
request starts a thread per request and the shared pool starts none; the thread-start counter that
shows it (config.thread_starts) is read the way the sampler reads it; LAB_DEFAULT_EXECUTOR_THREADS
bounds what to_thread starts; a sync view refuses the async-only hand-overs."""
from __future__ import annotations

import os
import subprocess
from concurrent.futures import ThreadPoolExecutor
import sys
import textwrap

import pytest
import requests

from bench.sampler import ServerSampler
from config.thread_starts import ENV as THREAD_STARTS_ENV, read_thread_starts
from tests.conftest import launch

REQUESTS = 40


def started(running, directory) -> int:
    counts = [read_thread_starts(directory, pid) for pid in running.worker_pids()]
    assert counts and None not in counts, counts  # every worker counts
    return sum(counts)


def threads_started_by(running, directory, how: str) -> int:
    """Threads the workers started over REQUESTS sequential requests handed over ``how``."""
    url = f"{running.url}/api/handover"
    params = {"how": how, "work": "blocking", "ms": 1}
    assert requests.get(url, params=params, timeout=10).status_code == 200  # the pool's first thread, made
    before = started(running, directory)
    for _ in range(REQUESTS):
        r = requests.get(url, params=params, timeout=10)
        assert r.status_code == 200 and r.json()["how"] == how, r.text
    return started(running, directory) - before


@pytest.mark.parametrize("server", ["uvicorn", "fastapi"])
def test_a_pool_per_request_starts_a_thread_per_request_the_shared_pool_none(database, tmp_path, server):
    """Stock Django ASGI starts threads of its own per request (a thread-sensitive context each):
    per-request is told from shared by the difference, one thread per request. FastAPI starts none
    of its own, so there the shared pool's count is itself near zero."""
    directory = tmp_path / "thread-starts"
    running = launch(server, workers=1, extra_env={THREAD_STARTS_ENV: str(directory)})
    try:
        shared = threads_started_by(running, directory, "shared")
        per_request = threads_started_by(running, directory, "per-request")
    finally:
        running.stop()
    assert per_request - shared >= 0.9 * REQUESTS, (per_request, shared)
    assert per_request - shared <= 1.1 * REQUESTS, (per_request, shared)  # one, not more
    if server == "fastapi":
        assert shared <= 0.1 * REQUESTS, shared


def test_a_server_not_asked_counts_nothing(uvicorn, tmp_path):
    assert requests.get(f"{uvicorn.url}/api/handover", params={"ms": 0}, timeout=10).status_code == 200
    assert all(read_thread_starts(tmp_path, pid) is None for pid in uvicorn.worker_pids())


@pytest.mark.parametrize("how", ["per-request", "shared", "to-thread", "sync-to-async"])
@pytest.mark.parametrize("work", ["blocking", "cpu"])
def test_every_hand_over_of_every_work_answers_from_async_views(servers, how, work):
    for running in servers.values():
        r = requests.get(f"{running.url}/async/handover", params={"how": how, "work": work, "ms": 1, "n": 1000},
                         timeout=10)
        assert r.status_code == 200, (running.deployment.label, r.text)
        assert r.json()["result"] == (sum(i * i for i in range(1000)) if work == "cpu" else None)


def test_a_sync_view_refuses_the_async_only_hand_overs(servers):
    for running in servers.values():
        for how in ("to-thread", "sync-to-async"):
            r = requests.get(f"{running.url}/sync/handover", params={"how": how}, timeout=10)
            assert r.status_code == 400 and "async views only" in r.json()["error"], (running.deployment.label, how)
        for how in ("per-request", "shared"):
            r = requests.get(f"{running.url}/sync/handover", params={"how": how, "ms": 1}, timeout=10)
            assert r.status_code == 200 and r.json()["view"] == "sync", (running.deployment.label, how)


STARTER = textwrap.dedent("""
    import os, sys, threading
    from config import thread_starts
    thread_starts.install()
    for _ in range(7):
        t = threading.Thread(target=lambda: None); t.start(); t.join()
    if os.fork() == 0:  # a worker forked after the hook: counts its own starts under its own pid
        for _ in range(3):
            t = threading.Thread(target=lambda: None); t.start(); t.join()
        print("ready", flush=True)
        sys.stdin.readline()
        os._exit(0)
    sys.stdin.readline()
    os.wait()
""")


def test_the_sample_sums_the_thread_starts_of_the_process_tree(monkeypatch, tmp_path):
    monkeypatch.setattr(ServerSampler, "_db_connections", lambda self: None)  # no PostgreSQL needed here
    proc = subprocess.Popen([sys.executable, "-c", STARTER], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                            env={**os.environ, THREAD_STARTS_ENV: str(tmp_path)})
    try:
        assert proc.stdout.readline().strip() == "ready"
        counted = ServerSampler(proc.pid, "djlab-test-sampler", None, thread_starts_dir=str(tmp_path)).take()
        uncounted = ServerSampler(proc.pid, "djlab-test-sampler", None).take()
    finally:
        proc.communicate("\n\n", timeout=10)
    assert counted.thread_starts == 7 + 3
    assert uncounted.thread_starts is None


def to_thread_starts(extra_env: dict[str, str], directory) -> int:
    """Threads a fresh FastAPI worker (no per-request threads of its own) starts for 8 to-thread
    requests in flight at once."""
    running = launch("fastapi", workers=1, extra_env={THREAD_STARTS_ENV: str(directory), **extra_env})
    try:
        before = started(running, directory)
        params = {"how": "to-thread", "work": "blocking", "ms": 300}
        with ThreadPoolExecutor(8) as clients:
            answers = list(clients.map(lambda _: requests.get(f"{running.url}/api/handover", params=params,
                                                               timeout=30).status_code, range(8)))
        assert answers == [200] * 8
        return started(running, directory) - before
    finally:
        running.stop()


def test_lab_default_executor_threads_sizes_what_to_thread_uses(database, tmp_path):
    """Eight calls in flight: the loop's default executor starts as many threads as it may (Python's
    default is at least 5), and no more than LAB_DEFAULT_EXECUTOR_THREADS when that is set."""
    sized = to_thread_starts({"LAB_DEFAULT_EXECUTOR_THREADS": "2"}, tmp_path / "sized")
    stock = to_thread_starts({}, tmp_path / "stock")
    assert sized <= 2 < 5 <= stock, (sized, stock)
