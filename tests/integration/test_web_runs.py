"""``bench --store-web-run``: a run from Locust's web UI is "running" until its step is stored,
and a failure on the way leaves no run at all, never an empty "completed" one."""
from __future__ import annotations

import time
import uuid

import pytest

from bench import store, web_runs
from bench.models import Run


def document(host: str) -> dict:
    """What the web UI's recorder hands over: one measured step of one endpoint."""
    endpoint = {"name": "ping", "method": "GET", "requests": 10, "failures": 0, "rps": 10.0, "avg_ms": 1.0,
                "p50": 1.0, "p90": 1.0, "p95": 1.0, "p99": 1.0, "p999": 1.0, "max_ms": 1.0, "histogram": {"1": 10},
                "server_timing": {}}
    result = {"started_at": time.time(), "measured_s": 1.0, "endpoints": [endpoint], "errors": [], "timeseries": [],
              "generator": {"cpu_percent_total": 5.0, "cpu_percent_max_process": 5.0, "processes": 1}}
    meta = {"host": host, "stopped_at": time.time(), "locustfile": "loadtests/lab.py", "user_classes": ["LabScenario"],
            "knobs": {"scenario": "C3"}, "users": 1, "workers": 1}
    return {"meta": meta, "result": result}


@pytest.fixture
def host(monkeypatch) -> str:
    """A target of this test's own (the runs it stores are found by it); no whoami is asked."""
    monkeypatch.setattr(web_runs, "deployment_of", lambda h: {"label": h, "interface": None, "pid": None})
    return f"http://127.0.0.1:9/{uuid.uuid4().hex}"


def test_a_web_run_is_completed_with_its_step(host):
    run = web_runs.store_web_run(document(host))
    run.refresh_from_db()
    assert run.status == Run.COMPLETED and run.finished_at is not None
    assert run.experiments.get().steps.get().endpoints.get().requests == 10


def test_a_failure_while_storing_the_step_leaves_no_completed_run(host, monkeypatch):
    seen = []

    def failing_save_step(record, *args):
        seen.append(Run.objects.get(id=record.run_id).status)  # what the run says meanwhile
        raise OSError("disk full")

    monkeypatch.setattr(store, "save_step", failing_save_step)
    with pytest.raises(OSError):
        web_runs.store_web_run(document(host))
    assert seen == [Run.RUNNING]
    assert not Run.objects.filter(options__host=host).exists()
