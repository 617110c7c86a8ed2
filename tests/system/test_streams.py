"""stream/events on every server: events arrive one by one as they are sent, each flavour waits its
own way, Django's mismatched iterators are read to the end first, bad input is a JSON 400, and a
subscriber that hangs up frees what its stream held (threads, tasks, the stream itself).

Timing is compared as ratios of the stream's own period, with wide margins, never as absolute
bounds on a busy machine."""
from __future__ import annotations

import time

import pytest
import requests

from tests.conftest import launch
from tests.sse_client import subscribe

EVERY_MS = 300
N = 4


def events_url(running, prefix: str, n: int = N, every_ms: int = EVERY_MS, schedule: str = "staggered") -> str:
    return f"{running.url}/{prefix}/stream/events?n={n}&every_ms={every_ms}&schedule={schedule}"


def read_all(url: str, n: int = N):
    asked = time.time()
    stream = subscribe(url)
    try:
        assert stream.status == 200, stream.headers
        assert stream.headers["content-type"].startswith("text/event-stream")
        assert stream.headers["cache-control"] == "no-cache"
        return asked, stream.read(n)
    finally:
        stream.close()


def assert_streamed(asked: float, events, every_s: float) -> None:
    """Each event arrived about when it was sent, the sends about ``every_s`` apart."""
    assert [e.data["i"] for e in events] == list(range(N))
    assert all(e.data["n"] == N for e in events)
    gaps = [b.received - a.received for a, b in zip(events, events[1:])]
    assert min(gaps) >= 0.5 * every_s, gaps  # not all at once
    assert events[0].received - asked < 2 * every_s * (N - 1) / 2  # the first came before the last was due
    lags = [e.received - e.data["sent"] for e in events]
    assert max(lags) < every_s, lags  # delivered within one period of its stamp


@pytest.mark.parametrize("name", ["gunicorn", "uvicorn", "gunicorn-uvicorn", "granian-wsgi", "granian-asgi"])
def test_events_arrive_one_by_one_on_every_server(servers, name):
    asked, events = read_all(events_url(servers[name], "api"))
    assert_streamed(asked, events, EVERY_MS / 1000)


def test_fastapi_streams_too(fastapi):
    asked, events = read_all(events_url(fastapi, "api"))
    assert_streamed(asked, events, EVERY_MS / 1000)


@pytest.mark.parametrize("name,prefix", [("uvicorn", "sync"), ("granian-asgi", "sync"), ("gunicorn", "async"),
                                         ("granian-wsgi", "async")])
def test_a_mismatched_iterator_is_read_to_the_end_before_anything_is_sent(servers, name, prefix):
    """Django consumes a sync generator under ASGI (and an async one under WSGI) into a list before
    it sends a byte: every event arrives at once, the first one a whole stream late."""
    asked, events = read_all(events_url(servers[name], prefix))
    assert [e.data["i"] for e in events] == list(range(N))
    every_s = EVERY_MS / 1000
    assert events[0].received - asked >= 0.7 * every_s * (N - 1)  # nothing before the last was made
    arrival_spread = events[-1].received - events[0].received
    sent_spread = events[-1].data["sent"] - events[0].data["sent"]
    assert arrival_spread < 0.25 * sent_spread, (arrival_spread, sent_spread)


@pytest.mark.parametrize("name,prefix", [("uvicorn", "async"), ("gunicorn", "sync")])
def test_the_matching_flavour_streams_on_either_interface(servers, name, prefix):
    asked, events = read_all(events_url(servers[name], prefix))
    assert_streamed(asked, events, EVERY_MS / 1000)


def test_burst_streams_send_on_one_beat(uvicorn):
    """Two streams started apart send on the same multiples of every_ms (staggered ones would not)."""
    every = 0.5
    first = subscribe(events_url(uvicorn, "api", n=2, every_ms=500, schedule="burst"))
    time.sleep(0.2)
    second = subscribe(events_url(uvicorn, "api", n=2, every_ms=500, schedule="burst"))
    try:
        sent = [e.data["sent"] for s in (first, second) for e in s.read(2)]
    finally:
        first.close()
        second.close()
    phases = [(t % every) / every for t in sent]
    assert all(min(p, 1 - p) < 0.2 for p in phases), phases  # on a beat, each of them (a timer may wake a hair early)


@pytest.mark.parametrize("query,why", [
    ("n=0", "'n'"), ("n=-5", "'n'"), ("n=--5", "'n'"), ("every_ms=60001", "'every_ms'"), ("every_ms=1.5", "'every_ms'"),
    ("schedule=sometimes", "'schedule'"), ("x=1", "unknown parameter"), ("n=1&n=2", "given 2 times"),
])
@pytest.mark.parametrize("name", ["gunicorn", "uvicorn"])
def test_bad_input_is_a_json_400(servers, name, query, why):
    r = requests.get(f"{servers[name].url}/api/stream/events?{query}", timeout=10)
    assert r.status_code == 400, r.text
    assert r.headers["Content-Type"] == "application/json"
    assert why in r.json()["error"]


def test_a_stream_refuses_other_methods(uvicorn, fastapi):
    for running in (uvicorn, fastapi):
        r = requests.post(f"{running.url}/api/stream/events", timeout=10)
        assert r.status_code == 405 and "GET" in r.headers["Allow"] and r.json()["error"]


# --- a subscriber that hangs up frees what its stream held -------------------------------------

GTHREAD_THREADS = 8


