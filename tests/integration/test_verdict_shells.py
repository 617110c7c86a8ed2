"""The verdicts' shell against the results store: which runs a card reads, what the reader hands
the judge, and that every part of a card comes from one run. The judges themselves (every outcome
of every claim) are tested without a database in tests/unit/test_verdicts.py, on the same cells
(tests/unit/cells.py), stored here by ``make_run``."""
from __future__ import annotations

import pytest

from bench import experiments as X
from results.runs import latest_evidence
from bench.models import Run
from judging.core import INCONCLUSIVE, REFUTED, SUPPORTED
from dashboard.cards import VERDICTS, all_verdicts, database_ceiling, verdict_c1, verdict_c8
from results.grid import read_grid
from results.runs import fullest_grid_run
from judging.verdicts import judge_c8
from judging import in_flight as G_in_flight
from tests.synthetic import V, endpoint, make_grid_run, make_run, only, sample
from tests.unit.cells import MiB, c1_variants, c5_variants, c8_db_variants, merged, pgbench_variants
from tests.unit.grid_cells import FASTAPI, THREADS, UVICORN_1W, KiB, grid_of, held_cell, replace_cells
from results.grid import INVALID, CellRepeat


@pytest.fixture(autouse=True)
def forget_synthetic_runs():
    """Synthetic runs exist for one test only: the dashboard tests must not see them."""
    yield
    Run.objects.filter(suite="synthetic").delete()


@pytest.mark.parametrize("claim", list(VERDICTS))
def test_a_card_no_run_holds_is_inconclusive_with_the_command_that_produces_it(claim):
    verdict = VERDICTS[claim](only())
    assert verdict.verdict == INCONCLUSIVE and "manage.py bench --suite" in verdict.needs


def test_all_verdicts_gives_every_card_in_order():
    assert [v.claim for v in all_verdicts(only())] == list(VERDICTS)


def test_cards_read_only_quick_and_full_runs_unless_a_run_is_picked():
    run = make_run(X.C5.name, c5_variants(1.0, 300.0), suite="smoke")
    try:
        assert VERDICTS["C5"]().verdict == INCONCLUSIVE  # the default: quick and full runs only
        assert VERDICTS["C5"](only(run)).verdict == SUPPORTED  # picked by the user
    finally:
        run.delete()


def test_a_newer_run_with_fewer_repeats_does_not_replace_a_fuller_one():
    full = make_run(X.C5.name, merged(c5_variants(1.0, 300.0), c5_variants(1.0, 310.0), c5_variants(1.0, 290.0)),
                    suite="full")
    quick = make_run(X.C5.name, c5_variants(1.0, 3.0), suite="quick")  # newer, one repeat, the other way
    try:
        verdict = VERDICTS["C5"]()
        assert verdict.run_id == full.id and verdict.verdict == SUPPORTED and verdict.repeats == 3
        assert VERDICTS["C5"](only(quick)).verdict == REFUTED  # still there when picked
        newer_full = make_run(X.C5.name, merged(*[c5_variants(1.0, 3.0)] * 3), suite="full")
        assert VERDICTS["C5"]().run_id == newer_full.id  # equal repeats: the newest
        newer_full.delete()
    finally:
        Run.objects.filter(id__in=[full.id, quick.id]).delete()


def test_an_interrupted_run_decides_no_card_unless_it_is_picked():
    """A newer quick run that was aborted half-way must not decide a card over a complete one."""
    complete = make_run(X.C5.name, c5_variants(1.0, 300.0), suite="quick")
    aborted = make_run(X.C5.name, c5_variants(1.0, 3.0), suite="quick")
    Run.objects.filter(id=aborted.id).update(status=Run.ABORTED)
    try:
        default = VERDICTS["C5"]()
        assert default.run_id == complete.id and default.verdict == SUPPORTED
        assert VERDICTS["C5"](only(aborted)).verdict == REFUTED  # the user may still pick it
    finally:
        Run.objects.filter(id__in=[complete.id, aborted.id]).delete()


