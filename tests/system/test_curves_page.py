"""The front page's comparison (dashboard/curves.py) over stored synthetic curves: the knee and
its SLO knob, invalid steps, the lower-bound flag, the range over repeats, the sweep table,
PostgreSQL alone, the percentile distribution decoded from the stored HdrHistograms, the run
the page reads, bad knobs as 400s, and the page's empty state."""
from __future__ import annotations

import pytest
import requests

from bench import experiments as X
from bench.curves import DEFAULT_SLO_MS
from bench.models import Run
from dashboard.curves import comparison, curves_run, distribution_rows, knee_of
from tests.synthetic import V, curve_step, decided, endpoint, make_curves_run, make_run

GENERATOR = "load generator saturated: its busiest process used 97% of a core (limit 90%)"
SERVER_FAILED = "12% of requests failed"
KIND = {GENERATOR: "generator", SERVER_FAILED: "failures"}  # bench.validity.InvalidKind of each reason


@pytest.fixture(autouse=True)
def forget_synthetic_runs():
    """Synthetic runs exist for one test only: the other dashboard tests must not see them."""
    yield
    Run.objects.filter(experiments__scenario="synthetic").delete()


def hockey_stick(workload="ping", repeat=0, scale=1.0, last_reason=GENERATOR, observations=None) -> list[V]:
    """Four valid steps whose p99 rises 5, 20, 80, 300 ms, then one invalid step above them."""
    obs = observations or decided("gthread", workload, 400 * scale)
    rows = [(100, 100, 1, 5), (200, 200, 2, 20), (300, 290, 4, 80), (400, 350, 30, 300)]
    steps = [curve_step(workload, r * scale, a * scale, p50, p99, repeat=repeat, observations=obs)
             for r, a, p50, p99 in rows]
    return steps + [curve_step(workload, 500 * scale, 360 * scale, 1, 2, valid=False, reason=last_reason, kind=KIND[last_reason],
                               repeat=repeat, observations=obs)]


def stack_of(data: dict, workload: str, stack: str) -> dict:
    cell = next(w for w in data["workloads"] if w["workload"] == workload)
    return next(s for s in cell["stacks"] if s["stack"] == stack)


def test_the_slo_knob_moves_the_knee_and_invalid_steps_never_count():
    run = make_curves_run({("gthread", "ping"): hockey_stick(last_reason=SERVER_FAILED)})
    knees = {slo: stack_of(comparison(run, slo), "ping", "gthread")["knee"] for slo in (10, DEFAULT_SLO_MS, 1000)}
    assert knees[10]["median"] == 100 and knees[10]["index"] == 0
    assert knees[DEFAULT_SLO_MS]["median"] == 290 and knees[DEFAULT_SLO_MS]["index"] == 2
    # the invalid step on top had the best p99 (2 ms) and the most throughput: it never counts
    assert knees[1000]["median"] == 350 and knees[1000]["index"] == 3
    assert not any(k["lower_bound"] for k in knees.values())  # the step above failed on the server's side
    assert stack_of(comparison(run, 1), "ping", "gthread")["knee"] is None  # nothing within 1 ms


def test_a_knee_below_a_step_the_generator_could_not_drive_is_a_lower_bound():
    run = make_curves_run({("gthread", "ping"): hockey_stick(last_reason=GENERATOR)})
    assert stack_of(comparison(run, 1000), "ping", "gthread")["knee"]["lower_bound"]  # the next step up: generator
    assert not stack_of(comparison(run, DEFAULT_SLO_MS), "ping", "gthread")["knee"]["lower_bound"]  # a valid one
    points = [{"index": 0, "valid": True, "achieved": 10, "p99": 1, "invalid_reason": ""}]
    assert not knee_of(points, 100)["lower_bound"]
    assert knee_of(points, 100, generator_limited=True)["lower_bound"]  # every sweep candidate outran it


def test_the_sweep_decided_generator_limited_makes_every_knee_a_lower_bound():
    obs = decided("gthread", "ping", 400, generator_limited=True)
    run = make_curves_run({("gthread", "ping"): hockey_stick(last_reason=SERVER_FAILED, observations=obs)})
    s = stack_of(comparison(run), "ping", "gthread")
    assert s["generator_limited"] and s["knee"]["lower_bound"]


def test_the_knee_has_its_range_over_repeats():
    steps = [*hockey_stick(repeat=0, scale=1.0), *hockey_stick(repeat=1, scale=1.2), *hockey_stick(repeat=2, scale=0.8)]
    run = make_curves_run({("gthread", "ping"): steps})
    knee = stack_of(comparison(run), "ping", "gthread")["knee"]
    assert knee["n"] == knee["repeats"] == 3
    assert (knee["low"], knee["median"], knee["high"]) == pytest.approx((232, 290, 348))


