"""A failed experiment does not end the suite, a stuck pgbench does not hang it, a closed terminal
aborts it cleanly, and the runner leaves no temporary folder behind. Cheap on purpose: the
experiments here drive PostgreSQL alone (pgbench), so no server is started."""
from __future__ import annotations

import os
import shutil
import signal
from dataclasses import replace

import psutil
import pytest
from django.test import Client

from bench import pgbench
from bench.experiments import PG_ALONE, Experiment
from bench.models import ExperimentRun, Run
from bench.runner import BenchRunner, RunnerOptions
from bench.validity import InvalidKind, judge
from deploy.process import STOP_SIGNALS

TINY = replace(PG_ALONE, name="tiny-pgbench", users=(2,), warmup_s=0.0)  # two variants: two entries


class FailsBeforeItsFirstStep(Experiment):
    def resolve(self, *args):
        raise RuntimeError("injected: could not even start")


@pytest.fixture
def runner_signals():
    """The runner installs its own SIGTERM/SIGHUP handlers: give pytest its own back afterwards."""
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, *STOP_SIGNALS)}
    yield
    for sig, handler in saved.items():
        signal.signal(sig, handler)


def execute(*experiments: Experiment) -> tuple[BenchRunner, Run]:
    runner = BenchRunner(RunnerOptions(suite="smoke", experiments=experiments, duration_s=1, server_samples=False),
                         out=lambda line: None)
    return runner, runner.execute()


def test_a_failed_experiment_is_recorded_and_the_suite_goes_on(runner_signals, monkeypatch):
    real_step, calls = pgbench.run_step, []

    def first_step_fails(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("injected: the first step broke")
        return real_step(*args, **kwargs)

    monkeypatch.setattr(pgbench, "run_step", first_step_fails)
    broken = FailsBeforeItsFirstStep(**{**vars(TINY), "name": "broken"})
    runner, run = execute(broken, TINY)
    try:
        assert run.status == Run.PARTIAL and run.finished_at
        records = {(e.experiment, e.variant): e for e in run.experiments.all()}
        assert len(records) == 4  # every entry of the plan, once
        first, second = (records[(TINY.name, v.label)] for v in TINY.variants)
        assert first.status == ExperimentRun.FAILED and "injected: the first step broke" in first.error
        assert second.status == ExperimentRun.COMPLETED and second.steps.get().valid  # the suite went on
        for v in broken.variants:
            assert "injected: could not even start" in records[(broken.name, v.label)].error
        # every record, measured or failed, carries its variant's key (the readers find it by that)
        assert {(e, label): r.variant_key for (e, label), r in records.items()} == \
            {(e.name, v.label): v.key for e in (TINY, broken) for v in e.variants}
        assert "3 of 4 failed" in run.note and "injected: the first step broke" in run.note
        assert runner.workdir.is_dir() and str(runner.workdir) in run.note  # the failure's logs, and where
        page = Client().get("/dashboard/runs/", HTTP_HOST="127.0.0.1")
        assert page.status_code == 200 and "completed with failures" in page.content.decode()
    finally:
        shutil.rmtree(runner.workdir, ignore_errors=True)
        run.delete()


def test_a_completed_run_leaves_no_temporary_folder(runner_signals):
    runner, run = execute(replace(TINY, variants=TINY.variants[:1]))
    try:
        assert run.status == Run.COMPLETED, run.note
        assert runner.workdir is not None and not runner.workdir.exists()
    finally:
        run.delete()


def test_sighup_aborts_the_run_like_sigterm(runner_signals, monkeypatch):
    hung_up = []
    signal.signal(signal.SIGHUP, lambda *_: hung_up.append(1))  # without the runner's handler: noted, not fatal

    def terminal_closes(*args, **kwargs):
        os.kill(os.getpid(), signal.SIGHUP)
        return pgbench.result_document([], "", 0.0, 0.0, 0.0)

    monkeypatch.setattr(pgbench, "run_step", terminal_closes)
    runner, run = execute(TINY)
    try:
        assert run.status == Run.ABORTED and "SIGHUP" in run.note
        assert not hung_up
        assert not runner.workdir.exists()  # an interruption is no failure: nothing to keep
    finally:
        run.delete()


def test_a_stuck_pgbench_is_killed_and_its_step_invalid(monkeypatch):
    monkeypatch.setattr(pgbench, "script", lambda rows: "\\sleep 20 s\nSELECT 1;\n")  # every transaction hangs
    monkeypatch.setattr(pgbench, "TIMEOUT_MARGIN_S", 1.0, raising=False)
    result = pgbench.run_step(pgbench.PgbenchSettings(clients=1), warmup_s=0, duration_s=1)
    judged = judge(result)
    assert not judged.valid and judged.kind == InvalidKind.ERROR
    assert "did not finish within 2 s" in judged.reason and "killed" in judged.reason
    assert not [p for p in psutil.Process().children(recursive=True) if p.name() == "pgbench"]
