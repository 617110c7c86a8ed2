"""C11's judging on evidence built in memory: each part's every outcome in both directions, the
thresholds at their edges, missing cells, repeats that disagree, the combine rule, and what is shown
but never counted."""
from __future__ import annotations

import pytest

from bench import handover as HO
from bench.evidence import Evidence
from judging.core import INCONCLUSIVE, PARTLY, REFUTED, SUPPORTED
from judging.handover import HANDOVER_RULE, cores_gain, cores_outcome, fine_outcome, judge_c11, sweep_sizes
from tests.unit.evidence_builder import V, endpoint, evidence, new_run, sample

BASE_RPS = {HO.BLOCKING: 600.0, HO.CPU: 50.0}  # the shared pool's throughput in the grid, and the sweep's at cores
STARTS = {HO.PER_REQUEST: 3.0, HO.SHARED: 2.0, HO.TO_THREAD: 2.0, HO.SYNC_TO_ASYNC: 2.0}


def cell(rps: float, lag_ms: float = 2.0, starts_per_request: float = 2.0, repeat: int | None = None) -> V:
    """One repeat of a cell: ``rps``, the loop's lag in every sample, threads started per request
    (the builder's step counts rps x 10 requests over 10 s; the samples span 8 s of it)."""
    rise = int(starts_per_request * rps * 8)
    return V({HO.ENDPOINT: endpoint(rps, 80.0)}, users=HO.USERS, repeat=repeat,
             samples=[sample(t=1.0, cpu_percent=60.0, thread_starts=1_000, loop_lag_ms={"1": lag_ms}),
                      sample(t=9.0, cpu_percent=60.0, thread_starts=1_000 + rise, loop_lag_ms={"1": lag_ms})])


def handover_cells(fine: dict[str, list[tuple[float, float]]] | None = None,
                   gains: dict[str, list[float]] | None = None, leave_out=()) -> tuple[dict, dict, dict]:
    """The cells of the three experiments (variant -> repeats). ``fine[work]``: per repeat (the
    per-request pool's share of the shared pool's throughput, its lag p99); ``gains[work]``: per repeat,
    what the best pool larger than the cores adds over it. ``leave_out``: variants with no valid step."""
    fine = {HO.BLOCKING: [(1.0, 2.0)] * 2, HO.CPU: [(1.0, 2.0)] * 2, **(fine or {})}
    gains = {HO.BLOCKING: [0.0] * 2, HO.CPU: [0.0] * 2, **(gains or {})}
    grid = {}
    for work in HO.WORKS:
        base = BASE_RPS[work]
        for how in HO.HOWS:
            grid[HO.GRID[how, work]] = [cell(base * (share if how == HO.PER_REQUEST else 1.0),
                                             lag if how == HO.PER_REQUEST else 2.0, STARTS[how])
                                        for share, lag in fine[work]]
        grid[HO.STOCK_TO_THREAD[work]] = [cell(base * 0.5) for _ in fine[work]]
    sweeps = {}
    for work in HO.WORKS:
        cells = {}
        for role, variant in HO.SWEEP[work].items():
            if role == HO.ONE:
                cells[variant] = [cell(BASE_RPS[work] * 0.5) for _ in gains[work]]
            elif role == HO.AT_CORES:
                cells[variant] = [cell(BASE_RPS[work]) for _ in gains[work]]
            else:  # the larger pools: the best of them adds the gain
                cells[variant] = [cell(BASE_RPS[work] + (BASE_RPS[work] * g if role == HO.THIRTY_TWO else 0.0))
                                  for g in gains[work]]
        sweeps[work] = cells
    drop = lambda cells: {v: vs for v, vs in cells.items() if v not in leave_out}  # noqa: E731
    return drop(grid), drop(sweeps[HO.BLOCKING]), drop(sweeps[HO.CPU])


def handover(*args, **kw) -> tuple[Evidence, Evidence, Evidence]:
    """What the shell would read of one run holding the three experiments (``handover_cells``' cells)."""
    run = new_run("handover")
    run.environment["cpus_available"] = [0, 1]  # the runner's machine: two cores
    grid, blocking, cpu = handover_cells(*args, **kw)
    return (evidence(HO.HANDOVER, grid, run), evidence(HO.POOL_BLOCKING, blocking, run),
            evidence(HO.POOL_CPU, cpu, run))


def scopes(*parts) -> dict[str, str]:
    return {s.name: s.outcome for s in judge_c11(*parts).scopes}


FINE_BLOCKING, FINE_CPU = "per-request pool · blocking call", "per-request pool · CPU task"
CORES_CPU, CORES_BLOCKING = "pool = cores · CPU task on every core", "pool = cores · blocking call on one core"


def test_supported_everywhere():
    verdict = judge_c11(*handover())
    assert verdict.verdict == SUPPORTED and not verdict.provisional, verdict.why
    assert set(scopes(*handover())) == {FINE_BLOCKING, FINE_CPU, CORES_CPU, CORES_BLOCKING}


