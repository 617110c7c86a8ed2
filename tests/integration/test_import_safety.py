"""``bench --import`` takes nothing on trust: every bad shape of file is refused with one line
and exit code 1, ids in the file never reach existing rows, an imported run is never the
default evidence, and ``--delete`` / ``--out`` do only what they say."""
from __future__ import annotations

import copy
import datetime as dt
import json
import subprocess
import sys
import uuid

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from bench import run_schema, store
from bench.models import EndpointStat, ExperimentRun, Failure, Run, ServerSample, Step, TimePoint
from groundwork.database import BASE_DIR
from deploy.deployments import Deployment
from tests.synthetic import V, endpoint, make_run, open_loop, sample

EXPERIMENT = "import-safety"
ROWS = (ExperimentRun, Step, EndpointStat, Failure, TimePoint, ServerSample)


@pytest.fixture
def created():
    """Runs a test made or imported, deleted after it (the test database is shared)."""
    runs: list[Run] = []
    yield runs
    Run.objects.filter(id__in=[r.id for r in runs]).delete()


def rich_run(suite: str = "synthetic") -> Run:
    """A run with one of every row kind and the JSON columns the pages read filled in."""
    observations = {
        "/api": {"samples": 2, "answered": 2, "contexts": [
            {"pid": 10, "loop_id": 7, "loop_class": "uvloop.Loop", "is_main_thread": True, "view": "async",
             "interface": "asgi", "thread_names": ["MainThread"], "switch_interval_s": 0.005, "count": 2}]},
        "coroutines": [{"n": 10, "uss_before": 1000, "uss_during": 2000}, {"n": 20, "error": "HTTP 500"}]}
    run = make_run(EXPERIMENT, {"uvicorn 1w": V(
        {"ping": endpoint(100, 5, timing={"work": 1.0}), "probe": endpoint(10, 2)},
        samples=[sample(loop_lag_ms={"123": 0.5})], observations=observations, open_loop=open_loop(100, 5, 10),
        deployment=Deployment("uvicorn", port=1).as_dict())}, claim="C3", suite=suite)
    step = Step.objects.get(experiment__run=run)
    Failure.objects.create(step=step, name="ping", method="GET", error="HTTP 503", count=2)
    TimePoint.objects.create(step=step, t=1.0, name="ping", requests=100, failures=0, p50=2.0, p99=5.0)
    return run


def exported(run: Run) -> dict:
    return json.loads(json.dumps(store.export_run(run)))


@pytest.fixture
def doc(created) -> dict:
    """A valid export whose run is no longer in the store (so it imports as it is)."""
    run = rich_run()
    document = exported(run)
    run.delete()
    return document


@pytest.fixture
def victim(created) -> Run:
    """An existing run a hostile file would like to attach its rows to."""
    run = rich_run()
    created.append(run)
    return run


def row_counts(run: Run) -> dict[str, int]:
    return {m.__name__: m.objects.filter(**{_path_to_run(m): run}).count() for m in ROWS}


def _path_to_run(model) -> str:
    return {ExperimentRun: "run", Step: "experiment__run", ServerSample: "experiment__run"}.get(
        model, "step__experiment__run")


def step0(d: dict) -> dict:
    return d["experiments"][0]["steps"][0]


def later(hours: float) -> str:
    return (dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=hours)).isoformat()


# --- every rejected shape ----------------------------------------------------------------------

def _parent(d: dict, path: str):
    """The container ``path`` (like ``experiments.0.steps.0.users``) ends in, and the last key."""
    *parents, last = path.split(".")
    for key in parents:
        d = d[int(key)] if key.isdigit() else d[key]
    return d, int(last) if last.isdigit() else last


def _set(path: str, value):
    """A change to the document; ``value`` may be a function of the victim run."""
    def change(d: dict, victim: Run) -> None:
        node, key = _parent(d, path)
        node[key] = value(victim) if callable(value) else value
    return change


def _drop(path: str):
    def change(d: dict, victim: Run) -> None:
        node, key = _parent(d, path)
        del node[key]
    return change


