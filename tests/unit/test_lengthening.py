"""A step whose own throughput interval is too wide for its rule is measured again, longer, up to a
cap, and marked imprecise if it still is (bench.runner.BenchRunner._measure): no server, the
measured step replaced by results of a chosen steadiness."""
from __future__ import annotations

from dataclasses import replace

import pytest

from bench import runner as R
from bench.experiments import C1_FULL, LENGTHEN_CAP, Load
from bench.step_quality import assess


def result(seconds: int, wobble: float) -> dict:
    """``seconds`` whole seconds of ``ping`` at 1,000 req/s, every other fifth of the window ``wobble``
    x higher: the batch means (five batches) differ however long the window is."""
    fifth = max(1, seconds // 5)
    series = [{"t": float(t), "name": "ping", "requests": 1000 * (wobble if (t // fifth) % 2 else 1.0), "failures": 0}
              for t in range(seconds + 1)]
    return {"endpoints": [{"name": "ping", "requests": 1000 * seconds, "failures": 0}], "timeseries": series}


class Runner(R.BenchRunner):
    def __init__(self, steadiness):
        super().__init__(R.RunnerOptions("quick", (C1_FULL,)), out=lambda line: None)
        self.steadiness, self.lengths = steadiness, []

    def _run_locust(self, experiment, variant, load, url, during=None, step_s=None):
        self.lengths.append(step_s)
        return result(int(step_s), self.steadiness(step_s)), None


def measure(steadiness, experiment=C1_FULL, during=None):
    runner = Runner(steadiness)
    out, _ = runner._measure(experiment, experiment.variants[0], Load(32), "http://x", during)
    return runner.lengths, out


def test_a_precise_step_is_measured_once():
    lengths, out = measure(lambda s: 1.0)
    assert lengths == [C1_FULL.step_s]
    assert out["precision"] == {"resolve_pct": C1_FULL.resolve_pct, "planned_s": C1_FULL.step_s,
                                "measured_for_s": C1_FULL.step_s, "imprecise": False}


def test_a_noisy_step_is_lengthened_until_its_interval_resolves_the_rule():
    # noisy over short windows only: the batch means of a long window average the wobble out
    lengths, out = measure(lambda s: 1.6 if s < 2 * C1_FULL.step_s else 1.0)
    assert lengths == [C1_FULL.step_s, 2 * C1_FULL.step_s]
    assert out["precision"]["imprecise"] is False and out["precision"]["measured_for_s"] == 2 * C1_FULL.step_s


def test_a_step_that_never_resolves_stops_at_the_cap_marked_imprecise():
    lengths, out = measure(lambda s: 3.0)
    assert lengths == [C1_FULL.step_s * k for k in (1, 2, 4)] and max(lengths) == LENGTHEN_CAP * C1_FULL.step_s
    assert out["precision"]["imprecise"] is True
    assert assess(out).rps_ci_pct >= C1_FULL.resolve_pct


def test_an_experiment_without_an_effect_to_resolve_is_measured_once_and_unmarked():
    lengths, out = measure(lambda s: 3.0, replace(C1_FULL, resolve_pct=None))
    assert lengths == [C1_FULL.step_s] and "precision" not in out


def test_a_fault_is_never_injected_twice():
    lengths, out = measure(lambda s: 3.0, during=(1.0, lambda: {}))
    assert lengths == [C1_FULL.step_s] and "precision" not in out


@pytest.mark.parametrize("imprecise", [True, False])
def test_the_step_quality_carries_it(imprecise):
    doc = {**result(6, 1.0), "precision": {"resolve_pct": 5.0, "planned_s": 6, "measured_for_s": 24,
                                           "imprecise": imprecise}}
    quality = assess(doc)
    assert (quality.resolve_pct, quality.measured_for_s, quality.imprecise) == (5.0, 24, imprecise)


def test_a_quick_experiment_is_never_measured_again_only_marked():
    lengths, out = measure(lambda s: 3.0, replace(C1_FULL, lengthen_cap=1))
    assert lengths == [C1_FULL.step_s] and out["precision"]["imprecise"] is True


def test_the_quick_suites_c1_and_c10_keep_their_step_length():
    from bench.experiments import C1_QUICK
    from bench.two_cores import C10_FULL, C10_QUICK

    assert C1_QUICK.lengthen_cap == C10_QUICK.lengthen_cap == 1
    assert C1_FULL.lengthen_cap == C10_FULL.lengthen_cap == LENGTHEN_CAP
