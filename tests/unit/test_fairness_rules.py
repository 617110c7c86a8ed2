"""The lab's fairness rules (docs/claims.md, "How verdicts are decided"), each held by at least one
test named after it. Every test here was seen to fail with the code that implements its rule broken
by a one-line mutation (docs/development.md, "Fairness rules and the tests that hold them", lists the
test and the mutation per rule). Tests that already held a rule elsewhere are referenced there, not
repeated here.

Evidence is built in memory (tests/unit/evidence_builder.py, cells.py, grid_cells.py): no database.
The one rule that needs the store, one run per card, is held in
tests/integration/test_fairness_in_store.py. Behaviour is asserted, never a verdict of a real run.

A rule the code does not follow yet is stated by a test marked ``xfail(strict=True)`` (saying where),
which fails loudly the day the code follows it; none is left today.
"""
from __future__ import annotations

import pytest

from bench import experiments as X
from bench import handover as HO
from bench import in_flight as IF
from bench import server_push as P
from bench import upstream_calls as U
from bench.curves import CURVES, CURVES_SWEEP, candidates, curve_variant, default_variant
from results.grid import INVALID, CellRepeat
from bench.runner import BenchRunner, RunnerOptions
from bench.suites import SUITES
from bench.validity import InvalidKind, judge as judge_step
from config.executor import ENV as DEFAULT_EXECUTOR_ENV
from groundwork.names import UPSTREAM_POOL_ENV
from judging import in_flight as G
from judging import verdicts
from judging.advice import C12_RULE
from judging.core import (INCONCLUSIVE, PARTLY, REFUTED, SUPPORTED, Scope, Verdict, banded, classify_repeats,
                          combine, versus_limit)
from judging.upstream_calls import cpu_per_request_us
from tests.unit.cells import c1_variants, c5_variants, c6_variants, c8_db_variants, merged, whoami_obs
from tests.unit.evidence_builder import V, endpoint, evidence, new_run
from tests.unit.grid_cells import FASTAPI, GRANIAN, REUSE, THREADS, UVICORN_1W, UVICORN_2W, KiB, grid_of, replace_cells

S, P_, R, I = SUPPORTED, PARTLY, REFUTED, INCONCLUSIVE
WORKLOADS = list(X.C1_WORKLOADS)


def c1(drops: dict[str, list[tuple[float, float]]], **kw) -> verdicts.Verdict:
    """C1's card on Uvicorn's (1 worker, 4 workers) RPS per repeat and workload, saturated steps known
    to +-0.5 % unless ``kw`` says otherwise (tests/unit/cells.py)."""
    return verdicts.judge_c1(evidence(X.C1_FULL, c1_variants(drops, **kw)), {})


def scope(verdict: verdicts.Verdict, name: str) -> Scope:
    return {s.name: s for s in verdict.scopes}[name]


def drops(*percent: float) -> list[tuple[float, float]]:
    """One (1 worker, 4 workers) RPS pair per repeat, dropping by each of ``percent``."""
    return [(1000.0, 1000.0 - 10 * p) for p in percent]


def c8_card(grid) -> verdicts.Verdict:
    """The C8 card of ``grid``'s run, its async-ORM part holding on as many repeats as the grid has."""
    db = evidence(X.C8_DB, merged(*(c8_db_variants() for _ in range(max(grid.repeats, 1)))), new_run())
    return verdicts.judge_c8(grid, db, {}, [])


C8_SUPPORTED = {THREADS: {1: 1_000, 5: 1_000, 30: 4_000}, UVICORN_1W: 10_000, UVICORN_2W: 4_000, GRANIAN: 4_000}
C8_MEMORY = {THREADS: 64 * KiB, UVICORN_1W: 16 * KiB}


# --- 1. No straw men ---------------------------------------------------------------------------------