def _duplicate_step(d: dict, victim: Run) -> None:
    steps = d["experiments"][0]["steps"]
    steps.append(copy.deepcopy(steps[0]))


S0 = "experiments.0.steps.0"
E0 = "experiments.0"
REJECTED = {
    "wrong format": (_set("format", "djlab-run/0"), "format"),
    "unknown top key": (_set("owner", "me"), "owner: unknown key"),
    "missing key": (_drop(f"{S0}.users"), "experiments[0].steps[0].users: missing key"),
    "run id": (_set("id", lambda v: v.id), "id: unknown key"),
    "experiment run_id": (_set(f"{E0}.run_id", lambda v: v.id), "experiments[0].run_id: unknown key"),
    "step experiment_id": (_set(f"{S0}.experiment_id", lambda v: v.experiments.first().id), "experiment_id: unknown"),
    "endpoint step_id": (_set(f"{S0}.endpoints.0.step_id", lambda v: Step.objects.filter(experiment__run=v).first().id),
                         "endpoints[0].step_id: unknown key"),
    "sample id": (_set(f"{E0}.samples.0.id", lambda v: ServerSample.objects.filter(experiment__run=v).first().id),
                  "samples[0].id: unknown key"),
    "users as text": (_set(f"{S0}.users", "10"), "users: Input should be a valid integer"),
    "users as float": (_set(f"{S0}.users", 10.0), "users: Input should be a valid integer"),
    "negative count": (_set(f"{S0}.endpoints.0.requests", -1), "requests: Input should be greater than"),
    "count beyond the column": (_set(f"{S0}.users", 2**31), "users: Input should be less than"),
    "valid as text": (_set(f"{S0}.valid", "yes"), "valid: Input should be a valid boolean"),
    "rps as text": (_set(f"{S0}.endpoints.0.rps", "fast"), "rps: Input should be a valid number"),
    "NaN": (_set(f"{S0}.endpoints.0.p99", float("nan")), "p99: Input should be a finite number"),
    "date not a date": (_set("started_at", "yesterday"), "started_at: Input should be a valid datetime"),
    "date without zone": (_set("started_at", "2024-01-01T00:00:00"), "started_at: Input should have timezone"),
    "date in the future": (_set("started_at", later(24 * 30)), "is in the future"),
    "finished before started": (_set("finished_at", "2000-01-01T00:00:00+00:00"), "finished_at is before"),
    "status outside the choices": (_set("status", "done"), "status: Input should be"),
    "experiment status outside": (_set(f"{E0}.status", "great"), "experiments[0].status: Input should be"),
    "suite too long": (_set("suite", "q" * 41), "suite: String should have at most 40"),
    "name too long": (_set(f"{S0}.endpoints.0.name", "n" * 121), "name: String should have at most 120"),
    "NUL in text": (_set("note", "a\x00b"), "note: PostgreSQL cannot store the NUL"),
    "NaN in JSON column": (_set(f"{E0}.params", {"ms": float("inf")}), "params: numbers must be finite"),
    "NUL in JSON column": (_set("environment", {"a\x00": 1}), "environment: PostgreSQL cannot"),
    "JSON column not an object": (_set(f"{E0}.params", [1, 2]), "params: Input should be an object"),
    "histogram bucket": (_set(f"{S0}.endpoints.0.histogram", {"fast": 3}), "histogram.fast"),
    "histogram count": (_set(f"{S0}.endpoints.0.histogram", {"5": "many"}), "histogram.5"),
    "server timing": (_set(f"{S0}.endpoints.0.server_timing", {"work": {"p50": "slow"}}), "server_timing.work.p50"),
    "loop lag": (_set(f"{E0}.samples.0.loop_lag_ms", {"1": None}), "loop_lag_ms.1"),
    "open loop rate": (_set(f"{S0}.open_loop.rate", "high"), "open_loop.rate"),
    "open loop histogram": (_set(f"{S0}.open_loop.corrected.hdr", "bm90IGhkcg=="), "not an encoded HdrHistogram"),
    "deployment workers": (_set(f"{E0}.deployment.workers", "two"), "deployment.workers"),
    "whoami context": (_drop(f"{E0}.observations./api.contexts.0.pid"), "contexts[0].pid: missing key"),
    "coroutine figures": (_drop(f"{E0}.observations.coroutines.0.uss_during"), "uss_before and uss_during"),
    "sweep decision": (_set(f"{E0}.observations.configuration", {"best": 3}), "configuration.best"),
    "repeat option": (_set("options", {"repeat": "3"}), "options.repeat"),
    "two steps, one index": (_duplicate_step, "two steps share an index"),
    "uid not a uuid": (_set("uid", "run-7"), "uid: Input should be a valid UUID"),
    "experiments not a list": (_set("experiments", {"0": {}}), "experiments: Input should be a valid array"),
}


