"""Smoke checks of the claims, with wide ratios instead of absolute times."""
from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.conftest import launch

pytestmark = pytest.mark.slow  # Locust, whole bench runs, faults or a browser: left out by make test-fast


def concurrent_wall_time(url: str, n: int) -> float:
    start = time.perf_counter()
    with ThreadPoolExecutor(n) as pool:
        responses = list(pool.map(lambda _: requests.get(url, timeout=30), range(n)))
    assert all(r.status_code == 200 for r in responses), [r.text for r in responses]
    return time.perf_counter() - start


def test_blocking_call_in_a_coroutine_serialises_one_uvicorn_worker(uvicorn):
    """C3: 4 concurrent io/blocking?ms=300 take >= 3x the time of 4 concurrent io/sleep."""
    blocking = concurrent_wall_time(f"{uvicorn.url}/api/io/blocking?ms=300", 4)
    sleeping = concurrent_wall_time(f"{uvicorn.url}/api/io/sleep?ms=300", 4)
    assert blocking >= 3 * sleeping, (blocking, sleeping)


def test_thread_pool_offload_keeps_the_loop_free(uvicorn):
    """C3 fix: the same sleep offloaded to a thread pool overlaps like io/sleep."""
    offloaded = concurrent_wall_time(f"{uvicorn.url}/api/io/threadpool?ms=300", 4)
    blocking = concurrent_wall_time(f"{uvicorn.url}/api/io/blocking?ms=300", 4)
    assert blocking >= 2 * offloaded, (blocking, offloaded)


@pytest.fixture(scope="module")
def uvicorn_three_workers(database):
    with launch("uvicorn", workers=3) as running:
        yield running


def sample_whoami(url: str, samples: int) -> list[dict]:
    # A fresh connection per request, so the kernel can hand it to any worker.
    with ThreadPoolExecutor(6) as pool:
        return list(pool.map(lambda _: requests.get(url, headers={"Connection": "close"}, timeout=10).json(),
                             range(samples)))


def test_each_uvicorn_worker_is_one_process_with_one_loop_on_its_main_thread(uvicorn_three_workers):
    """C4/C7/C9: 3 workers -> 3 pids, one event loop per pid, async views on the main thread."""
    seen = sample_whoami(f"{uvicorn_three_workers.url}/api/whoami", 300)
    pids = {s["pid"] for s in seen}
    assert len(pids) == 3, pids
    assert set(uvicorn_three_workers.worker_pids()) == pids
    loops_per_pid = {pid: {s["event_loop"]["id"] for s in seen if s["pid"] == pid} for pid in pids}
    assert all(len(loops) == 1 for loops in loops_per_pid.values()), loops_per_pid
    assert all(s["is_main_thread"] and s["view"] == "async" for s in seen)


def test_sync_view_under_asgi_runs_in_a_worker_thread_without_a_loop(uvicorn):
    """C7: Django runs a sync view under ASGI in a thread, away from the event loop."""
    body = requests.get(f"{uvicorn.url}/sync/whoami", timeout=10).json()
    assert body["view"] == "sync" and body["interface"] == "asgi"
    assert body["is_main_thread"] is False
    assert body["event_loop"] is None


def test_async_view_under_wsgi_gets_a_loop_per_request(gunicorn):
    """The cross cell: under WSGI each async view runs on its own short-lived loop."""
    bodies = [requests.get(f"{gunicorn.url}/async/whoami", timeout=10).json() for _ in range(3)]
    assert all(b["event_loop"] is not None and b["is_main_thread"] is False for b in bodies)


def test_io_gather_measures_memory_that_grows_with_the_coroutines_held(uvicorn):
    """io/gather holds n coroutines at once and reads USS meanwhile: 20,000 of them cost
    more than 200 do (Python's allocator may reuse freed memory for small n, never for 20k)."""
    def growth(n: int) -> int:
        body = requests.get(f"{uvicorn.url}/api/io/gather?n={n}&ms=200", timeout=30).json()
        assert body["n"] == n and body["uss_before"] > 0
        return body["uss_during"] - body["uss_before"]

    small, large = growth(200), growth(20_000)
    assert large > small and large > 20_000 * 100  # at least 100 bytes a coroutine: it is not free
