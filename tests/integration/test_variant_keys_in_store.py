"""Stored runs are found by their variant's key (``ExperimentRun.variant_key``), not its label: a
reworded label still finds them; rows stored before keys were get theirs from the data migration
or, in an old export file, from the import; a row no catalogue variant matches keeps an empty key."""
from __future__ import annotations

import json

import pytest
from django.core.management import call_command
from django.utils import timezone

from bench import experiments as X
from bench import observations as O
from bench import store
from bench.curves import CURVES, CURVES_SWEEP, curve_variant, sweep_variant
from bench.evidence import read_run
from results.runs import latest_evidence
from results.grid import read_grid
from bench.in_flight import cell
from bench.knees import run_knees
from bench.models import ExperimentRun, Run
from bench.overload import overload_variant
from bench.suites import OVERLOAD
from judging.core import SUPPORTED
from dashboard.cards import VERDICTS
from tests.synthetic import V, curve_step, endpoint, make_curves_run, make_grid_run, make_run, only
from tests.unit.cells import c5_variants
from tests.unit.grid_cells import THREADS, UVICORN_1W, grid_of

UNKNOWN = "a variant no catalogue defines"


@pytest.fixture
def created():
    runs: list[Run] = []
    yield runs
    Run.objects.filter(id__in=[r.id for r in runs]).delete()


def renamed(monkeypatch, variant: X.Variant, label: str) -> None:
    """Reword a catalogue variant's label for this test: the same object, as a code change would leave it."""
    monkeypatch.setitem(variant.__dict__, "label", label)


def test_the_runs_of_a_renamed_variant_are_still_found(monkeypatch, created):
    created.append(run := make_run(X.C5.name, c5_variants(1.0, 300.0), suite="quick"))
    before = VERDICTS["C5"](only(run))
    assert before.verdict == SUPPORTED
    renamed(monkeypatch, X.C5_SLEEP, "uvicorn, one worker, asyncio.sleep")
    renamed(monkeypatch, X.C5_BLOCKING, "uvicorn, one worker, time.sleep")
    ev = latest_evidence(X.C5, only(run))
    assert len(ev.get(X.C5_SLEEP)) == 1 and len(ev.get(X.C5_BLOCKING)) == 1
    after = VERDICTS["C5"](only(run))
    assert (after.verdict, after.why) == (before.verdict, before.why)


def test_a_renamed_curve_and_grid_cell_are_still_found(monkeypatch, created):
    steps = [curve_step("ping", rate, rate, 5, 20) for rate in (500, 1000)]
    created.append(run := make_curves_run({("gthread", "ping"): steps}))
    created.append(grid_run := make_grid_run(grid_of({THREADS: 1_000, UVICORN_1W: 1_000})))
    before_knees, before_cells = run_knees(run, 100.0), len(read_grid(grid_run).cells)
    renamed(monkeypatch, curve_variant("gthread", "ping"), "gthread, its best · ping")
    renamed(monkeypatch, cell(UVICORN_1W, 1_000, 5), f"{UVICORN_1W} · one thousand")  # the stack's name leads
    assert run_knees(run, 100.0) == before_knees == {("gthread", "ping"): [1000.0]}
    assert len(read_grid(grid_run).cells) == before_cells


def test_a_row_without_a_key_is_still_found_by_its_label(created):
    """A row stored before keys were that the migration could not match: read as before, by label."""
    created.append(run := make_run(X.C5.name, c5_variants(1.0, 300.0), suite="quick"))
    ExperimentRun.objects.filter(run=run).update(variant_key="")
    assert len(latest_evidence(X.C5, only(run)).get(X.C5_SLEEP)) == 1


def test_the_migration_fills_the_key_of_a_row_stored_with_a_label_only(created):
    now = timezone.now()
    created.append(run := Run.objects.create(suite="synthetic", status=Run.COMPLETED, started_at=now))

    def stored(experiment: str, label: str) -> ExperimentRun:
        return ExperimentRun.objects.create(run=run, claim="C?", experiment=experiment, variant=label,
                                            target="t", scenario="synthetic", started_at=now)

    known, grid_cell, unknown = (stored(X.C5.name, X.C5_BLOCKING.label), stored("c8-in-flight-5s",
                                 cell(THREADS, 4_000, 5).label), stored(X.C5.name, UNKNOWN))
    call_command("migrate", "bench", "0009", verbosity=0)  # as the store was before the data migration
    call_command("migrate", "bench", verbosity=0)
    for row in (known, grid_cell, unknown):
        row.refresh_from_db()
    assert known.variant_key == X.C5_BLOCKING.key
    assert grid_cell.variant_key == cell(THREADS, 4_000, 5).key
    assert unknown.variant_key == ""


def test_an_export_from_before_keys_imports_with_keys_derived(created):
    source = make_run(X.C5.name, {**c5_variants(1.0, 300.0), UNKNOWN: c5_variants(1.0, 1.0)[X.C5_SLEEP]})
    document = json.loads(json.dumps(store.export_run(source)))
    assert {e["variant_key"] for e in document["experiments"]} == {X.C5_SLEEP.key, X.C5_BLOCKING.key, ""}
    source.delete()
    for e in document["experiments"]:
        del e["variant_key"]
    created.append(imported := store.import_run(document, "old.json"))
    keys = dict(imported.experiments.values_list("variant", "variant_key"))
    assert keys == {X.C5_SLEEP.label: X.C5_SLEEP.key, X.C5_BLOCKING.label: X.C5_BLOCKING.key, UNKNOWN: ""}


def test_an_export_keeps_its_keys_through_an_import(created):
    source = make_run(X.C5.name, c5_variants(1.0, 300.0))
    document = json.loads(json.dumps(store.export_run(source)))
    source.delete()
    created.append(imported := store.import_run(document, "new.json"))
    assert json.loads(json.dumps(store.export_run(imported)))["experiments"] == document["experiments"]


def test_the_sweeps_choice_is_kept_by_key_and_the_overload_planner_finds_it_renamed(monkeypatch, created):
    """The curve's stored decision names its best configuration's key: the overload planner takes the
    curve's configuration by it, whatever that configuration is called today."""
    sweep = {sweep_variant("gthread", name, "db/read"): V({"db/read": endpoint(rps, 5)})
             for name, rps in (("1w x 8t", 400.0), ("1w x 32t", 900.0), ("2w x 16t", 600.0))}
    created.append(run := make_run(CURVES_SWEEP.name, sweep, suite="curves"))
    best = sweep_variant("gthread", "1w x 32t", "db/read")
    _, resolved, decided = CURVES.resolve(run, curve_variant("gthread", "db/read"), read_run)
    assert (decided["best"], decided["best_key"], resolved.deployment) == (best.label, best.key, best.deployment)
    make_run(CURVES.name, {curve_variant("gthread", "db/read"): [
        curve_step("db/read", rate, rate, 5, 20, observations={O.CONFIGURATION: decided}) for rate in (500, 900)]},
        into=run)
    renamed(monkeypatch, best, "gthread, thirty-two threads · db/read")
    _, planned, plan = OVERLOAD.resolve(run, overload_variant("gthread", False))
    assert planned.deployment == best.deployment and plan["configuration"] == best.label