def _import_file(path) -> str:
    """``bench --import`` in this process: its error line, or "" when it imported."""
    try:
        _out("--import", str(path))
    except CommandError as exc:
        return str(exc)
    return ""


@pytest.mark.parametrize("case", REJECTED, ids=list(REJECTED))
def test_a_bad_document_is_refused_with_one_line_and_nothing_stored(case, doc, victim, tmp_path, created):
    change, expected = REJECTED[case]
    change(doc, victim)
    path = tmp_path / "run.json"
    path.write_text(json.dumps(doc))
    before_runs, before_victim = set(Run.objects.values_list("id", flat=True)), row_counts(victim)
    message = _import_file(path)
    created.extend(Run.objects.exclude(id__in=before_runs))  # (only if it wrongly imported)
    assert message.startswith(f"cannot import {path}: ") and "\n" not in message, message
    assert expected in message, message
    assert set(Run.objects.values_list("id", flat=True)) == before_runs and row_counts(victim) == before_victim


@pytest.mark.parametrize("content, expected", [
    (b"{not json", "document: not JSON"), (b"\xff\xfe garbage", "not JSON"), (b"[1, 2]", "document: Input should be"),
    (b"", "not JSON"), (b"null", "document: Input should be")], ids=["not JSON", "not UTF-8", "a list", "empty", "null"])
def test_a_file_that_is_no_document_is_refused(content, expected, tmp_path):
    path = tmp_path / "run.json"
    path.write_bytes(content)
    message = _import_file(path)
    assert message.startswith(f"cannot import {path}: ") and expected in message and "\n" not in message, message


def test_a_file_too_large_is_refused_before_it_is_read(doc, tmp_path, monkeypatch):
    path = tmp_path / "run.json"
    path.write_text(json.dumps(doc))
    monkeypatch.setattr(run_schema, "MAX_BYTES", path.stat().st_size - 1)
    assert "larger than" in _import_file(path)
    monkeypatch.setattr(run_schema, "MAX_BYTES", path.stat().st_size)  # the limit itself is allowed
    assert _import_file(path) == ""
    Run.objects.filter(uid=doc["uid"]).delete()


def test_a_missing_file_is_one_line_too(tmp_path):
    assert _import_file(tmp_path / "nope.json") == f"cannot import {tmp_path / 'nope.json'}: No such file or directory"


def test_the_command_exits_1_without_a_traceback(doc, victim, tmp_path, created):
    """The whole command, as a user runs it: one line on stderr, exit code 1."""
    step = Step.objects.filter(experiment__run=victim).first()
    step0(doc)["endpoints"][0]["step_id"] = step.id
    path = tmp_path / "hostile.json"
    path.write_text(json.dumps(doc))
    before = set(Run.objects.values_list("id", flat=True))
    done = subprocess.run([sys.executable, "manage.py", "bench", "--import", str(path)], cwd=BASE_DIR,
                          capture_output=True, text=True, timeout=120)
    created.extend(Run.objects.exclude(id__in=before))  # (only if it wrongly imported)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert "step_id: unknown key" in done.stderr


# --- what an accepted document becomes ------------------------------------------------------------

