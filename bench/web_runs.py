"""Runs started from Locust's web UI, stored like a suite's runs (suite ``webui``).

The recorder in Locust writes the step it measured and what it knows (host, scenario file,
user classes, knobs, user count); ``manage.py bench --store-web-run FILE`` (which Locust
calls when the test stops) asks the deployment's ``whoami`` which deployment it was and
stores one run with one step, judged by the same validity rules as the runner's steps.
"""
from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import requests
from django.db import transaction
from django.utils import timezone

from bench import environment, store
from bench.models import ExperimentRun, Run
from bench.validity import judge

SUITE = "webui"
EXPERIMENT = "webui"


def deployment_of(host: str) -> dict:
    """What the target says it is (its whoami), or what little the URL says if it cannot."""
    try:
        who = requests.get(f"{host.rstrip('/')}/api/whoami", timeout=5).json()
        return {"label": who.get("deployment") or host, "interface": who.get("interface"), "pid": who.get("pid")}
    except (requests.RequestException, ValueError):
        return {"label": host, "interface": None, "pid": None}


def claims_of(user_classes: list[str], knobs: dict) -> str:
    """The claim run: loadtests/lab.py's --scenario, or 'C3' from ['C3SleepyRequests', 'C3Probe']
    (several claims joined by '+')."""
    if knobs.get("scenario"):
        return str(knobs["scenario"])
    found = sorted({m.group(1) for name in user_classes if (m := re.match(r"(C\d+)", name))})
    return "+".join(found) or "-"


def store_web_run(document: dict) -> Run:
    """One transaction, the run created "running" and marked completed only once its step is
    stored: a failure on the way leaves nothing, never an empty "completed" run."""
    result, meta = document["result"], document["meta"]
    deployment = deployment_of(meta["host"])
    started = dt.datetime.fromtimestamp(result.get("started_at") or meta["stopped_at"], tz=dt.timezone.utc)
    with transaction.atomic():
        run = Run.objects.create(suite=SUITE, status=Run.RUNNING, started_at=started,
                                 options={"source": "Locust web UI", **meta},
                                 environment=environment.capture(None, None, meta.get("workers", 1)),
                                 note="started from the Locust web UI")
        record = ExperimentRun.objects.create(
            run=run, claim=claims_of(meta["user_classes"], meta["knobs"]), experiment=EXPERIMENT,
            variant=deployment["label"], deployment=deployment, target=meta["host"], scenario=meta["locustfile"],
            params=meta["knobs"], started_at=started, finished_at=timezone.now())
        judged = judge(result, server_pinned=False)  # how the server was pinned is not known here: the wait is recorded, not judged
        if "started_at" in result:
            rate = meta["knobs"].get("lab_rate") or meta["knobs"].get("arrival_rate") or 0.0
            store.save_step(record, 0, meta["users"], rate, result, judged)
        else:
            record.status, record.error = ExperimentRun.FAILED, result.get("error", "nothing was measured")
            record.save(update_fields=["status", "error"])
        store.finish_run(run, Run.COMPLETED)
    return run


def store_web_run_file(path: str) -> Run:
    return store_web_run(json.loads(Path(path).read_text()))
