"""The fairness rule that needs the results store: one run per card (docs/claims.md, "How verdicts are
decided"). A card's figures come from one run, the one with the most valid repeats of its experiment,
the newest only among equals: a newer, thinner run never quietly replaces a fuller one. The other
rules are held without a database in tests/unit/test_fairness_rules.py; the table in
docs/development.md ("Fairness rules and the tests that hold them") lists both, with the mutation
each was seen to fail under.

Tests marked ``xfail(strict=True)`` state a rule the code does not follow yet (each says where).
"""
from __future__ import annotations

from datetime import timedelta

import pytest

from bench import experiments as X
from bench.models import Run
from judging.core import REFUTED, SUPPORTED
from dashboard.cards import verdict_c5
from results.grid import INVALID, CellRepeat
from results.runs import fullest_grid_run, latest_evidence
from tests.synthetic import V, make_grid_run, make_run, only
from tests.unit.cells import c5_variants
from tests.unit.grid_cells import THREADS, UVICORN_1W, grid_of, replace_cells


@pytest.fixture(autouse=True)
def forget_synthetic_runs():
    """These runs exist for one test only: the dashboard tests must not see them."""
    yield
    Run.objects.filter(suite="synthetic").delete()


def c5_run(repeats: list[tuple[float, float, bool]], age_minutes: int) -> Run:
    """A stored C5 run, ``age_minutes`` old: per repeat (lag under io/sleep, lag under io/blocking,
    whether its steps were valid)."""
    cells: dict = {}
    for k, (calm, blocked, valid) in enumerate(repeats):
        for variant, vs in c5_variants(calm, blocked).items():
            cells.setdefault(variant, []).append(V(vs.endpoints, samples=vs.samples, repeat=k, valid=valid,
                                                   invalid_reason="" if valid else "load generator saturated",
                                                   invalid_kind="" if valid else "generator"))
    run = make_run(X.C5.name, cells)
    Run.objects.filter(id=run.id).update(started_at=run.started_at - timedelta(minutes=age_minutes))
    return Run.objects.get(id=run.id)


def test_rule_one_run_per_card_the_run_with_more_valid_repeats_wins_over_a_newer_one():
    """The newer run stored three repeats, two of them invalid (its generator was the limit): one
    valid repeat against the older run's two. The card reads the older, fuller run, and all of its
    figures come from that run alone."""
    fuller = c5_run([(1.0, 300.0, True), (1.0, 290.0, True)], age_minutes=60)
    thinner = c5_run([(1.0, 3.0, True), (1.0, 3.0, False), (1.0, 3.0, False)], age_minutes=5)
    verdict = verdict_c5(only(fuller, thinner))
    assert verdict.run_id == fuller.id and verdict.verdict == SUPPORTED and verdict.repeats == 2, verdict.why
    assert set(verdict.experiment_run_ids) == set(fuller.experiments.values_list("id", flat=True))
    assert verdict_c5(only(thinner)).verdict == REFUTED  # the user can still pick the newer run


def test_rule_one_run_per_card_among_runs_equally_full_the_newest():
    older = c5_run([(1.0, 300.0, True), (1.0, 290.0, True)], age_minutes=60)
    newer = c5_run([(1.0, 3.0, True), (1.0, 3.0, True)], age_minutes=5)
    assert latest_evidence(X.C5, only(older, newer)).run.id == newer.id
    assert verdict_c5(only(older, newer)).verdict == REFUTED


def test_rule_one_run_per_card_a_grid_run_with_more_valid_repeats_wins_over_a_newer_one():
    fuller = make_grid_run(grid_of({THREADS: 1_000, UVICORN_1W: 10_000}, repeats=2))
    spoilt = grid_of({THREADS: 10_000, UVICORN_1W: 1_000}, repeats=3)
    spoilt = replace_cells(spoilt, *(CellRepeat(c.stack, c.n, c.wait_s, c.neighbour, c.repeat, INVALID,
                                                "load generator saturated") for c in spoilt.cells if c.repeat > 0))
    newer = make_grid_run(spoilt)  # three repeats stored, one of them valid
    assert fullest_grid_run(only(fuller, newer)) == fuller