def test_an_import_gets_new_rows_only_and_is_marked_with_its_source(doc, victim, tmp_path, created):
    before_victim = row_counts(victim)
    path = tmp_path / "from-colleague.json"
    path.write_text(json.dumps(doc))
    assert _import_file(path) == ""
    run = Run.objects.get(uid=doc["uid"])
    created.append(run)
    assert run.imported and run.imported_from.startswith("from-colleague.json · uid ")
    assert row_counts(victim) == before_victim  # nothing reached the existing run
    assert row_counts(run) == {"ExperimentRun": 1, "Step": 1, "EndpointStat": 2, "Failure": 1, "TimePoint": 1,
                               "ServerSample": 1}
    again = exported(run)
    assert again == doc  # the round trip keeps every figure and JSON column as it was
    assert "already in the store" in _import_file(path)


def test_an_export_without_the_newer_columns_still_imports(doc, created):
    """Exports from before ``arrival_rate``, ``open_loop``, ``server_timing`` and ``vms_bytes``."""
    for key in ("arrival_rate", "open_loop", "generator_processes"):
        del step0(doc)[key]
    del step0(doc)["endpoints"][0]["server_timing"]
    del doc["experiments"][0]["samples"][0]["vms_bytes"]
    run = store.import_run(doc, source="old.json")
    created.append(run)
    step = Step.objects.get(experiment__run=run)
    assert step.open_loop == {} and step.arrival_rate == 0.0 and step.generator_processes == 1


# --- an imported run is never the default evidence -----------------------------------------------

def _evidence_run():
    return make_run(EXPERIMENT, {"uvicorn 1w": V({"ping": endpoint(100, 5)})}, suite="quick")


def _evidence_default():
    from results.runs import latest_evidence

    ev = latest_evidence(EXPERIMENT)
    return ev and ev.run.id


def _curves_run():
    from tests.synthetic import curve_step, make_curves_run

    return make_curves_run({("gthread", "db/read"): [curve_step("db/read", 100, 100, 5, 10)]})


def _curves_default():
    from dashboard.curves import curves_run

    run = curves_run()
    return run and run.id


def _ladder_run():
    from bench import ladders as L

    return make_run(L.TAX_SATURATION.name, {L.TAX_SATURATION.variants[0]: V({"ping": endpoint(1000, 5)})},
                    suite="ladders")


def _ladder_default():
    from bench import ladders as L
    from results.runs import newest_evidence

    ev = newest_evidence(L.TAX_SATURATION, L.TAX_SATURATION.variants)
    return ev and ev.run.id


def _fault_run():
    from bench.experiments import FAULT_BAD_INPUT

    return make_run(FAULT_BAD_INPUT.name, {"uvicorn 1w": V(
        {}, observations={"fault": {"cases": [{"case": "import-safety", "outcome": "400"}]}})}, suite="faults")


def _fault_default():
    from bench.experiments import FAULT_BAD_INPUT
    from dashboard.reliability import _latest

    found = _latest(FAULT_BAD_INPUT.name)
    return found and found[0].run_id


def _knee_run():
    from tests.integration.test_overload import curve_run

    return curve_run([(500, 5, True), (900, 40, True)])


def _knee_default():
    from bench import overload
    from bench.suites import OVERLOAD

    elsewhere = Run.objects.create(suite="overload", started_at=dt.datetime.now(dt.timezone.utc))
    try:
        return OVERLOAD.resolve(elsewhere, overload.overload_variant("gthread", False))[2]["knee_from_run"]
    except LookupError:
        return None
    finally:
        elsewhere.delete()


DEFAULT_READERS = {"claim cards": (_evidence_run, _evidence_default, "/dashboard/claims/"),
                   "front page": (_curves_run, _curves_default, "/dashboard/"),
                   "ladders": (_ladder_run, _ladder_default, "/dashboard/ladders/"),
                   "reliability": (_fault_run, _fault_default, None),
                   "overload knee": (_knee_run, _knee_default, None)}