@pytest.mark.parametrize("winner", ["1w x 8t", "1w x 32t", "2w x 16t"])
def test_rule_no_straw_men_the_sweep_keeps_the_strongest_configuration_and_names_it(winner):
    """The curves (and C12's low band, which reads their knees) run each stack on the configuration
    that served most in the same run's sweep, the default included, and the decision names it and
    lists the whole sweep with the strongest marked."""
    run = new_run("full")
    run.id = 101
    cells = candidates("gthread", "db/read")
    served = {c: (900.0 if c.label.startswith(f"gthread {winner} ") else 400.0) for c in cells}
    sweep = evidence(CURVES_SWEEP, {c: [V({"db/read": endpoint(rps * k, 5)}) for k in (0.98, 1.02)]
                                    for c, rps in served.items()}, run)
    _, resolved, decided = CURVES.resolve(run, curve_variant("gthread", "db/read"), lambda e, r: sweep)
    best = next(c for c in cells if served[c] == 900.0)
    assert resolved.deployment == best.deployment
    assert decided["best"] == best.label and decided["default"] == default_variant("gthread", "db/read").label
    assert [row["configuration"] for row in decided["sweep"]] == [c.label for c in cells]
    assert [row["configuration"] for row in decided["sweep"] if row["strongest"]] == [best.label]
    assert decided["saturated_rps"] == pytest.approx(900.0)


@pytest.mark.parametrize("grid_name, stacks, sizes", [
    ("C8 in flight", IF.STACKS, IF.GRID_N), ("C14 server push", P.STACKS, P.PUSH_N),
    ("C15 upstream calls", tuple(s.grid_stack for s in U.STACKS), tuple(n for n, _ in U.ROWS_N_WAIT))])
def test_rule_no_straw_men_the_threads_side_gets_a_thread_per_request_in_flight_at_every_n(grid_name, stacks,
                                                                                          sizes):
    """A thread cap of the lab's is not the thread model's limit: at every N, gthread runs one worker
    with N threads, and worker_connections leave room for N idle keep-alive connections beside them."""
    threaded = [s for s in stacks if s.make(sizes[0]).threads is not None]
    assert threaded, grid_name
    for stack in threaded:
        for n in sizes:
            d = stack.make(n)
            assert d.threads * d.workers >= n, (grid_name, stack.name, n)
            assert d.backpressure is None or d.backpressure - d.threads >= n, (grid_name, stack.name, n)


# --- 2. The claim's whole scope ----------------------------------------------------------------------

def test_rule_whole_scope_every_named_workload_is_a_scope_and_a_missing_one_keeps_the_claim_open():
    everywhere = c1({w: drops(30, 30) for w in WORKLOADS})
    assert everywhere.verdict == S and [s.name for s in everywhere.scopes] == WORKLOADS
    missing = c1({w: drops(30, 30) for w in WORKLOADS if w != "db/read"})
    assert [s.name for s in missing.scopes] == WORKLOADS  # the unmeasured workload is listed, not dropped
    assert scope(missing, "db/read").outcome == I
    assert missing.verdict == I and "inconclusive on db/read" in missing.why


def test_rule_whole_scope_c8_is_tested_at_the_thousands_in_flight_it_speaks_of():
    """C8 speaks of thousands of connections: its grid starts where C12's high band does and reaches
    10,000, and every wait is a scope of its own on the card."""
    assert min(IF.GRID_N) >= C12_RULE["high_band"] and max(IF.GRID_N) >= 10_000
    names = [s.name for s in c8_card(grid_of(C8_SUPPORTED, uss_per_request=C8_MEMORY)).scopes]
    assert [f"{w} s waits: coroutines hold more" for w in IF.GRID_WAITS_S] == names[:len(IF.GRID_WAITS_S)]


# --- 3. Symmetric judging, repeat by repeat ----------------------------------------------------------

def clears(value: float) -> str:
    return S if value >= 0 else R


def test_rule_symmetric_noise_undoes_a_support_as_it_undoes_a_refutation():
    assert classify_repeats([1.0, 2.0, -1.0], clears) == (I, "the repeats disagree (2 supported, 1 refuted)", 3)
    assert classify_repeats([-1.0, -2.0, 1.0], clears) == (I, "the repeats disagree (1 supported, 2 refuted)", 3)
    assert versus_limit([12.0, 12.0, 9.0], 10.0) == versus_limit([8.0, 8.0, 11.0], 10.0) == I
    # C1 on one workload: two repeats drop 30 % (support) and one 1 % (refute), and the other way round
    mostly_support = scope(c1({"ping": drops(30, 30, 1)}), "ping")
    mostly_refute = scope(c1({"ping": drops(1, 1, 30)}), "ping")
    assert (mostly_support.outcome, mostly_refute.outcome) == (I, I)
    assert "2 supported, 1 refuted" in mostly_support.why and "1 supported, 2 refuted" in mostly_refute.why
    # C5, a judge whose repeats are outcomes: one repeat the other way undoes either verdict
    def c5(*repeats):
        return verdicts.judge_c5(evidence(X.C5, merged(*(c5_variants(a, b) for a, b in repeats)))).verdict
    assert c5((1.0, 300.0), (1.0, 300.0), (1.0, 3.0)) == c5((1.0, 3.0), (1.0, 3.0), (1.0, 300.0)) == I