@pytest.mark.parametrize("share,lag,outcome", [
    (0.95, 2.0, SUPPORTED), (0.90, 10.0, SUPPORTED),  # the edges hold
    (0.89, 2.0, INCONCLUSIVE), (0.95, 10.5, INCONCLUSIVE), (0.75, 50.0, INCONCLUSIVE),
    (0.74, 2.0, REFUTED), (0.95, 51.0, REFUTED), (0.5, 100.0, REFUTED),
])
def test_a_pool_per_request_is_fine_cuts_both_ways(share, lag, outcome):
    assert fine_outcome(share, lag) == outcome
    assert scopes(*handover(fine={HO.CPU: [(share, lag)] * 2}))[FINE_CPU] == outcome
    assert scopes(*handover(fine={HO.BLOCKING: [(share, lag)] * 2}))[FINE_BLOCKING] == outcome


@pytest.mark.parametrize("work,gain,outcome", [
    (HO.CPU, -0.10, SUPPORTED), (HO.CPU, 0.049, SUPPORTED), (HO.CPU, 0.05, INCONCLUSIVE),
    (HO.CPU, 0.149, INCONCLUSIVE), (HO.CPU, 0.15, REFUTED), (HO.CPU, 2.0, REFUTED),
    (HO.BLOCKING, 0.0, SUPPORTED), (HO.BLOCKING, 0.049, SUPPORTED), (HO.BLOCKING, 0.05, INCONCLUSIVE),
    (HO.BLOCKING, 0.199, INCONCLUSIVE), (HO.BLOCKING, 0.20, REFUTED), (HO.BLOCKING, 27.0, REFUTED),
])
def test_pool_equals_cores_cuts_both_ways(work, gain, outcome):
    assert cores_outcome(work, gain) == outcome
    name = CORES_CPU if work == HO.CPU else CORES_BLOCKING
    assert scopes(*handover(gains={work: [gain] * 2}))[name] == outcome


def test_the_gain_is_the_best_larger_pool_over_the_pool_of_cores_repeat_by_repeat():
    _, blocking, cpu = handover(gains={HO.BLOCKING: [27.0, 26.0], HO.CPU: [0.02, -0.01]})
    assert cores_gain(blocking, HO.BLOCKING) == pytest.approx({0: 27.0, 1: 26.0})
    # 32 threads served less than the cores in the second repeat, 4 x cores as much: the best counts
    assert cores_gain(cpu, HO.CPU) == pytest.approx({0: 0.02, 1: 0.0})


def test_the_expected_outcome_reads_partly_supported():
    """What the design expects on a GIL-bound machine: fine per request, cores enough for CPU, not for waiting."""
    verdict = judge_c11(*handover(gains={HO.BLOCKING: [27.0, 27.0]}))
    assert verdict.verdict == PARTLY
    assert {s.name: s.outcome for s in verdict.scopes}[CORES_BLOCKING] == REFUTED


def test_everything_refuted_is_refuted():
    verdict = judge_c11(*handover(fine={HO.BLOCKING: [(0.5, 2.0)] * 2, HO.CPU: [(1.0, 80.0)] * 2},
                                  gains={HO.BLOCKING: [1.0] * 2, HO.CPU: [0.5] * 2}))
    assert verdict.verdict == REFUTED, verdict.why


def test_repeats_that_disagree_decide_nothing():
    found = scopes(*handover(fine={HO.BLOCKING: [(0.95, 2.0), (0.70, 2.0)]}, gains={HO.CPU: [0.01, 0.30]}))
    assert found[FINE_BLOCKING] == INCONCLUSIVE and found[CORES_CPU] == INCONCLUSIVE
    assert judge_c11(*handover(fine={HO.BLOCKING: [(0.95, 2.0), (0.70, 2.0)]})).verdict == INCONCLUSIVE


def test_a_missing_cell_never_decides():
    found = scopes(*handover(leave_out=(HO.GRID[HO.SHARED, HO.CPU], HO.SWEEP[HO.BLOCKING][HO.AT_CORES])))
    assert found[FINE_CPU] == INCONCLUSIVE and found[CORES_BLOCKING] == INCONCLUSIVE
    larger = tuple(HO.SWEEP[HO.CPU][role] for role in HO.LARGER)
    assert scopes(*handover(gains={HO.CPU: [0.5, 0.5]}, leave_out=larger))[CORES_CPU] == INCONCLUSIVE
    grid, blocking, _ = handover()
    assert judge_c11(grid, blocking, None).verdict == INCONCLUSIVE  # a part unknown: nothing lifted