@pytest.mark.parametrize("reader", DEFAULT_READERS, ids=list(DEFAULT_READERS))
def test_an_imported_run_is_never_the_default_evidence(reader, created):
    """A completed run dated later than every other: the newest, so the default while it was
    measured here; imported, it is read only when picked (``?run=``)."""
    make, default, page = DEFAULT_READERS[reader]
    run = make()
    created.append(run)
    newest = dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=12)
    Run.objects.filter(id=run.id).update(started_at=newest, finished_at=newest)
    assert default() == run.id  # the control: measured here, it is the evidence
    document = exported(Run.objects.get(id=run.id))
    run.delete()
    imported = store.import_run(document, source="newer.json")
    created.append(imported)
    assert imported.suite == document["suite"] and imported.status == Run.COMPLETED
    assert default() != imported.id
    if page:
        client = Client(HTTP_HOST="127.0.0.1")
        picked = client.get(f"{page}?run={imported.id}")
        assert picked.status_code == 200
        assert f'<option value="{imported.id}" selected>' in picked.content.decode()


def test_the_pages_of_an_imported_run_work_and_say_imported(doc, created):
    run = store.import_run(doc, source="colleague.json")
    created.append(run)
    client = Client(HTTP_HOST="127.0.0.1")
    listing = client.get("/dashboard/runs/").content.decode()
    row = next(r for r in listing.split("<tr>") if f'href="/dashboard/runs/{run.id}/"' in r)
    assert 'class="badge imported"' in row and "colleague.json" in row
    detail = client.get(f"/dashboard/runs/{run.id}/")
    assert detail.status_code == 200 and "imported</span> from colleague.json" in detail.content.decode()
    for url in (f"/dashboard/runs/{run.id}/report", f"/dashboard/compare/?run={run.id}",
                f"/dashboard/data/runs/{run.id}", f"/dashboard/claims/?run={run.id}"):
        assert client.get(url).status_code == 200, url


# --- --delete --------------------------------------------------------------------------------------

def test_delete_says_what_it_deleted(victim):
    out = _out("--delete", str(victim.id))
    assert out.startswith(f"deleted run {victim.id} ({victim.uid}, suite synthetic, completed")
    assert "1 ExperimentRun" in out and "2 EndpointStat" in out and "1 ServerSample" in out
    assert not Run.objects.filter(id=victim.id).exists()
    assert not Step.objects.filter(experiment__run_id=victim.id).exists()


def test_delete_refuses_an_unknown_run_and_a_running_one_unless_forced(victim):
    with pytest.raises(CommandError, match="no run '999999999'"):
        _out("--delete", "999999999")
    Run.objects.filter(id=victim.id).update(status=Run.RUNNING)
    with pytest.raises(CommandError, match=f"run {victim.id} is still running.*--force"):
        _out("--delete", str(victim.id))
    assert Run.objects.filter(id=victim.id).exists()
    assert _out("--delete", str(victim.id), "--force").startswith(f"deleted run {victim.id}")
    assert not Run.objects.filter(id=victim.id).exists()


def test_delete_of_an_unknown_run_exits_1(database):
    done = subprocess.run([sys.executable, "manage.py", "bench", "--delete", str(uuid.uuid4())], cwd=BASE_DIR,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and "no run" in done.stderr and "Traceback" not in done.stderr


# --- --out -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("what", ["--export", "--report"])
def test_out_refuses_an_existing_file_unless_forced(what, victim, tmp_path):
    path = tmp_path / "mine.txt"
    path.write_text("keep me")
    with pytest.raises(CommandError, match="exists: add --force"):
        _out(what, str(victim.id), "--out", str(path))
    assert path.read_text() == "keep me"
    _out(what, str(victim.id), "--out", str(path), "--force")
    assert path.read_text() != "keep me" and path.stat().st_size > 1000
    fresh = tmp_path / "new.out"
    _out(what, str(victim.id), "--out", str(fresh))
    assert fresh.stat().st_size > 0


def _out(*args: str) -> str:
    import io

    buffer = io.StringIO()
    call_command("bench", *args, stdout=buffer)
    return buffer.getvalue().strip()