def test_rule_symmetric_every_repeat_on_one_side_decides_in_either_direction():
    assert classify_repeats([1.0, 2.0, 3.0], clears) == (S, "", 3)
    assert classify_repeats([-1.0, -2.0, -3.0], clears) == (R, "", 3)
    assert scope(c1({"ping": drops(30, 25, 22)}), "ping").outcome == S
    assert scope(c1({"ping": drops(1, 2, -3)}), "ping").outcome == R


def test_rule_symmetric_repeat_i_is_paired_with_repeat_i_even_where_a_repeat_is_missing():
    """Repeat 1 of the 4-worker cell was invalid (the reader leaves it out). Paired by repeat, the
    two remaining pairs both drop 30 %: supported. Paired by position, 1 worker's repeat 1 (a slow
    stretch, 500 RPS) meets 4 workers' repeat 2 and the repeats seem to disagree."""
    one, four = (X.c1_variant("uvicorn", w, "ping") for w in (1, 4))
    busy = c1_variants({"ping": drops(30)})[one][0].samples
    cells = {one: [V({"ping": endpoint(rps, 20)}, samples=busy, repeat=r, quality={"rps_ci_pct": 0.5})
                   for r, rps in enumerate((1000.0, 500.0, 1000.0))],
             four: [V({"ping": endpoint(700.0, 30)}, samples=busy, repeat=r, quality={"rps_ci_pct": 0.5},
                      deployment={"server": "uvicorn", "workers": 4}) for r in (0, 2)]}
    ping = scope(verdicts.judge_c1(evidence(X.C1_FULL, cells), {}), "ping")
    assert ping.outcome == S, ping.why


# --- 4. Provisional per deciding cell ----------------------------------------------------------------

def test_rule_provisional_one_repeat_in_any_deciding_cell_makes_the_verdict_provisional():
    thin = c1({w: drops(30) if w == "cpu" else drops(30, 30, 30) for w in WORKLOADS})
    assert thin.verdict == S and thin.repeats == 3  # the most repeats of any cell is three ...
    assert thin.deciding_repeats == 1 and thin.provisional  # ... but the cpu workload decided on one
    firm = c1({w: drops(30, 30) for w in WORKLOADS})
    assert firm.verdict == S and not firm.provisional
    # a cell on one repeat that decided nothing, or was out of scope, does not make the verdict provisional
    v = Verdict("C1", S, "rule", "why", repeats=3, scopes=[
        Scope("a", S, "", 3), Scope("b", I, "", 1), Scope("c", R, "", 1, in_scope=False)])
    assert not v.provisional


def test_rule_provisional_a_deployment_measured_once_makes_c4_provisional():
    three = {"server": "uvicorn", "workers": 3}
    obs = whoami_obs([(1, 11, True), (2, 22, True), (3, 33, True)])
    once, thrice = X.C4_DJANGO
    cells = {once: V({"whoami": endpoint(1000, 5)}, deployment=three, observations=obs),
             thrice: [V({"whoami": endpoint(1000, 5)}, deployment=three, observations=obs) for _ in range(3)]}
    verdict = verdicts.judge_c4(evidence(X.C4, cells))
    assert verdict.verdict == S
    assert verdict.provisional, (verdict.repeats, verdict.deciding_repeats)


# --- 5. Interleaved repeats --------------------------------------------------------------------------