def test_a_missing_cell_is_said_missing_repeat_by_repeat():
    """A repeat with a cell missing on either side still shows, as "missing" with its figure "n/a"."""
    grid, blocking, cpu = handover(leave_out=(HO.GRID[HO.PER_REQUEST, HO.CPU], HO.SWEEP[HO.BLOCKING][HO.AT_CORES]))
    why = {s.name: s.why for s in judge_c11(grid, blocking, cpu).scopes}
    assert why[FINE_CPU] == "per repeat: missing, missing (n/a; n/a); no repeat gave the outcome"
    assert why[CORES_BLOCKING] == ("per repeat: missing, missing (a pool larger than the cores adds n/a, n/a); "
                                   "no repeat gave the outcome")
    assert cores_gain(blocking, HO.BLOCKING) == {0: None, 1: None}


def test_without_the_grid_the_sweeps_still_decide_and_the_chart_is_empty():
    _, blocking, cpu = handover()
    verdict = judge_c11(None, blocking, cpu)
    assert {s.name: s.why for s in verdict.scopes}[FINE_BLOCKING] == \
        "per repeat: none (no cells); no repeat gave the outcome"
    assert {s.name: s.outcome for s in verdict.scopes}[CORES_CPU] == SUPPORTED
    assert [d["data"] for d in verdict.chart["datasets"]] == [[None] * len(HO.HOWS)] * len(HO.WORKS)


SIZES = "the sweeps' pool sizes (threads)"
BLOCKING_SIZES = "blocking call on one core: 1 thread = 1, cores = 1, 4 x cores = 4, 32 threads = 32"


def sizes_shown(verdict) -> str:
    return next(f.statement for f in verdict.figures if f.label == SIZES)


@pytest.mark.parametrize("present", [(0,), (1,), (2,), (0, 1), (0, 2), (1, 2)])
def test_the_pool_sizes_and_the_run_come_from_whichever_experiment_is_there(present):
    """The machine's cores are in the run's environment, read from any of its three experiments."""
    parts = handover()
    verdict = judge_c11(*(ev if i in present else None for i, ev in enumerate(parts)))
    assert sizes_shown(verdict) == f"{BLOCKING_SIZES}; CPU task on every core: 1 thread = 1, cores = 2, " \
                                   "4 x cores = 8, 32 threads = 32"
    assert verdict.run_id == parts[0].run.id


def test_cores_not_recorded_are_said_so():
    grid, blocking, cpu = handover()
    del grid.run.environment["cpus_available"]  # a run recorded before the runner kept its cores
    told = f"{BLOCKING_SIZES}; CPU task on every core: cores not recorded"
    assert sizes_shown(judge_c11(grid, blocking, cpu)) == told
    assert sweep_sizes(None).statement == told


def test_a_lag_never_sampled_decides_nothing():
    grid, blocking, cpu = handover()
    for ms in [grid.get(HO.GRID[HO.PER_REQUEST, HO.CPU])]:
        for m in ms:
            for s in m.samples:
                s.loop_lag_ms = {}
    assert scopes(grid, blocking, cpu)[FINE_CPU] == INCONCLUSIVE


def test_one_repeat_is_provisional():
    verdict = judge_c11(*handover(fine={w: [(1.0, 2.0)] for w in HO.WORKS}, gains={w: [0.0] for w in HO.WORKS}))
    assert verdict.verdict == SUPPORTED and verdict.provisional


def test_to_thread_sync_to_async_and_the_stock_default_are_shown_never_counted():
    grid, blocking, cpu = handover()
    for variant in (*(HO.GRID[how, w] for how in (HO.TO_THREAD, HO.SYNC_TO_ASYNC) for w in HO.WORKS),
                    *HO.STOCK_TO_THREAD.values()):
        for ms in [grid.get(variant)]:
            for m in ms:
                m.endpoints[HO.ENDPOINT].rps = 1.0
    verdict = judge_c11(grid, blocking, cpu)
    assert verdict.verdict == SUPPORTED
    shown = {f.label: f.median for f in verdict.figures}
    assert shown[f"{HO.GRID[HO.TO_THREAD, HO.CPU].label}: throughput"] == 1.0


def test_the_figures_read_threads_per_request_cpu_and_lag():
    verdict = judge_c11(*handover(fine={HO.CPU: [(1.0, 7.0)] * 2}))
    shown = {f.label: f.median for f in verdict.figures}
    per_request = HO.GRID[HO.PER_REQUEST, HO.CPU].label
    assert shown[f"{per_request}: threads started per request"] == pytest.approx(3.0, rel=0.01)
    assert shown[f"{HO.GRID[HO.SHARED, HO.CPU].label}: threads started per request"] == pytest.approx(2.0, rel=0.01)
    assert shown[f"{per_request}: loop lag p99"] == 7.0
    assert shown[f"{per_request}: server CPU per request"] == pytest.approx(0.6 / 50 * 1e6)


def test_no_run_says_how_to_get_one():
    verdict = judge_c11(None, None, None)
    assert verdict.verdict == INCONCLUSIVE and "--suite handover" in verdict.needs


def test_the_rule_shows_its_thresholds():
    text = HANDOVER_RULE.render()
    for shown in (">= 90%", "below 75%", "<= 10 ms", "> 50 ms", "< 5%", ">= 15%", ">= 20%", "50 ms blocking"):
        assert shown in text, shown