def test_c1_invalid_steps_are_excluded():
    run = make_run(X.C1_FULL.name, {
        X.c1_variant("uvicorn", 1, "ping"): V({"ping": endpoint(1000, 20)}),
        X.c1_variant("uvicorn", 4, "ping"): V({"ping": endpoint(100, 30)}, valid=False),  # "supported" if used
    })
    verdict = VERDICTS["C1"](only(run))
    assert verdict.verdict == INCONCLUSIVE


def test_the_reader_hands_the_judge_the_samples_taken_before_load():
    """C8's memory per request starts from the first sample outside the measured windows."""
    run = make_run(X.C8_SLEEP_FULL.name, {X.C8_UVICORN_1W: V({"io/sleep": endpoint(3000, 400)}, samples=[
        sample(t=5, uss_bytes=70 * MiB, step_index=None), sample(t=0, uss_bytes=50 * MiB, step_index=None),
        sample(t=3, uss_bytes=90 * MiB)])})
    (measured,) = latest_evidence(X.C8_SLEEP_FULL, only(run)).get(X.C8_UVICORN_1W)
    assert [s.uss_bytes for s in measured.baseline] == [50 * MiB, 70 * MiB]
    assert measured.before_step("uss_bytes") == 50 * MiB and measured.peak("uss_bytes") == 90 * MiB


C8_REACH = {THREADS: {1: 1_000, 5: 1_000, 30: 4_000}, UVICORN_1W: 10_000, FASTAPI: 10_000}
C8_USS = {THREADS: 64 * KiB, UVICORN_1W: 16 * KiB}


def test_the_grid_reader_hands_the_judge_what_was_stored():
    """Stored and read back, the grid gives the judge the same cells: measured figures, an invalid
    repeat with its reason, out-of-scope cells, ping rates and the generator's capacity."""
    grid = grid_of(C8_REACH, uss_per_request=C8_USS, out_of_scope=((10_000, 1),), ping_rps={UVICORN_1W: 1_500.0})
    invalid = CellRepeat(UVICORN_1W, 4_000, 5, False, 1, INVALID, "load generator saturated")
    grid = replace_cells(grid, invalid, held_cell(UVICORN_1W, 1_000, 5, 0, neighbour=True))
    read = read_grid(make_grid_run(grid))
    key = lambda c: (c.stack, c.n, c.wait_s, c.neighbour, c.repeat)  # noqa: E731
    stored = {key(c): c for c in read.cells}
    assert set(stored) == {key(c) for c in grid.cells}
    for c in grid.cells:
        got = stored[key(c)]
        assert (got.status, got.rps, got.p99_ms, got.uss_bytes, got.threads) == \
            (c.status, c.rps, c.p99_ms, c.uss_bytes, c.threads), key(c)
        assert c.reason in got.reason
    assert read.ping_rps == {UVICORN_1W: [1_500.0, 1_500.0]} and read.generator_capacity_rps == 10_000.0
    assert read.limits == grid.limits
    assert judge_c8(read, None, {}, []).scopes[:-1] == judge_c8(grid, None, {}, []).scopes[:-1]  # all but the DB part


@pytest.mark.parametrize("kind, generator_cpu, expected", [
    ("nothing", 40.0, "measured"),  # the server answered nothing: it missed the cell
    ("failures", 40.0, "measured"),  # the server failed the requests: it missed the cell
    ("nothing", 95.0, "invalid"),  # ... unless the generator was saturated too
    ("generator", 95.0, "invalid"),
    ("error", 40.0, "invalid"),
])
def test_a_step_the_general_rule_calls_invalid_may_be_the_servers_own_outcome(kind, generator_cpu, expected):
    from bench.models import Step

    run = make_grid_run(grid_of({THREADS: 4_000}, repeats=1))
    step = Step.objects.get(experiment__run=run, experiment__experiment="c8-in-flight-5s",
                            experiment__variant__startswith=THREADS, users=10_000)
    step.endpoints.all().delete() if kind == "nothing" else None
    Step.objects.filter(id=step.id).update(valid=False, invalid_kind=kind, invalid_reason=f"synthetic {kind}",
                                           generator_cpu_max_process=generator_cpu)
    (cell,) = read_grid(run).repeats_of(THREADS, 10_000, 5)
    assert cell.status == expected and cell.reason == f"synthetic {kind}"
    if expected == "measured":
        assert G_in_flight.repeat_holds(cell) is False