def test_rule_interleaved_repeats_the_plan_alternates_the_compared_configurations():
    """A B A B, never A A B B: every repeat runs every variant before the next repeat begins, so
    repeat i of A and repeat i of B share a stretch of the machine's time."""
    experiments = (X.C1_FULL, X.C5, X.C3)
    plan = BenchRunner(RunnerOptions("full", experiments, repeat=3), out=lambda line: None).plan()
    for experiment in experiments:
        mine = [(repeat, v) for e, repeat, v in plan if e is experiment]
        assert [r for r, _ in mine] == sorted(r for r, _ in mine), experiment.name  # no repeat runs ahead
        for r in range(3):
            assert [v for k, v in mine if k == r] == list(experiment.variants), (experiment.name, r)
    one, four = (X.c1_variant("uvicorn", w, "ping") for w in (1, 4))
    order = [(v, r) for e, r, v in plan if e is X.C1_FULL and v in (one, four)]
    assert order == [(one, 0), (four, 0), (one, 1), (four, 1), (one, 2), (four, 2)]


# --- 6. No data, no verdict: the combine rule --------------------------------------------------------

def outcome_of(*outcomes: str) -> str:
    return combine([Scope(f"s{k}", o, "") for k, o in enumerate(outcomes)])[0]


def test_rule_no_data_no_verdict_refuted_plus_unknown_is_not_partly():
    assert outcome_of(R, I) == outcome_of(R, R, I) == I  # unknown data never lifts a refutation to "partly"
    assert outcome_of(S, I) == outcome_of(S, S, I) == I  # ... nor counts as support
    assert outcome_of(S, R, I) == outcome_of(P_, I) == P_  # partly whatever the unknown scope turns out to be
    assert (outcome_of(S, S), outcome_of(R, R), outcome_of(S, R)) == (S, R, P_)
    assert outcome_of(I, I) == outcome_of() == I


def test_rule_no_data_no_verdict_missing_or_invalid_data_is_inconclusive_never_refuted():
    only_ping_refutes = c1({"ping": drops(1, 1)})
    assert scope(only_ping_refutes, "ping").outcome == R
    assert only_ping_refutes.verdict == I  # refuted on one workload, nothing known of the four others
    unsaturated = c1({w: drops(1, 1) for w in WORKLOADS}, cpu=60.0)  # would refute everywhere, if valid
    assert unsaturated.verdict == I
    assert verdicts.judge_c1(None, {}).verdict == I and verdicts.judge_c8(None, None, {}, []).verdict == I


# --- 8. Validity ---------------------------------------------------------------------------------------

def recorded(generator_cpu: float = 40.0, open_loop: dict | None = None) -> dict:
    """The recorder's result document of one step: 1,000 requests, none failed."""
    return {"endpoints": [{"name": "ping", "requests": 1000, "failures": 0}], "errors": [],
            "generator": {"cpu_percent_max_process": generator_cpu}, "open_loop": open_loop}


def test_rule_validity_a_step_whose_load_generator_was_the_limit_is_invalid_and_says_why():
    assert judge_step(recorded()).valid
    busy = judge_step(recorded(generator_cpu=95.0))
    assert (busy.valid, busy.kind) == (False, InvalidKind.GENERATOR)
    assert "load generator saturated" in busy.reason and "95%" in busy.reason
    behind = judge_step(recorded(open_loop={"started": 95, "dropped": 5, "dropped_late": 5, "max_lag_ms": 1000,
                                            "lag": {"p99": 1.0}}))
    assert (behind.valid, behind.kind) == (False, InvalidKind.GENERATOR) and "fell behind" in behind.reason
    # measuring the generator itself is the one step whose busy generator is the point
    assert judge_step(recorded(generator_cpu=95.0), measures_generator=True).valid


def test_rule_validity_c1_decides_nothing_on_a_server_that_was_not_saturated():
    saturated = scope(c1({"ping": drops(30, 30)}), "ping")
    idle = scope(c1({"ping": drops(30, 30)}, cpu=60.0), "ping")
    assert saturated.outcome == S
    assert idle.outcome == I and "not saturated" in idle.why