@pytest.fixture(scope="module")
def gthread_one_worker(database):
    """One worker, so that stream/open and the thread count speak of the process that streams."""
    with launch("gunicorn", workers=1, threads=GTHREAD_THREADS) as running:
        yield running


def open_streams(running) -> int:
    return requests.get(f"{running.url}/api/stream/open", timeout=10).json()["open"]


def process_threads(running) -> int:
    return requests.get(f"{running.url}/api/whoami", timeout=10).json()["process_threads"]


def settled(read, want, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    value = read()
    while value != want and time.monotonic() < deadline:
        time.sleep(0.1)
        value = read()
    return value


def hold_streams(running, count: int) -> tuple[int, int]:
    """``count`` subscribers that each read two events, then hang up: (streams open, threads) while held."""
    streams = [subscribe(events_url(running, "api", n=10_000, every_ms=100)) for _ in range(count)]
    try:
        for s in streams:
            s.read(2, timeout=10)
        return open_streams(running), process_threads(running)
    finally:
        for s in streams:
            s.close()


@pytest.mark.parametrize("which", ["uvicorn", "fastapi"])
def test_an_async_subscriber_that_hangs_up_frees_its_task_and_thread(which, uvicorn, fastapi):
    """The stream's task is cancelled when the client goes (Django's ASGI handler listens for the
    disconnect; so does Starlette), and the thread Django's handler gave the request is joined."""
    running = {"uvicorn": uvicorn, "fastapi": fastapi}[which]
    assert settled(lambda: open_streams(running), 0) == 0
    before = process_threads(running)
    held, during = hold_streams(running, 6)
    assert held == 6
    assert settled(lambda: open_streams(running), 0) == 0
    assert settled(lambda: process_threads(running), before) <= before, (before, during)


def test_a_sync_subscriber_that_hangs_up_gives_its_thread_back(gthread_one_worker):
    """Under gthread a stream holds a thread until a write fails after the client went; then the
    generator is closed (GeneratorExit) and the thread serves again: as many new subscribers as
    the worker has threads all get their events."""
    running = gthread_one_worker
    held, during = hold_streams(running, GTHREAD_THREADS - 2)  # two threads left for stream/open, whoami
    assert held == GTHREAD_THREADS - 2
    assert during >= GTHREAD_THREADS - 2  # a thread per stream
    assert settled(lambda: open_streams(running), 0) == 0
    streams = [subscribe(events_url(running, "api", n=3, every_ms=50)) for _ in range(GTHREAD_THREADS)]
    try:
        assert all([e.data["i"] for e in s.read(3, timeout=10)] == [0, 1, 2] for s in streams)
    finally:
        for s in streams:
            s.close()


# --- the Locust subscriber (loadtests/c14_server_push.py) ---------------------------------------

@pytest.mark.slow
@pytest.mark.parametrize("processes", [1, 2])
def test_the_subscriber_records_every_event_s_delivery_lag(tmp_path, uvicorn, processes):
    """Two subscribers, an event every 100 ms for about 3 measured seconds: about 20 events a second
    recorded under "event delivery", each with a lag far below the period; the subscriber process's
    own loop lag recorded beside; no stream lost."""
    from groundwork.names import EVENT_DELIVERY, GENERATOR_LAG, STREAM_LOST
    from tests.system.test_recorder import endpoint, run_locust

    result = run_locust(tmp_path, uvicorn.url, "c14_server_push.py", "--events", "600", "--every-ms", "100",
                        processes=processes)
    names = {e["name"] for e in result["endpoints"]}
    assert STREAM_LOST not in names, result["endpoints"]
    delivered = endpoint(result, EVENT_DELIVERY)
    assert delivered["failures"] == 0
    assert 10 <= delivered["rps"] <= 30, delivered["rps"]  # 2 subscribers x 10 events/s
    assert delivered["p99"] < 100, delivered  # ms: well inside one period
    own = endpoint(result, GENERATOR_LAG)
    assert own["requests"] >= 10 * processes and own["p50"] < 50, own


@pytest.mark.slow
def test_streams_cut_by_the_server_count_as_lost(tmp_path, database):
    """The server goes away mid-stream (stopped 2.5 s into a 4 s Locust run): the subscribers'
    broken streams are reported under "stream lost", as failures, beside the events they had."""
    import json
    import subprocess
    import sys

    from groundwork.database import BASE_DIR
    from groundwork.names import EVENT_DELIVERY, STREAM_LOST
    from tests.system.test_recorder import endpoint

    running = launch("uvicorn", workers=1)
    out = tmp_path / "lost.json"
    argv = [sys.executable, "-m", "locust", "-f", "loadtests/c14_server_push.py", "--headless", "-u", "2", "-r", "2",
            "-t", "8s", "--host", running.url, "--only-summary", "--stop-timeout", "1", "--loglevel", "WARNING",
            "--lab-out", str(out), "--lab-warmup", "1", "--events", "600", "--every-ms", "100"]
    locust = subprocess.Popen(argv, cwd=BASE_DIR, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while not tmp_path.joinpath(f"{out.name}.measuring").exists() and time.monotonic() < deadline:
            time.sleep(0.1)  # until the recorder's window has begun
        time.sleep(1.5)
        running.stop(grace_s=0)  # killed: no graceful end of the streams
        locust.wait(60)
    finally:
        locust.kill()
        running.stop()
    result = json.loads(out.read_text())
    lost = endpoint(result, STREAM_LOST)
    assert lost["failures"] == lost["requests"] >= 2, lost  # both subscribers' streams broke
    assert endpoint(result, EVENT_DELIVERY)["requests"] > 0