def test_c8_reads_the_fullest_grid_and_every_part_from_its_run():
    full = make_grid_run(grid_of(C8_REACH, uss_per_request=C8_USS))
    make_run(X.C8_DB.name, merged(c8_db_variants(), c8_db_variants()), into=full)
    thin = make_grid_run(grid_of({THREADS: 10_000}, repeats=1))  # newer, one repeat, refuting
    elsewhere = make_run(X.C8_DB.name, merged(c8_db_variants(30.0), c8_db_variants(30.0)))
    assert fullest_grid_run(only(full, thin, elsewhere)) == full
    verdict = verdict_c8(only(full, thin, elsewhere))
    assert verdict.run_id == full.id and verdict.verdict == SUPPORTED, verdict.why
    # without its own database part the card does not borrow one from another run
    bare = make_grid_run(grid_of(C8_REACH, uss_per_request=C8_USS, repeats=3))
    part = {s.name: s for s in verdict_c8(only(bare, elsewhere)).scopes}["the async ORM keeps the loop free"]
    assert part.outcome == INCONCLUSIVE and f"run #{bare.id}" in part.why


def test_a_grid_run_is_read_by_the_cards_by_default():
    run = make_grid_run(grid_of(C8_REACH, uss_per_request=C8_USS), suite="concurrency")
    try:
        assert VERDICTS["C8"]().run_id == run.id
    finally:
        run.delete()


def shares(verdict) -> dict[str, float]:
    return {f.label.split(":")[0]: f.median for f in verdict.figures if "share of PostgreSQL alone" in f.label}


def test_c8_reads_its_database_part_and_postgresql_alone_from_its_own_run():
    c8 = make_grid_run(grid_of(C8_REACH, uss_per_request=C8_USS))
    make_run(X.C8_DB.name, c8_db_variants(speed=2.5), into=c8)  # db/read at 800 x 2.5 = 2,000 RPS
    make_run(X.PG_ALONE.name, pgbench_variants(20_000, 40_000), claim="DB", into=c8)
    other = make_run(X.C8_DB.name, c8_db_variants(speed=5))  # newer: 4,000 RPS against a slower PostgreSQL
    make_run(X.PG_ALONE.name, pgbench_variants(8_000, 8_000), claim="DB", into=other)
    assert database_ceiling(only(c8)) == {"orm": 20_000, "native": 40_000}
    assert database_ceiling(only(c8, other)) == {"orm": 8_000, "native": 8_000}  # alone, the newest run's
    assert shares(verdict_c8(only(c8, other))) == {X.C8_DB_SYNC_ORM.label: 10.0, X.C8_DB_ASYNC_ORM.label: 10.0,
                                                   X.C8_DB_SYNC_RAW.label: 5.0, X.C8_DB_NATIVE.label: 5.0}
    assert database_ceiling(only(make_run(X.C8_DB.name, c8_db_variants()))) == {}  # no pgbench in that run


def test_c1_reads_postgresql_alone_from_its_own_run():
    c1 = make_run(X.C1_FULL.name, c1_variants({"db/read": [(1000, 700)]}))  # gthread beside it at 3,000
    make_run(X.PG_ALONE.name, pgbench_variants(20_000, 40_000), claim="DB", into=c1)
    other = make_run(X.PG_ALONE.name, pgbench_variants(8_000, 8_000), claim="DB")  # newer, elsewhere
    assert database_ceiling(only(c1, other)) == {"orm": 8_000, "native": 8_000}
    assert shares(verdict_c1(only(c1, other))) == {"uvicorn 1w": 5.0, "uvicorn 4w": 3.5, "gthread 1w": 15.0}