def test_rule_validity_an_invalid_grid_repeat_leaves_its_cell_unknown_never_missed():
    grid = grid_of({THREADS: 4_000, UVICORN_1W: 4_000})  # both hold 4,000 and miss 10,000: a tie, refuted
    assert G.wait_scope(grid, 5).outcome == R
    spoilt = replace_cells(grid, CellRepeat(UVICORN_1W, 10_000, 5, False, 1, INVALID, "load generator saturated"))
    assert G.cell_state(spoilt.repeats_of(UVICORN_1W, 10_000, 5))[0] == G.UNKNOWN
    assert G.reach(spoilt, UVICORN_1W, 5) == G.Reach(4_000, False, 2)  # a lower bound: it may hold more
    assert G.wait_scope(spoilt, 5).outcome == I
    assert "load generator saturated" in G.cell_state(spoilt.repeats_of(UVICORN_1W, 10_000, 5))[1]


def test_rule_validity_an_upstream_stub_at_its_limit_decides_nothing():
    rps = 100.0
    cell = CellRepeat("x", 100, 1, False, 0, "measured", rps=rps, server_cpu_pct=50.0, stub_cpu_pct=5.0)
    assert cpu_per_request_us(cell) == pytest.approx(5_000.0)
    assert cpu_per_request_us(CellRepeat(**{**cell.__dict__, "stub_cpu_pct": 95.0})) is None


# --- 9. Designed before the run: out-of-scope cells ---------------------------------------------------

def test_rule_designed_before_run_a_cell_beyond_the_load_generator_is_out_of_scope_before_it_runs():
    run = new_run("concurrency")
    run.id = 102
    calibration = evidence(IF.CALIBRATION, {IF.CALIBRATION_CELL: V({"ping": endpoint(10_000.0, 5)}, users=64)}, run)
    asked = []

    def read(experiment, of_run):
        asked.append(experiment)
        return calibration

    row = IF.ROW_BY_WAIT[1]
    with pytest.raises(IF.OutOfScope, match="beyond 70% of the load generator"):  # 10,000/s > 0.7 x 10,000
        row.resolve(run, IF.cell(UVICORN_1W, 10_000, 1), read)
    _, _, decided = row.resolve(run, IF.cell(UVICORN_1W, 4_000, 1), read)  # 4,000/s: within reach
    assert decided["generator_capacity_rps"] == 10_000.0 and decided["ideal_rps"] == 4_000.0
    assert asked == [IF.CALIBRATION, IF.CALIBRATION]  # decided from the calibration, before the cell runs


def test_rule_out_of_scope_cells_never_count_as_missing_data():
    assert combine([Scope("a", S, ""), Scope("b", I, "beyond the generator", in_scope=False)])[0] == S
    assert combine([Scope("a", R, ""), Scope("b", I, "beyond the generator", in_scope=False)])[0] == R
    # on the card: the 1 s row entirely beyond the generator leaves C8 decided by the rows that ran
    everything_at_1s = tuple((n, 1) for n in IF.GRID_N)
    verdict = c8_card(grid_of(C8_SUPPORTED, uss_per_request=C8_MEMORY, out_of_scope=everything_at_1s))
    assert scope(verdict, "1 s waits: coroutines hold more").in_scope is False
    assert verdict.verdict == S, verdict.why
    # an out-of-scope cell after the last one held is a lower bound on the reach, not a miss
    beyond = grid_of({THREADS: 4_000}, out_of_scope=((10_000, 5),))
    assert G.reach(beyond, THREADS, 5) == G.Reach(4_000, False, 2)


# --- 10. Bands, repeat by repeat ---------------------------------------------------------------------

def test_rule_bands_the_outcome_is_the_band_every_repeat_falls_in():
    three_bands = banded(20, 5)
    assert classify_repeats([25.0, 10.0, 12.0], three_bands) == (
        I, "the repeats disagree (1 supported, 2 partly supported)", 3)
    assert classify_repeats([10.0, 12.0, 15.0], three_bands) == (P_, "", 3)
    # C1's bands: >= 20 % supports, 5-20 % partly, under 5 % refutes; the band every repeat agrees on
    assert scope(c1({"ping": drops(10, 12, 15)}), "ping").outcome == P_
    straddling = scope(c1({"ping": drops(25, 10, 12)}), "ping")
    assert straddling.outcome == I and "1 supported, 2 partly supported" in straddling.why
    assert scope(c1({"ping": drops(12, 3, 10)}), "ping").outcome == I


# --- 11. The strongest configuration is chosen apart from the judging ---------------------------------

