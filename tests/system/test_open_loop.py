"""The open-loop generator (loadtests/_open_loop.py): requests start on a schedule whether or
not earlier ones answered, and latency counts from each one's intended start.

The point, shown on one Uvicorn worker that a blocking sleep holds (it serves one request at a
time) offered about twice what it can serve: the open loop's corrected p99 grows with the
length of the step (the queue grows all along), while closed-loop users, who stop sending when
the server stalls, see a p99 that does not depend on how long they ran (coordinated omission).
"""
from __future__ import annotations

import json
import random
import statistics
import subprocess
import sys
import time

import pytest
import requests

from bench.validity import SCHEDULE_LAG_P99_LIMIT_MS, judge, judge_schedule
from groundwork.database import BASE_DIR

sys.path.insert(0, str(BASE_DIR / "loadtests"))
from _hdr import HDR_RANGE_US, OpenLoopTally, hdr_summary  # noqa: E402
from _schedule import global_index, share, starts  # noqa: E402

pytestmark = pytest.mark.slow  # Locust, whole bench runs, faults or a browser: left out by make test-fast

BLOCKING_MS = 20  # one worker serves about 1000/20 = 50 of these a second, minus its overhead
OFFERED = 90.0  # about twice that
WARMUP_S = 1


def locust(tmp_path, url: str, seconds: float, *args: str, users: int = 1, processes: int = 1) -> dict:
    """A short headless Locust on C3's scenario with the recorder on; returns what it wrote."""
    out = tmp_path / f"step-{time.monotonic_ns()}.json"
    argv = [sys.executable, "-m", "locust", "-f", "loadtests/c3_blocking_call_in_async_view.py", "--headless",
            "-u", str(users + 1), "-r", str(users + 1), "-t", f"{WARMUP_S + seconds:g}s", "--host", url,
            "--only-summary", "--stop-timeout", "1", "--loglevel", "WARNING", "--lab-out", str(out),
            "--lab-warmup", str(WARMUP_S), "--endpoint", "io/blocking", "--ms", str(BLOCKING_MS), *args]
    if processes > 1:
        argv += ["--processes", str(processes)]
    done = subprocess.run(argv, cwd=BASE_DIR, capture_output=True, text=True, timeout=120)
    assert out.exists(), done.stdout[-2000:] + done.stderr[-2000:]
    result = json.loads(out.read_text())
    assert "error" not in result, (result["error"], done.stderr[-2000:])
    return result


def drain(url: str) -> None:
    """Wait until the requests an open loop left queued in the server are served: a ping no
    longer waits behind a blocking sleep (three in a row answer within one sleep's length)."""
    deadline, quick = time.monotonic() + 90, 0
    while quick < 3 and time.monotonic() < deadline:
        started = time.perf_counter()
        requests.get(f"{url}/api/ping", timeout=60)
        quick = quick + 1 if time.perf_counter() - started < BLOCKING_MS / 1000 else 0


def blocking(result: dict) -> dict:
    (found,) = [e for e in result["endpoints"] if e["name"] == "io/blocking"]
    return found


def test_open_loop_p99_grows_with_the_step_while_closed_loop_p99_stays_flat(tmp_path, uvicorn):
    try:
        closed = {s: blocking(locust(tmp_path, uvicorn.url, s, users=8)) for s in (2, 6)}
        drain(uvicorn.url)
        opened = {}
        for s in (2, 6):
            opened[s] = locust(tmp_path, uvicorn.url, s, "--lab-rate", str(OFFERED), "--lab-arrivals", "constant")
            drain(uvicorn.url)
    finally:
        drain(uvicorn.url)
    for result in opened.values():
        ol = result["open_loop"]
        assert ol["dropped"] == 0 and ol["rate"] == OFFERED
        assert blocking(result)["rps"] < 0.75 * OFFERED  # the worker could not keep up: overload
        assert ol["corrected"]["count"] == blocking(result)["requests"] - blocking(result)["failures"]
        assert ol["corrected"]["p99"] >= ol["uncorrected"]["p99"]
        assert ol["started"] >= ol["corrected"]["count"] and ol["lag"]["count"] == ol["started"]
    corrected = {s: opened[s]["open_loop"]["corrected"]["p99"] for s in opened}
    assert corrected[6] > 1.6 * corrected[2], corrected  # the queue kept growing: so did the latency
    flat = closed[6]["p99"] / closed[2]["p99"]
    assert 1 / 1.4 < flat < 1.4, (closed[2]["p99"], closed[6]["p99"])  # closed users just stopped sending
    assert corrected[6] > 3 * closed[6]["p99"], (corrected, closed[6]["p99"])


def test_requests_beyond_the_in_flight_bound_are_dropped_and_counted_as_the_servers_overload(tmp_path, uvicorn):
    """Two Locust workers, one generator each, constant arrivals: every scheduled request is
    started or counted dropped, both workers' tallies are merged. The drops are the in-flight
    bound's (the server did not keep up), not the generator's lateness: the step stays valid."""
    try:
        result = locust(tmp_path, uvicorn.url, 3, "--lab-rate", str(OFFERED), "--lab-arrivals", "constant",
                        "--lab-max-in-flight", "3", users=2, processes=2)
    finally:
        drain(uvicorn.url)
    ol = result["open_loop"]
    assert ol["dropped"] > 0 and ol["started"] > 0
    scheduled = ol["started"] + ol["dropped"]
    assert 0.85 * OFFERED < scheduled / result["measured_s"] < 1.15 * OFFERED  # the two workers share the rate
    (errors,) = [e for e in result["errors"] if e["name"] == "dropped (generator)"]
    assert errors["count"] == ol["dropped"]  # Locust's own statistics show the same drops
    assert "dropped (generator)" not in {e["name"] for e in result["endpoints"]}  # not a request the server saw
    assert ol["corrected"]["count"] == blocking(result)["requests"] - blocking(result)["failures"]
    assert ol["dropped_late"] == 0
    assert judge_schedule(ol) == (True, "")


