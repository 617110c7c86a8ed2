"""The bench runner against real deployments: a stored run has all of its parts; an
interrupted run is aborted with its finished steps kept; export/import round-trips."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid

import psutil
import pytest

from bench import store
from bench.experiments import SMOKE
from bench.models import Run, Step
from bench.validity import VALID, judge
from groundwork.database import BASE_DIR
from config.loop_lag import read_lag_ms
from tests.conftest import bench

pytestmark = pytest.mark.slow  # Locust, whole bench runs, faults or a browser: left out by make test-fast


def test_smoke_run_is_stored_with_all_its_parts(smoke_run):
    run = smoke_run
    assert run.status == Run.COMPLETED and run.finished_at
    env = run.environment
    assert env["cpu_model"] and env["cpu_count"] >= 1 and env["python"]
    assert env["packages"]["Django"] and env["packages"]["locust"] and env["git"]["commit"]
    assert env["postgres"]["version"]
    assert_pinning_splits_the_cpus(env["pinning"])
    expected = sum(len(e.variants) for e in SMOKE)
    experiments = list(run.experiments.all())
    assert len(experiments) == expected
    for exp in experiments:
        assert exp.command_line.startswith(sys.executable) or "taskset" in exp.command_line
        steps = list(exp.steps.all())
        assert steps, exp.variant
        for step in steps:
            assert step.valid, step.invalid_reason
            assert step.generator_cpu_max_process > 0
            endpoints = list(step.endpoints.all())
            assert endpoints
            for e in endpoints:
                assert e.requests > 0 and e.p99 is not None
                assert sum(e.histogram.values()) == e.requests - e.failures  # every success, not a summary
            assert step.timeseries.exists()
        samples = list(exp.samples.all())
        assert len(samples) >= 3
        assert any(s.cpu_percent > 0 for s in samples)
        assert all(s.rss_bytes > 0 and s.uss_bytes > 0 and s.threads > 0 for s in samples)
        assert any(s.db_connections for s in samples)  # the primer used the DB pool
        assert any(s.loop_lag_ms for s in samples)  # every smoke deployment is ASGI


def assert_pinning_splits_the_cpus(pinning: dict) -> None:
    """Server and load generator on CPUs of their own (when there are two to split), so that
    the generator never takes CPU time from the server it measures."""
    cpus = os.sched_getaffinity(0)
    if len(cpus) < 2:
        assert pinning["server"] is None and pinning["generator"] is None, pinning
        return
    server, generator = set(pinning["server"] or ()), set(pinning["generator"] or ())
    assert server and generator and not server & generator, pinning
    assert server | generator <= cpus, (pinning, cpus)


def test_smoke_run_shows_the_blocked_loop(smoke_run):
    """C3 and C5 in the stored data: the probe and the loop lag suffer under io/blocking, not
    when the probe is alone on the worker."""
    from bench import experiments as X

    by_variant = {e.variant: e for e in smoke_run.experiments.all()}
    blocking, sleeping = by_variant[X.C3_BLOCKING.label], by_variant[X.C3_UNLOADED.label]

    def probe_p99(exp):
        return exp.steps.get().endpoints.get(name="probe").p99

    def typical_lag(exp):
        lags = sorted(max(s.loop_lag_ms.values(), default=0) for s in exp.samples.filter(step_index=0))
        return lags[len(lags) // 2]

    assert probe_p99(blocking) >= 3 * probe_p99(sleeping)
    assert typical_lag(blocking) >= 3 * max(typical_lag(sleeping), 5)


def test_whoami_observations_count_one_loop_per_worker(smoke_run):
    exp = smoke_run.experiments.get(experiment="c4-loops-per-worker")
    contexts = exp.observations["/api"]["contexts"]
    pids = {c["pid"] for c in contexts}
    assert pids == set(exp.observations["worker_pids"]) and len(pids) == 3
    assert all(c["is_main_thread"] and c["loop_id"] for c in contexts)
    assert len({(c["pid"], c["loop_id"]) for c in contexts}) == 3


def test_list_shows_the_run(smoke_run):
    out = subprocess.run([sys.executable, "manage.py", "bench", "--list"], cwd=BASE_DIR, capture_output=True,
                         text=True, check=True).stdout
    line = next(line for line in out.splitlines() if line.split("\t")[0] == str(smoke_run.id))
    assert "\tsmoke\tcompleted\t" in line and "valid" in line


def test_export_then_import_gives_an_equal_run(smoke_run):
    exported = store.export_run(smoke_run)
    exported_again = json.loads(json.dumps(exported))
    exported_again["uid"] = str(uuid.uuid4())
    imported = store.import_run(exported_again)
    try:
        second = store.export_run(imported)
        second["uid"] = exported["uid"]
        assert second == exported
        with pytest.raises(store.RunImportError):
            store.import_run(exported_again)
    finally:
        imported.delete()


def test_sigint_aborts_the_run_and_keeps_finished_steps(database):
    before = set(Run.objects.values_list("id", flat=True))
    proc = bench("--suite", "smoke", "--only", "C3", "--duration", "3")
    run = None
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        new = Run.objects.exclude(id__in=before).first()
        if new and Step.objects.filter(experiment__run=new).exists():
            run = new
            break
        time.sleep(0.3)
    assert run is not None, "no step was stored in time"
    children = psutil.Process(proc.pid).children(recursive=True)
    proc.send_signal(signal.SIGINT)
    output, _ = proc.communicate(timeout=60)
    assert proc.returncode != 0
    run.refresh_from_db()
    assert run.status == Run.ABORTED, output
    assert Step.objects.filter(experiment__run=run).count() >= 1
    gone, alive = psutil.wait_procs(children, timeout=15)
    assert not alive, [p.cmdline() for p in alive]  # the server and Locust went with it


def test_a_saturated_generator_invalidates_the_step():
    result = {"endpoints": [{"requests": 10, "failures": 0}], "generator": {"cpu_percent_max_process": 97.0}}
    valid, reason, _ = judge(result)
    assert not valid and "saturated" in reason
    result["generator"]["cpu_percent_max_process"] = 40.0
    assert judge(result) == VALID
    assert judge({"error": "the test stopped during warm-up"})[0] is False


def test_more_than_one_percent_failures_invalidates_a_step_unless_the_experiment_causes_them():
    result = {"endpoints": [{"requests": 1000, "failures": 12}, {"requests": 100, "failures": 0}],
              "errors": [{"name": "db/read", "count": 12, "error": "HTTPError 503"}],
              "generator": {"cpu_percent_max_process": 40.0}}
    valid, reason, _ = judge(result)
    assert not valid and "12 of 1100" in reason and "503" in reason
    assert judge(result, failures_intended=True) == VALID
    result["endpoints"][0]["failures"] = 11  # 11 of 1,100: exactly 1 %, not more
    assert judge(result) == VALID


def test_loop_lag_reader_counts_a_stalled_loop(tmp_path):
    now = time.time()
    (tmp_path / "42.lag").write_text(f"{now - 2.0:.3f} 1.500\n")
    assert read_lag_ms(tmp_path, 42, now) >= 1900  # blocked for ~2 s right now
    (tmp_path / "43.lag").write_text(f"{now:.3f} 7.250\n")
    assert read_lag_ms(tmp_path, 43, now) == 7.25
    assert read_lag_ms(tmp_path, 44, now) is None


def test_every_claim_has_a_scenario_that_locust_lists():
    out = subprocess.run([sys.executable, "-m", "locust", "-f", "loadtests", "--list"], cwd=BASE_DIR,
                         capture_output=True, text=True, timeout=60).stdout
    for user in ("C1SaturateOneEndpoint", "C2CpuHeavy", "C3SleepyRequests", "C4WhoamiFreshConnections",
                 "C5BlockingThenYielding", "C6BigBodies", "C7WhoRunsTheView", "C8ManySlowRequests", "C3Probe"):
        assert user in out, out


def test_target_mode_benches_a_server_it_does_not_manage(uvicorn):
    before = set(Run.objects.values_list("id", flat=True))
    proc = bench("--suite", "smoke", "--only", "C3", "--duration", "2", "--target", uvicorn.url)
    output, _ = proc.communicate(timeout=180)
    assert proc.returncode == 0, output
    assert "server-side samples" in output and "missing" in output
    (run_id,) = set(Run.objects.values_list("id", flat=True)) - before
    run = Run.objects.get(id=run_id)
    assert all(e.deployment is None and e.target == uvicorn.url for e in run.experiments.all())
    assert not any(e.samples.exists() for e in run.experiments.all())
    assert Step.objects.filter(experiment__run=run, valid=True).count() == 2


def test_locust_workers_use_distributed_mode(database):
    before = set(Run.objects.values_list("id", flat=True))
    proc = bench("--suite", "smoke", "--only", "C4", "--duration", "2", "--locust-workers", "2")
    output, _ = proc.communicate(timeout=180)
    assert proc.returncode == 0, output
    (run_id,) = set(Run.objects.values_list("id", flat=True)) - before
    step = Step.objects.get(experiment__run_id=run_id)
    assert step.valid, step.invalid_reason  # every worker's final report reached the master
    assert step.generator_processes >= 3  # a master and two workers
    assert step.endpoints.get(name="whoami").requests > 0


def test_the_database_alone_is_benched_like_a_server(database):
    """`bench --suite database`: pgbench steps stored as steps, PostgreSQL pinned and sampled."""
    from bench.experiments import PG_ALONE, PG_ALONE_PREPARED, PG_ALONE_SIMPLE
    from bench.models import Run

    before = set(Run.objects.values_list("id", flat=True))
    proc = bench("--suite", "database", "--duration", "2")
    output, _ = proc.communicate(timeout=120)
    assert proc.returncode == 0, output
    (run_id,) = set(Run.objects.values_list("id", flat=True)) - before
    experiments = Run.objects.get(id=run_id).experiments.all()
    assert {e.variant for e in experiments} == {PG_ALONE_SIMPLE.label, PG_ALONE_PREPARED.label}
    for record in experiments:
        assert record.experiment == PG_ALONE.name and record.status == "completed", record.error
        (step,) = record.steps.all()
        assert step.valid, step.invalid_reason
        assert step.users == PG_ALONE.users[0]
        (endpoint,) = step.endpoints.all()
        assert endpoint.requests > 100 and endpoint.failures == 0
        assert record.samples.filter(step_index=0, cpu_percent__gt=0).exists(), "PostgreSQL's CPU is sampled"
        assert "--protocol" in record.command_line and record.params["protocol"] in record.command_line