def test_rule_strongest_chosen_apart_a_sweep_picks_it_before_the_judged_steps_run():
    """The curves' configuration is decided from the sweep (an experiment of its own, run earlier in
    the same run), never from the curve steps that are judged; the suites run each sweep or
    calibration before the experiment that reads it."""
    run = new_run("full")
    run.id = 103
    cells = candidates("uvicorn", "ping")
    sweep = evidence(CURVES_SWEEP, {c: V({"ping": endpoint(1000.0 * (k + 1), 5)}) for k, c in enumerate(cells)}, run)
    asked = []

    def read(experiment, of_run):
        asked.append(experiment)
        return sweep

    _, resolved, _ = CURVES.resolve(run, curve_variant("uvicorn", "ping"), read)
    assert asked == [CURVES_SWEEP] and resolved.deployment == cells[-1].deployment
    for name, suite in SUITES.items():
        for k, experiment in enumerate(suite):
            pilot = getattr(experiment, "sweep", None) or getattr(experiment, "calibration", None)
            if pilot is not None:
                assert pilot in suite[:k], (name, experiment.name)


# --- 12. No default caps ---------------------------------------------------------------------------

@pytest.mark.parametrize("grid_name, stacks, sizes", [
    ("C8 in flight", IF.STACKS, IF.GRID_N), ("C14 server push", P.STACKS, P.PUSH_N),
    ("C15 upstream calls", tuple(s.grid_stack for s in U.STACKS), tuple(n for n, _ in U.ROWS_N_WAIT))])
def test_rule_no_default_caps_every_grid_cell_is_sized_for_its_n(grid_name, stacks, sizes):
    """Backlog, worker_connections or backpressure, and threads are set for the N of the cell, never
    left at a server's default (a 2,048 backlog would cap 4,000 in flight)."""
    for stack in stacks:
        for n in sizes:
            d = stack.make(n)
            assert d.backlog is not None and d.backlog >= n, (grid_name, stack.name, n)
            assert d.backpressure is None or d.backpressure >= n, (grid_name, stack.name, n)
            assert d.threads is None or d.threads * d.workers >= n, (grid_name, stack.name, n)


def test_rule_no_default_caps_pools_and_executors_are_given_what_the_cell_needs():
    for n, wait in U.ROWS_N_WAIT:  # C15: every client pool (and the offload pool) keeps N connections
        for stack in U.STACKS:
            env = dict(U.cell(stack.name, n, wait).env)
            if stack.endpoint == "io/upstream":
                assert env[UPSTREAM_POOL_ENV] == str(n), (stack.name, n)
            if stack.offload_threads:
                assert env["LAB_OFFLOAD_THREADS"] == str(n), (stack.name, n)
    for work in HO.WORKS:  # C11: the shared pool and to_thread's executor get a thread per user
        assert dict(HO.GRID[HO.SHARED, work].env)[HO.OFFLOAD_ENV] == str(HO.USERS)
        assert dict(HO.GRID[HO.TO_THREAD, work].env)[DEFAULT_EXECUTOR_ENV] == str(HO.USERS)
        assert HO.HANDOVER.users == (HO.USERS,)


def test_rule_no_default_caps_c1s_database_pool_holds_a_connection_per_user_it_may_serve():
    """C1 decides db/read on throughput: each process's pool is at least the users the step sends,
    so one worker does not queue its queries on fewer connections than four workers get."""
    db_users = X.C1_WORKLOADS["db/read"][1]
    for experiment in (X.C1_FULL, X.C1_QUICK):
        for v in experiment.variants:
            assert v.deployment.pool_size >= db_users, v.label


def test_rule_no_default_caps_the_kernel_limits_read_are_shown_on_the_card():
    grid = grid_of(C8_SUPPORTED, uss_per_request=C8_MEMORY)
    grid.limits = {"somaxconn": 4096, "threads_max": 120_000}
    shown = {f.label: f.text() for f in c8_card(grid).figures}
    assert shown["the machine's limits (read by the runner)"] == "somaxconn 4,096, threads_max 120,000"


# --- 13. FastAPI is the reference, not the judge ----------------------------------------------------