# --- the schedule ---------------------------------------------------------------------------

def gaps(times: list[float]) -> list[float]:
    return [b - a for a, b in zip(times, times[1:])]


def first(n: int, it) -> list[float]:
    return [next(it) for _ in range(n)]


@pytest.mark.parametrize("rate", [7.0, 250.0])
def test_constant_arrivals_are_evenly_spaced_at_the_rate(rate):
    times = first(1000, starts(share(rate, 1, 0), "constant", random.Random(1)))
    assert times[0] == 0
    assert all(g == pytest.approx(1 / rate) for g in gaps(times))


@pytest.mark.parametrize("rate", [7.0, 250.0])
def test_poisson_arrivals_have_the_rate_as_mean_and_exponential_spread(rate):
    g = gaps(first(20_000, starts(share(rate, 1, 0), "poisson", random.Random(2))))
    assert statistics.fmean(g) == pytest.approx(1 / rate, rel=0.05)
    assert statistics.stdev(g) / statistics.fmean(g) == pytest.approx(1.0, rel=0.1)  # constant gaps: 0


def test_the_rate_is_split_among_generators_and_their_starts_interleave():
    total, workers, per_worker = 120.0, 3, 2
    users = workers * per_worker
    indexes = sorted(global_index(w, workers, j) for w in range(workers) for j in range(per_worker))
    assert indexes == list(range(users))  # every generator has its own slot
    parts = [share(total, users, k) for k in indexes]
    assert sum(p.rate for p in parts) == pytest.approx(total)
    merged = sorted(t for p in parts for t in first(50, starts(p, "constant", random.Random(0))))
    assert all(g == pytest.approx(1 / total) for g in gaps(merged))  # one even schedule at the total rate
    # two workers, one generator each: each sends half, the second half a gap after the first
    assert [share(total, 2, global_index(w, 2, 0)) for w in (0, 1)] == [share(total, 2, 0), share(total, 2, 1)]
    assert share(total, 2, 1).phase_s == pytest.approx(1 / total)
    with pytest.raises(ValueError):
        share(total, 2, 2)


# --- the histograms and the verdict ---------------------------------------------------------

def tally_of(latencies_s: list[float], lags_s: list[float], dropped: int = 0) -> OpenLoopTally:
    tally = OpenLoopTally()
    for latency in latencies_s:
        tally.completed(latency, latency * 0.9)
    for lag in lags_s:
        tally.started(lag)
    tally.dropped = dropped
    return tally


def test_workers_histograms_merge_into_the_histogram_of_all_requests():
    rng = random.Random(3)
    latencies = [rng.uniform(0.001, 2.0) for _ in range(3000)]
    lags = [rng.uniform(0, 0.01) for _ in range(3000)]
    workers = [tally_of(latencies[:1000], lags[:1000], 2), tally_of(latencies[1000:], lags[1000:], 5)]
    merged = OpenLoopTally()
    for worker in workers:
        merged.merge(worker.wire())  # what travels in report_to_master
    assert merged.dropped == 7
    whole = tally_of(latencies, lags)
    for kind in OpenLoopTally.KINDS:
        got, want = hdr_summary(merged.histograms[kind]), hdr_summary(whole.histograms[kind])
        assert got["count"] == 3000
        for label in ("p50", "p99", "p999", "max_ms"):
            assert got[label] == pytest.approx(want[label], rel=1e-3), (kind, label)
    assert hdr_summary(merged.histograms["corrected"])["p99"] == pytest.approx(
        sorted(latencies)[int(0.99 * 3000) - 1] * 1000, rel=0.01)


def test_a_latency_beyond_the_histogram_is_kept_at_its_top():
    tally = tally_of([120.0], [])  # two minutes: beyond the 60 s range
    summary = hdr_summary(tally.histograms["corrected"])
    assert summary["count"] == 1 and summary["max_ms"] >= HDR_RANGE_US[1] / 1000 * 0.999


def open_loop_result(dropped: int = 0, lag_p99: float = 1.0, late: int | None = None) -> dict:
    return {"rate": 100.0, "arrivals": "poisson", "max_in_flight": 1000, "max_lag_ms": 1000.0,
            "started": 500, "dropped": dropped, "dropped_late": dropped if late is None else late,
            "lag": {"p99": lag_p99}}


def test_a_generator_behind_its_schedule_invalidates_the_step():
    assert judge_schedule(None) == (True, "")
    assert judge_schedule(open_loop_result()) == (True, "")
    assert "no request was scheduled" in judge_schedule({**open_loop_result(), "started": 0})[1]
    assert judge_schedule(open_loop_result(lag_p99=SCHEDULE_LAG_P99_LIMIT_MS)) == (True, "")
    valid, reason = judge_schedule(open_loop_result(dropped=3))
    assert not valid and "3 of 503 scheduled requests could not start" in reason
    assert judge_schedule(open_loop_result(dropped=3, late=0)) == (True, "")  # in-flight bound: overload
    valid, reason = judge_schedule(open_loop_result(lag_p99=SCHEDULE_LAG_P99_LIMIT_MS * 2))
    assert not valid and f"limit {SCHEDULE_LAG_P99_LIMIT_MS:g} ms" in reason
    step = {"endpoints": [{"requests": 10, "failures": 0}], "errors": [],
            "generator": {"cpu_percent_max_process": 10.0}, "open_loop": open_loop_result(dropped=1)}
    assert judge(step)[0] is False
