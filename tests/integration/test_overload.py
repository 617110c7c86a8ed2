"""Overload: the knee it starts from, the rate change inside one open-loop step, and how the
reliability table reads the recovery."""
from __future__ import annotations

import random
import sys
from pathlib import Path

import pytest

from bench import overload
from bench.curves import curve_variant
from bench.models import ExperimentRun, Run, Step, TimePoint
from bench.suites import OVERLOAD, SUITES
from dashboard.reliability import _recovery, overload_rows
from deploy.deployments import Deployment
from tests.synthetic import V, endpoint, make_run, sample

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "loadtests"))
from _schedule import RateChange, Share, starts  # noqa: E402


def test_the_rate_changes_where_it_is_told():
    times = []
    for t in starts(Share(100.0, 0.0), "constant", random.Random(1), RateChange(2.0, 0.25)):
        if t > 6:
            break
        times.append(t)
    before = sum(1 for t in times if t < 2)
    after = sum(1 for t in times if 2 <= t < 6)
    assert before == pytest.approx(200, abs=2) and after == pytest.approx(100, abs=2)


@pytest.mark.parametrize("text", ["31", "x:1", "-1:0.5", "3:0"])
def test_a_bad_rate_change_is_refused(text):
    with pytest.raises(ValueError):
        RateChange.parse(text)


def curve_run(points: list[tuple[float, float, bool]]) -> Run:
    """A stored db/read curve of gthread: (achieved rps, corrected p99 ms, valid) per step."""
    variant = curve_variant("gthread", "db/read")
    run = make_run("curves", {variant: [V({"db/read": endpoint(rps, p99)}, valid=valid, users=i + 1, repeat=0)
                                        for i, (rps, p99, valid) in enumerate(points)]}, suite="curves")
    er = run.experiments.get()
    er.observations = {"configuration": {"best": "gthread 1w x 8t · db/read"}}
    er.save()
    for step, (rps, p99, _) in zip(er.steps.order_by("index"), points):
        step.open_loop = {"rate": rps, "corrected": {"p99": p99}}
        step.save()
    return run


def test_the_knee_is_the_best_valid_step_under_the_slo():
    run = curve_run([(500, 5, True), (900, 40, True), (1100, 90, False), (1000, 400, True)])
    record = run.experiments.get()
    assert overload.knee(record, slo_ms=100) == 900  # 1100 was invalid, 1000 was over the SLO
    assert overload.knee(record, slo_ms=4) is None


def test_overload_resolves_to_twice_then_half_the_knee_on_the_curves_configuration():
    run = curve_run([(500, 5, True), (900, 40, True)])
    variant = overload.overload_variant("gthread", True)
    experiment, resolved, decided = OVERLOAD.resolve(run, variant)
    assert experiment.rates == (1800.0,) and experiment.rate_change == (overload.OVERLOAD_S, 0.25)
    assert resolved.deployment.backpressure == overload.LIMIT_PER_WORKER
    assert decided["knee_rps"] == 900 and decided["calm_rps"] == 450
    _, shipped, _ = OVERLOAD.resolve(run, overload.overload_variant("gthread", False))
    assert shipped.deployment.backpressure is None


def test_overload_without_a_curve_says_what_to_run():
    from django.utils import timezone

    ExperimentRun.objects.filter(experiment="curves").delete()
    run = Run.objects.create(suite="overload", started_at=timezone.now())
    with pytest.raises(LookupError, match="--suite curves"):
        OVERLOAD.resolve(run, overload.overload_variant("uvicorn", False))


def test_recovery_is_the_first_second_after_which_every_second_is_good():
    def pts(p99s, start=31):
        return [TimePoint(t=start + i, name="db/read", requests=10, failures=0, p50=1, p99=p) for i, p in enumerate(p99s)]

    assert _recovery(pts([900, 300, 50, 40, 30]), 30, 100) == 3
    assert _recovery(pts([900, 50, 300, 40, 30]), 30, 100) == 4  # a relapse restarts the count
    assert _recovery(pts([900, 800, 700]), 30, 100) is None
    assert _recovery([], 30, 100) is None


def test_the_reliability_table_reads_an_overload_run():
    variant = overload.overload_variant("uvicorn", False)
    run = make_run(OVERLOAD.name, {variant: V({"db/read": endpoint(800, 2000)},
                                              samples=[sample(uss_bytes=80 * 2**20)])}, suite="overload")
    er = run.experiments.get()
    er.observations = {"configuration": {"knee_rps": 600, "overload_rps": 1200, "calm_rps": 300,
                                         "change_at_s": 2, "configuration": "uvicorn 1w · db/read"}}
    er.deployment = Deployment("uvicorn", port=1).as_dict()
    er.save()
    step = er.steps.get()
    for t, p99, failures in ((1, 900, 3), (2, 1500, 0), (3, 400, 0), (4, 50, 0), (5, 40, 0)):
        TimePoint.objects.create(step=step, t=t, name="db/read", requests=100, failures=failures, p50=10, p99=p99)
    er.samples.create(step_index=None, **{**sample(uss_bytes=60 * 2**20), "t": 0})
    (row,) = [r for r in overload_rows(Run.objects.filter(id=run.id))]
    assert row["served_rps"] == [98, 100] and row["worst_p99_ms"] == [1500, 400]
    assert row["recovered_after_s"] == 2 and row["uss_growth_mib"] == 20.0
    assert "overload" in SUITES and OVERLOAD in SUITES["full"]


def test_the_overloads_own_failures_do_not_invalidate_its_step():
    from bench.validity import VALID, judge

    step = {"endpoints": [{"requests": 1000, "failures": 400}], "errors": [],
            "generator": {"cpu_percent_max_process": 10.0}}
    assert OVERLOAD.failures_intended
    assert judge(step, failures_intended=OVERLOAD.failures_intended) == VALID
    assert judge(step)[0] is False
