"""What the bench stores, as measured: the JSON parse timed inside the server (``Server-Timing``)
and the Locust-side recorder (loadtests/_recorder.py), in local and in distributed mode:
success-only response times and RPS, and the Server-Timing metrics per endpoint."""
from __future__ import annotations

import json
import re
import subprocess
import sys
import time

import pytest
import requests

from groundwork.database import BASE_DIR

pytestmark = pytest.mark.slow  # Locust, whole bench runs, faults or a browser: left out by make test-fast

SERVER_TIMING = re.compile(r"parse;dur=(\d+\.\d{3})")  # exactly one metric, ms with 3 decimals
BODY = json.dumps([{"id": i, "name": "x" * 20, "tags": ["a", "b"]} for i in range(200)]).encode()


@pytest.mark.parametrize("parser, offload", [("json", 0), ("orjson", 1)])
@pytest.mark.parametrize("server_name", ["gunicorn", "uvicorn"])
def test_json_endpoint_reports_its_parse_time(request, server_name, parser, offload):
    url = request.getfixturevalue(server_name).url
    started = time.perf_counter()
    r = requests.post(f"{url}/api/json", params={"parser": parser, "offload": offload}, data=BODY,
                      headers={"Content-Type": "application/json"}, timeout=30)
    observed_ms = (time.perf_counter() - started) * 1000
    assert r.status_code == 200 and r.json()["items"] == 200, r.text
    match = SERVER_TIMING.fullmatch(r.headers.get("Server-Timing", ""))
    assert match, r.headers
    assert 0 < float(match[1]) < observed_ms
    # a body that does not parse answers 400, with no timing
    bad = requests.post(f"{url}/api/json", params={"parser": parser, "offload": offload}, data=b"[1,",
                        headers={"Content-Type": "application/json"}, timeout=30)
    assert bad.status_code == 400 and "Server-Timing" not in bad.headers


def run_locust(tmp_path, url: str, scenario: str, *knobs: str, processes: int = 1) -> dict:
    """A short headless Locust with the recorder on (1 s warm-up, about 3 s measured), as the
    bench runner starts it; returns what the recorder wrote."""
    out = tmp_path / f"{scenario}-{processes}.json"
    argv = [sys.executable, "-m", "locust", "-f", f"loadtests/{scenario}", "--headless", "-u", "2", "-r", "2",
            "-t", "4s", "--host", url, "--only-summary", "--stop-timeout", "1", "--loglevel", "WARNING",
            "--lab-out", str(out), "--lab-warmup", "1", *knobs]
    if processes > 1:
        argv += ["--processes", str(processes)]
    proc = subprocess.run(argv, cwd=BASE_DIR, capture_output=True, text=True, timeout=90)
    assert out.exists(), proc.stdout + proc.stderr
    result = json.loads(out.read_text())
    assert "error" not in result, result["error"]  # distributed: every worker sent its final report
    return result


def endpoint(result: dict, name: str) -> dict:
    (found,) = [e for e in result["endpoints"] if e["name"] == name]
    return found


def check_success_only(e: dict, measured_s: float) -> int:
    """The stored numbers describe the successful requests; returns how many there were."""
    ok = e["requests"] - e["failures"]
    assert sum(e["histogram"].values()) == ok
    assert e["rps"] == pytest.approx(ok / measured_s)
    return ok


@pytest.mark.parametrize("processes", [1, 2])
def test_recorder_keeps_the_parse_time_per_endpoint(tmp_path, uvicorn, processes):
    result = run_locust(tmp_path, uvicorn.url, "c6_big_request_bodies.py", "--endpoint", "json", "--body-kb", "64",
                        processes=processes)
    if processes > 1:
        assert result["generator"]["processes"] >= processes + 1  # master and workers
    main = endpoint(result, "json")
    ok = check_success_only(main, result["measured_s"])
    assert ok > 0 and main["failures"] == 0
    parse = main["server_timing"]["parse"]
    assert 0 < parse["count"] <= ok
    assert parse["count"] == ok  # every successful answer carried the header
    assert sum(parse["histogram_us"].values()) == parse["count"]
    assert 0 < parse["p50"] <= parse["p99"] <= parse["max_ms"] * 1.05 + 0.001  # rounded buckets: within 5 %
    assert parse["sum_ms"] == pytest.approx(parse["avg_ms"] * parse["count"])
    assert parse["avg_ms"] < main["avg_ms"]  # the parse is part of the whole request
    assert endpoint(result, "probe")["server_timing"] == {}  # ping reports no timing


@pytest.mark.parametrize("processes", [1, 2])
def test_failed_requests_count_but_are_not_timed(tmp_path, uvicorn, processes):
    """An endpoint that does not exist answers 404 to every request; the probe succeeds beside
    it, paced at 20 requests/s: only the measured window's requests are counted, all of them."""
    result = run_locust(tmp_path, uvicorn.url, "c2_threads_vs_coroutines_cpu.py", "--endpoint", "no-such-endpoint",
                        "--probe-rate", "20", processes=processes)
    failing = endpoint(result, "no-such-endpoint")
    assert failing["requests"] > 0 and failing["failures"] == failing["requests"]
    assert failing["rps"] == 0 and failing["histogram"] == {} and failing["server_timing"] == {}
    assert failing["p50"] is None and failing["p999"] is None and failing["avg_ms"] is None
    assert failing["max_ms"] is None
    errors = sum(e["count"] for e in result["errors"] if e["name"] == "no-such-endpoint")
    # distributed, Locust's own error counts may also take in a report a worker sent as the window began
    assert errors == failing["requests"] if processes == 1 else errors >= failing["requests"]

    probe = endpoint(result, "probe")
    assert probe["failures"] == 0 and probe["p50"] is not None
    ok = check_success_only(probe, result["measured_s"])
    # neither the 1 s of warm-up (+20) nor, distributed, the last report (up to -60) changes the count
    assert abs(ok - 20 * result["measured_s"]) <= 6, (ok, result["measured_s"])