def test_points_sweep_and_postgresql_alone():
    run = make_curves_run({("gthread", "db/read"): hockey_stick("db/read"),
                           ("granian-asgi", "db/read"): hockey_stick("db/read", scale=2.0,
                                                                     observations=decided("granian-asgi", "db/read", 800)),
                           ("uvicorn", "ping"): hockey_stick(observations=decided("uvicorn", "ping", 400, 100))})
    pg = make_run(X.PG_ALONE.name, {X.PG_ALONE_SIMPLE: V({X.PGBENCH_ENDPOINT: endpoint(1160, 2)})})
    pg.experiments.update(run=run)
    data = comparison(run)
    assert [w["workload"] for w in data["workloads"]] == ["ping", "db/read"]  # the catalogue's order
    gthread = stack_of(data, "db/read", "gthread")
    assert gthread["database_share"] == pytest.approx(290 / 1160)
    assert stack_of(data, "db/read", "granian-asgi")["database_share"] == pytest.approx(580 / 1160)
    assert stack_of(data, "ping", "uvicorn")["database_share"] is None  # only db/read has a database ceiling
    point = gthread["points"][2]
    assert (point["offered"], point["achieved"], point["p50"], point["p99"]) == pytest.approx((300, 290, 4, 80), rel=0.01)
    assert point["p99_uncorrected"] < point["p99"] and point["cpu_percent"] == 80 and point["uss_mib"] == 30
    assert [p["valid"] for p in gthread["points"]] == [True] * 4 + [False]
    assert [p["index"] for p in gthread["curve"]] == [0, 1, 2, 3]  # the line leaves the invalid step out
    (uvicorn_row,) = next(w for w in data["workloads"] if w["workload"] == "ping")["sweep"]
    assert (uvicorn_row["default"], uvicorn_row["best"]) == ("1w", "2w")
    assert (uvicorn_row["default_rps"], uvicorn_row["best_rps"], uvicorn_row["gain_pct"]) == (100, 400, 300)


def test_the_distribution_decodes_both_histograms_on_a_nines_axis():
    run = make_curves_run({("gthread", "ping"): hockey_stick()})
    rows = distribution_rows(run, "ping", 2)
    assert {r["kind"] for r in rows} == {"corrected", "uncorrected"}
    corrected = [r for r in rows if r["kind"] == "corrected"]
    at = {round(r["x"]): r["ms"] for r in corrected}
    assert at[100] == pytest.approx(80, rel=0.01) and at[1] == pytest.approx(2, rel=0.01)  # p99 and the minimum
    assert {10, 100, 1000} <= set(at)  # 90 %, 99 %, 99.9 %
    assert [r["ms"] for r in corrected] == sorted(r["ms"] for r in corrected)
    knee_rows = distribution_rows(run, "ping", "knee", slo_ms=10)
    assert {r["index"] for r in knee_rows} == {0}  # each stack at its own knee


def test_the_page_reads_the_newest_completed_curves_run():
    older = make_curves_run({("gthread", "ping"): hockey_stick()})
    newer = make_curves_run({("gthread", "ping"): hockey_stick()})
    aborted = make_curves_run({("gthread", "ping"): hockey_stick()})
    aborted.status = Run.ABORTED
    aborted.save()
    make_curves_run({("gthread", "ping"): hockey_stick()}, suite="smoke")  # the newest, but proves nothing
    assert curves_run() == newer  # neither the aborted run nor the smoke run after it
    assert curves_run(older) == older  # a run the user picks


@pytest.mark.parametrize("slo", ["abc", "-5", "0", "nan", "inf", "1e9"])
def test_a_bad_slo_is_a_400_with_a_json_error(dashboard, slo):
    make_curves_run({("gthread", "ping"): hockey_stick()})
    for path in ("/dashboard/", "/dashboard/data/curves", "/dashboard/data/curves/distribution?workload=ping&"):
        sep = "&" if "?" in path else "?"
        r = requests.get(f"{dashboard.url}{path.rstrip('&')}{sep}slo={slo}", timeout=10)
        assert r.status_code == 400, (path, r.text)
        assert "slo" in r.json()["error"]


def test_bad_distribution_knobs_are_400s(dashboard):
    run = make_curves_run({("gthread", "ping"): hockey_stick()})
    base = f"{dashboard.url}/dashboard/data/curves/distribution?run={run.id}"
    assert requests.get(f"{base}&workload=ping&step=2", timeout=10).status_code == 200
    for query in ("&workload=nope", "&workload=ping&step=99", "&workload=ping&step=-1", "&workload=ping&step=x",
                  "&workload=ping&run=abc"):
        r = requests.get(base + query, timeout=10)
        assert r.status_code == 400 and r.json()["error"], query


def test_the_slo_knob_reaches_the_page(dashboard):
    run = make_curves_run({("gthread", "ping"): hockey_stick(last_reason=SERVER_FAILED)})
    for slo, knee in ((10, "100"), (100, "290"), (1000, "350")):
        page = requests.get(f"{dashboard.url}/dashboard/?run={run.id}&slo={slo}", timeout=10)
        assert page.status_code == 200
        cell = page.text.split('<td class="knee">', 1)[1].split("</td>", 1)[0]
        assert cell == knee, (slo, cell)
        csv = requests.get(f"{dashboard.url}/dashboard/data/curves?run={run.id}&slo={slo}&table=knees&format=csv",
                           timeout=10).text
        assert csv.splitlines()[0].startswith("workload,stack,configuration,slo_ms,knee_rps")
        assert float(csv.splitlines()[1].split(",")[4]) == float(knee)


def test_a_run_without_curves_says_which_command_makes_them(dashboard):
    other = make_run(X.C4.name, {X.C4.variants[0]: V({"whoami": endpoint(100, 5)})})
    page = requests.get(f"{dashboard.url}/dashboard/?run={other.id}", timeout=10)
    assert page.status_code == 200
    assert f"Run #{other.id}" in page.text and "manage.py bench --suite curves" in page.text
    assert 'id="curves"' not in page.text
    assert requests.get(f"{dashboard.url}/dashboard/?run=999999", timeout=10).status_code == 404
