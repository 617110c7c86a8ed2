"""The Locust web UI as a way into the lab: every scenario knob is offered in its "Custom
parameters" panel with the catalogue's default, choices and help text."""
from __future__ import annotations

import pytest
import contextlib
import json
import re
import subprocess
import sys
import time
from pathlib import Path

import requests

from groundwork.database import BASE_DIR
from tests.conftest import ARTIFACTS
from deploy.process import free_port, kill_tree, wait_until_serving
from workloads import catalogue as c

pytestmark = pytest.mark.slow  # Locust, whole bench runs, faults or a browser: left out by make test-fast

KNOBS = ("prefix", "endpoint", "ms", "n", "count", "driver", "mode", "body_kb", "parser", "offload", "call", "client",
         "events", "every_ms", "schedule",
         "arrival_rate", "probe_rate", "lab_rate", "lab_arrivals", "lab_max_in_flight", "lab_max_lag_ms")


@contextlib.contextmanager
def web_ui(locustfile: str, host: str, dashboard_url: str = "http://127.0.0.1:9", extra: tuple[str, ...] = (),
           log_path: Path | None = None):
    """Locust's web UI on a free port (on loopback: the lab's default), stopped with its whole
    tree afterwards. ``extra``: more command-line arguments."""
    port = free_port()
    logs = ARTIFACTS / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    with open(log_path or logs / f"locust-web-ui-{Path(locustfile).stem}.log", "ab") as log:
        proc = subprocess.Popen([sys.executable, "-m", "locust", "-f", locustfile, "--web-port", str(port),
                                 "--host", host, "--dashboard-url", dashboard_url, *extra],
                                cwd=BASE_DIR, stdout=log, stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}"
        assert wait_until_serving(f"{url}/", 60, alive=lambda: proc.poll() is None)
        yield url
    finally:
        kill_tree(proc.pid)


def test_every_knob_shows_in_the_web_ui_with_the_catalogues_defaults_and_choices():
    with web_ui("loadtests", "http://127.0.0.1:9") as url:
        html = requests.get(f"{url}/", timeout=10).text
    args = json.loads(re.search(r"window\.templateArgs = (\{.*?\})\s*</script>", html, re.S).group(1))
    extra = args["extra_options"]
    assert set(KNOBS) <= set(extra), sorted(set(KNOBS) - set(extra))
    assert extra["ms"]["default_value"] == c.WAIT_MS.default and str(c.WAIT_MS.high) in extra["ms"]["help_text"]
    assert extra["driver"]["choices"] == list(c.DRIVER.choices)
    assert extra["call"]["choices"] == list(c.BACKGROUND_CALL.choices)
    assert all(extra[k]["help_text"] for k in KNOBS)
    # That the runner's own options (lab_out...) are not shown proves nothing: Locust's form sets
    # hidden options too. tests/system/test_locust_form.py posts them and shows them refused.


def test_a_web_ui_run_is_stored_with_the_deployment_it_ran_against_and_its_knobs(uvicorn):
    """Started the way the UI's form does (POST /swarm with a changed knob), stopped, then found
    in the results store: the knob reached the server (the requests hit io/sleep, not the
    scenario's default io/blocking) and whoami named the deployment."""
    from bench.models import Run

    before = set(Run.objects.filter(suite="webui").values_list("id", flat=True))
    with web_ui("loadtests/c3_blocking_call_in_async_view.py", uvicorn.url) as url:
        started = requests.post(f"{url}/swarm", data={"user_count": 3, "spawn_rate": 3, "host": uvicorn.url,
                                                      "endpoint": "io/sleep", "ms": "30"}, timeout=10)
        assert started.json()["success"], started.text
        time.sleep(4)
        requests.post(f"{url}/stop", timeout=10)  # the UI stops a test with a POST
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not Run.objects.filter(suite="webui").exclude(id__in=before).exists():
            time.sleep(0.5)
    run = Run.objects.filter(suite="webui").exclude(id__in=before).get()
    record = run.experiments.get()
    assert record.variant == uvicorn.deployment.label and record.claim == "C3"
    assert record.params["endpoint"] == "io/sleep" and record.params["ms"] == 30
    step = record.steps.get()
    names = {e.name: e for e in step.endpoints.all()}
    assert names["io/sleep"].requests > 0 and "io/blocking" not in names
    assert names["io/sleep"].p50 >= 30  # each request slept the 30 ms the UI asked for


def test_the_web_ui_runs_an_open_loop_and_stores_its_corrected_latencies(uvicorn):
    """The open loop is a knob of the UI's form (``lab_rate``): a run started there sends on
    schedule, and what it measured (rate, corrected and uncorrected histograms) is stored."""
    from bench.models import Run

    before = set(Run.objects.filter(suite="webui").values_list("id", flat=True))
    with web_ui("loadtests/c3_blocking_call_in_async_view.py", uvicorn.url) as url:
        started = requests.post(f"{url}/swarm", data={"user_count": 3, "spawn_rate": 3, "host": uvicorn.url,
                                                      "endpoint": "io/sleep", "ms": "20", "lab_rate": "40",
                                                      "lab_arrivals": "constant"}, timeout=10)
        assert started.json()["success"], started.text
        time.sleep(4)
        requests.post(f"{url}/stop", timeout=10)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not Run.objects.filter(suite="webui").exclude(id__in=before).exists():
            time.sleep(0.5)
    step = Run.objects.filter(suite="webui").exclude(id__in=before).get().experiments.get().steps.get()
    ol = step.open_loop
    assert ol and ol["rate"] == 40 and ol["started"] > 0
    assert ol["corrected"]["count"] > 0 and ol["corrected"]["p50"] >= 20  # each request slept 20 ms
    assert step.arrival_rate == 40
