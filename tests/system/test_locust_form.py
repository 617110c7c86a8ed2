"""The lab's Locust web UI against hostile form posts, without a browser: options the runner
owns, knobs out of the catalogue's bounds or choices, a post from another origin, and options
changed behind the form's back are refused, and nothing is written (no file at the ``lab_out``
path, no run in the results store). Locust 2.47's own ``/swarm`` would have applied them all."""
from __future__ import annotations

import time
from pathlib import Path

import psutil
import pytest
import requests

from bench.models import Run
from tests.system.test_locust_ui import web_ui
from workloads import catalogue as c

pytestmark = pytest.mark.slow

SCENARIO = "loadtests/c3_blocking_call_in_async_view.py"
NOWHERE = "http://127.0.0.1:9"  # the target and the dashboard: nothing listens there
# A locustfile beside the lab's that changes options as the form cannot: the check at test_start
# must catch what got past the form's.
TAMPER = '''
from locust import events


@events.init.add_listener
def _tamper_route(environment, **kwargs):
    @environment.web_ui.app.route("/tamper", methods=["POST"])
    def tamper():
        from flask import request
        o = environment.parsed_options
        for name, raw in request.form.items():
            setattr(o, name, type(getattr(o, name))(raw))
        return "changed"
'''


def form(**fields: str) -> dict:
    return {"user_count": "2", "spawn_rate": "2", "host": NOWHERE, **fields}


def web_runs() -> set[int]:
    return set(Run.objects.filter(suite="webui").values_list("id", flat=True))


def state(url: str) -> str:
    return requests.get(f"{url}/stats/requests", timeout=10).json()["state"]


def test_hostile_forms_are_refused_and_nothing_is_written(tmp_path):
    lab_out = tmp_path / "replaced.json"
    hostile = [  # (fields, what the refusal says)
        ({"lab_out": str(lab_out)}, "lab_out is set by the runner only"),
        ({"dashboard_url": "https://evil.example"}, "dashboard_url is set by the runner only"),
        ({"html_file": str(tmp_path / "report.html")}, "html_file is set by the runner only"),
        ({"web_host": "0.0.0.0"}, "web_host is not an option of this form"),
        ({"ms": "-5"}, f"must be between {c.WAIT_MS.low} and {c.WAIT_MS.high}"),
        ({"ms": str(c.WAIT_MS.high + 1)}, f"must be between {c.WAIT_MS.low} and {c.WAIT_MS.high}"),
        ({"n": "9" * 5000}, "n:"),
        ({"count": "many"}, "count:"),
        ({"driver": "sqlite"}, f"driver must be one of {', '.join(c.DRIVER.choices)}"),
        ({"offload": str(c.OFFLOAD.high + 1)}, "offload must be one of"),
        ({"lab_arrivals": "bursty"}, "lab_arrivals must be one of"),
        ({"probe_rate": "nan"}, "probe_rate:"),
        ({"ms": "50", "lab_out": str(lab_out)}, "lab_out is set by the runner only"),  # one bad field spoils the form
    ]
    before = web_runs()
    with web_ui(SCENARIO, NOWHERE, dashboard_url=NOWHERE) as url:
        port = int(url.rsplit(":", 1)[1])
        listening = {conn.laddr.ip for conn in psutil.net_connections("tcp")
                     if conn.laddr.port == port and conn.status == psutil.CONN_LISTEN}
        assert listening == {"127.0.0.1"}  # loopback without --web-host

        for fields, why in hostile:
            answer = requests.post(f"{url}/swarm", data=form(**fields), timeout=10).json()
            assert answer["success"] is False and why in answer["message"], (fields, answer)
        cross_site = requests.post(f"{url}/swarm", data=form(ms="50"), headers={"Origin": "https://evil.example"},
                                   timeout=10)
        assert cross_site.status_code == 403 and "another origin" in cross_site.json()["message"]

        time.sleep(1.5)  # a start that slipped through would be running by now
        assert state(url) == "ready"  # never started
        requests.post(f"{url}/stop", timeout=120)  # a web run is recorded when its test stops
        to_dashboard = requests.get(f"{url}/lab-dashboard", allow_redirects=False, timeout=10)
        assert to_dashboard.headers["Location"].startswith(NOWHERE)
    assert not lab_out.exists() and not (tmp_path / "report.html").exists()
    assert web_runs() == before


def test_a_start_with_options_changed_behind_the_forms_back_is_refused_at_test_start(tmp_path):
    """The form is clean, the options are not: the test does not start, the log says why, and
    the next start begins from the command line's values again."""
    tamper = tmp_path / "tamper.py"
    tamper.write_text(TAMPER)
    lab_out, log = tmp_path / "replaced.json", tmp_path / "locust.log"
    before = web_runs()
    with web_ui(f"{SCENARIO},{tamper}", NOWHERE, log_path=log) as url:
        for changed, why in (({"lab_out": str(lab_out)}, "lab_out is set by the runner only"),
                             ({"ms": "-5"}, f"must be between {c.WAIT_MS.low} and {c.WAIT_MS.high}")):
            assert requests.post(f"{url}/tamper", data=changed, timeout=10).text == "changed"
            assert requests.post(f"{url}/swarm", data=form(), timeout=10).json()["success"]  # Locust's answer
            deadline = time.monotonic() + 15
            while why not in log.read_text() and time.monotonic() < deadline:
                time.sleep(0.2)
            refusal = [line for line in log.read_text().splitlines() if "the test was not started" in line][-1]
            assert why in refusal
            assert state(url) == "stopped"
        assert "lab_out" not in refusal  # restored after the first refusal: the second was ms's alone
        requests.post(f"{url}/stop", timeout=120)
    assert not lab_out.exists()
    assert web_runs() == before


def test_the_dashboard_routes_ask_for_the_login_like_locusts_own(tmp_path):
    """With ``--web-login`` (and no login set up) Locust's own pages refuse; so do the lab's."""
    with web_ui(SCENARIO, NOWHERE, dashboard_url=NOWHERE, extra=("--web-login",)) as url:
        for route in ("/lab-dashboard", "/lab-dashboard/current"):
            answer = requests.get(f"{url}{route}", allow_redirects=False, timeout=10)
            assert not answer.headers.get("Location", "").startswith(NOWHERE), route