@pytest.mark.parametrize("fastapi", [(1.0, 300.0, S), (40.0, 300.0, P_), (1.0, 3.0, R), None])
@pytest.mark.parametrize("django", [(1.0, 300.0, S), (1.0, 3.0, R)])
def test_rule_fastapi_is_the_reference_its_outcome_never_enters_djangos_verdict(django, fastapi):
    cells = c5_variants(*django[:2])
    if fastapi is not None:
        cells = {**cells, **c5_variants(*fastapi[:2], X.C5_FASTAPI)}
    verdict = verdicts.judge_c5(evidence(X.C5, cells))
    assert verdict.verdict == django[2]
    (beside,) = verdict.beside
    assert beside.framework == "FastAPI" and beside.outcome == (fastapi[2] if fastapi else I)


def test_rule_fastapi_is_the_reference_c6_django_refuted_stays_refuted_beside_a_supported_fastapi():
    ev = evidence(X.C6, {**c6_variants(40, 38, 20, 50), **c6_variants(40, 20, 80, 80, cells=X.C6_FASTAPI)})
    verdict = verdicts.judge_c6(ev)
    assert (verdict.verdict, verdict.beside[0].outcome) == (R, S)


def test_rule_fastapi_is_the_reference_c8_never_counts_fastapi_or_the_explaining_variant():
    """Stock Django ASGI holds 1,000, gthread 4,000: refuted, whatever FastAPI and the reused-thread
    handler (which explains, never decides) hold."""
    base = {THREADS: 4_000, UVICORN_1W: 1_000, UVICORN_2W: 1_000, GRANIAN: 1_000}
    for others in ({FASTAPI: 0, REUSE: 0}, {FASTAPI: 10_000, REUSE: 10_000}):
        grid = grid_of({**base, **others})
        assert [G.wait_scope(grid, w).outcome for w in IF.GRID_WAITS_S] == [R, R, R], others


# --- 14. Machine-dependent answers say so -----------------------------------------------------------

def test_rule_machine_dependent_cpu_bound_cells_are_marked_on_the_card():
    """A cell whose ideal rate asks for most of what a stack serves at all on its core depends on the
    machine's speed: the card's heat map marks it (and leaves it unknown where no ping rate was read)."""
    grid = grid_of(C8_SUPPORTED, uss_per_request=C8_MEMORY, ping_rps={UVICORN_1W: 1_100.0})
    verdict = c8_card(grid)
    cells = {(m["wait_s"], r["stack"], c["n"]): c["cpu_bound"] for m in verdict.heatmap for r in m["rows"]
             for c in r["cells"] if not c["neighbour"]}
    assert cells[1, UVICORN_1W, 1_000] is True  # 1,000/s against 1,100/s saturated: above 85 %
    assert cells[5, UVICORN_1W, 1_000] is False and cells[30, UVICORN_1W, 10_000] is False
    assert cells[1, THREADS, 1_000] is None  # no ping rate read: unknown, not "not CPU-bound"
    assert "CPU-bound" in verdict.rule


def test_rule_machine_dependent_a_wait_decided_by_cpu_bound_cells_says_so():
    """gthread holds 4,000 at 1 s waits where Django's ASGI stacks miss it, and 4,000/s is above 85 % of
    their saturated ping rate: on a faster core they might hold it. The card must say the answer at
    that wait depends on the machine."""
    grid = grid_of({THREADS: 4_000, UVICORN_1W: 1_000, UVICORN_2W: 1_000, GRANIAN: 1_000},
                   ping_rps={UVICORN_1W: 4_200.0, UVICORN_2W: 4_200.0, GRANIAN: 4_200.0, THREADS: 20_000.0})
    verdict = c8_card(grid)
    one_second = scope(verdict, "1 s waits: coroutines hold more")
    assert "machine-dependent" in one_second.why and "CPU-bound" in one_second.why, one_second.why
    fast = grid_of({THREADS: 4_000, UVICORN_1W: 1_000, UVICORN_2W: 1_000, GRANIAN: 1_000},
                   ping_rps={UVICORN_1W: 20_000.0, UVICORN_2W: 20_000.0, GRANIAN: 20_000.0, THREADS: 20_000.0})
    assert "machine-dependent" not in scope(c8_card(fast), "1 s waits: coroutines hold more").why  # the model's limit