def test_the_claims_page_draws_the_grid_as_heat_maps():
    """The C8 card of a grid run: one heat map per wait, a cell per stack and N with its state, the
    out-of-scope cells grey, the neighbour column, each stack's largest N held."""
    from django.test import Client

    from bench import in_flight as G

    grid = grid_of(C8_REACH, uss_per_request=C8_USS, out_of_scope=((10_000, 1),))
    run = make_grid_run(grid)
    page = Client(HTTP_HOST="127.0.0.1").get(f"/dashboard/claims/?run={run.id}").content.decode()
    assert page.count('<table class="heatmap"') == len(G.GRID_WAITS_S)
    assert page.count('data-state="held"') == sum(
        1 for w in G.GRID_WAITS_S for s in G.row_stacks(w) for n in G.GRID_N
        if n <= (C8_REACH.get(s.name, 0) if isinstance(C8_REACH.get(s.name, 0), int) else C8_REACH[s.name][w])
        and (n, w) != (10_000, 1))
    assert page.count('data-state="out of scope"') == len(G.row_stacks(1))
    assert "+ CPU-bound neighbour" in page and "&gt;= 10,000" in page


def test_c12_reads_the_knees_and_the_grid_of_one_full_run():
    """The low band from the curves' knees (the highest achieved rate within the SLO), the high band
    from the grid, both of the run that holds the two."""
    from dashboard.cards import verdict_c12
    from tests.synthetic import curve_step, make_curves_run

    def curve(knee: float) -> list:
        return [curve_step("ping", rate, rate, 5, 20) for rate in (knee / 2, knee)] + \
            [curve_step("ping", knee * 1.2, knee * 1.05, 100, 400)]  # past the SLO

    run = make_curves_run({("gthread", "ping"): curve(3000), ("uvicorn", "ping"): curve(2000)}, suite="full")
    make_grid_run(grid_of(C8_REACH, uss_per_request=C8_USS), into=run)
    grid_only = make_grid_run(grid_of({THREADS: 10_000}))  # newer, no curves: not C12's run
    try:
        verdict = verdict_c12(only(run, grid_only))
        outcomes = {s.name: s.outcome for s in verdict.scopes}
        assert verdict.run_id == run.id
        assert outcomes["low band, ping: sync views"] == SUPPORTED, verdict.why
        assert outcomes["low band, db/read: sync views"] == INCONCLUSIVE  # no curve for it
        assert outcomes["high band, io/sleep 30 s: async views"] == SUPPORTED
    finally:
        run.delete()


def test_c11_reads_both_sweeps_and_the_thread_starts_from_the_run_of_its_grid():
    """The hand-over card's sweeps come from its grid's run, never from a newer run that holds a sweep
    alone; the threads started per request are read from the stored samples' counter."""
    from bench import handover as HO
    from tests.unit.test_handover import handover_cells

    grid, blocking, cpu = handover_cells(gains={HO.BLOCKING: [27.0, 26.0]})
    run = make_run(HO.HANDOVER.name, grid, claim="C11")
    make_run(HO.POOL_BLOCKING.name, blocking, claim="C11", into=run)
    make_run(HO.POOL_CPU.name, cpu, claim="C11", into=run)
    _, flat, _ = handover_cells()  # a newer run: the blocking sweep alone, where a larger pool adds nothing
    other = make_run(HO.POOL_BLOCKING.name, flat, claim="C11")
    verdict = VERDICTS["C11"](only(run, other))
    assert verdict.run_id == run.id
    assert {s.name: s.outcome for s in verdict.scopes}["pool = cores · blocking call on one core"] == REFUTED
    shown = {f.label: f.median for f in verdict.figures}
    assert shown[f"{HO.GRID[HO.PER_REQUEST, HO.CPU].label}: threads started per request"] == pytest.approx(3.0, rel=0.01)
