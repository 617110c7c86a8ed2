"""--arrival-rate is the scenario's total rate: shared by the paced users only (the probe has
its own rate) and across Locust worker processes, not multiplied by them."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from groundwork.database import BASE_DIR

pytestmark = pytest.mark.slow  # Locust, whole bench runs, faults or a browser: left out by make test-fast

RATE = 40.0


@pytest.mark.parametrize("processes", [1, 2])
def test_the_target_rate_is_shared_by_the_paced_users_across_workers(uvicorn, tmp_path, processes):
    out = tmp_path / "step.json"
    argv = [sys.executable, "-m", "locust", "-f", "loadtests/c3_blocking_call_in_async_view.py", "--headless",
            "-u", "5", "-r", "5", "-t", "7s", "--host", uvicorn.url, "--only-summary", "--stop-timeout", "1",
            "--loglevel", "WARNING", "--lab-out", str(out), "--lab-warmup", "2", "--endpoint", "io/sleep",
            "--ms", "5", "--arrival-rate", str(RATE), "--probe-rate", "10"]
    if processes > 1:
        argv += ["--processes", str(processes)]
    done = subprocess.run(argv, cwd=BASE_DIR, capture_output=True, text=True, timeout=120)
    result = json.loads(out.read_text())
    assert "error" not in result, (result.get("error"), done.stderr[-2000:])
    rates = {e["name"]: e["rps"] for e in result["endpoints"]}
    # 4 paced users + 1 probe: the paced ones together aim at RATE (not 4/5 of it, not RATE x processes)
    assert RATE * 0.8 <= rates["io/sleep"] <= RATE * 1.15, rates
    assert 10 * 0.7 <= rates["probe"] <= 10 * 1.2, rates
