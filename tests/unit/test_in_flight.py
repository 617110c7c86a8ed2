"""The thousands-in-flight grid's judging (``judging.in_flight``) on grids built in memory: the
held rule on each side of each of its lines, cell states, each stack's reach, the per-wait
comparison in both directions, the memory part, the heat map, and machine speed."""
from __future__ import annotations

import pytest

from bench import experiments
from bench import in_flight as X
from results.grid import FAILED, INVALID, CellRepeat
from judging import in_flight as G
from judging import verdicts
from judging.core import INCONCLUSIVE, PARTLY, REFUTED, SUPPORTED
from tests.unit.cells import c8_db_variants, merged
from tests.unit.evidence_builder import evidence, new_run
from tests.unit.grid_cells import (FASTAPI, GRANIAN, KiB, REUSE, THREADS, UVICORN_1W, UVICORN_2W, grid_of,
                                   held_cell, measured, missed_cell, replace_cells)

RULE = G.GRID_RULE


# --- one repeat against the held rule ---------------------------------------------------------

@pytest.mark.parametrize("wait_s", X.GRID_WAITS_S)
@pytest.mark.parametrize("share, overhead_share, failures, expected", [
    (1.0, 0.0, 0, True),
    (0.95, 0.0, 0, True),  # exactly on the throughput line
    (0.9499, 0.0, 0, False),
    (1.0, 1.0, 0, True),  # exactly on the overhead line
    (1.0, 1.001, 0, False),
    (1.0, 0.0, None, True),  # failures exactly at 0.1 % of the requests
    (1.0, 0.0, "over", False),
])
def test_a_repeat_holds_on_every_line_of_the_rule(wait_s, share, overhead_share, failures, expected):
    n = 1_000
    limit_ms = max(RULE["overhead_share"] * wait_s * 1000, RULE["overhead_floor_ms"])
    cell = measured(THREADS, n, wait_s, share=share, overhead_ms=overhead_share * limit_ms)
    answered = cell.requests + cell.failures
    if failures is None:
        failures = int(RULE["failure_share"] * answered)
    elif failures == "over":
        failures = int(RULE["failure_share"] * answered) + 1
    cell = CellRepeat(**{**cell.__dict__, "failures": failures, "requests": answered - failures})
    assert G.repeat_holds(cell) is expected


def test_the_overhead_floor_applies_where_a_share_of_the_wait_is_smaller():
    """At a 100 ms wait 20 % would be 20 ms; the floor of 50 ms applies (a real wait is never so short
    in the grid, but the rule says so)."""
    cell = measured(THREADS, 1_000, 1, overhead_ms=0)
    short = CellRepeat(**{**cell.__dict__, "wait_s": 0.1, "rps": 10_000, "p99_ms": 100 + 50})
    assert G.repeat_holds(short) is True
    assert G.repeat_holds(CellRepeat(**{**short.__dict__, "p99_ms": 100 + 51})) is False


@pytest.mark.parametrize("status", [INVALID, FAILED])
def test_a_repeat_that_measured_nothing_neither_holds_nor_misses(status):
    cell = CellRepeat(THREADS, 1_000, 5, False, 0, status, "load generator saturated")
    assert G.repeat_holds(cell) is None


@pytest.mark.parametrize("missing", ["rps", "p99_ms"])
def test_a_measured_repeat_without_its_rate_or_its_p99_decides_nothing(missing):
    cell = measured(THREADS, 1_000, 5)
    assert G.repeat_holds(CellRepeat(**{**cell.__dict__, missing: None})) is None


def test_a_repeat_that_answered_nothing_missed_its_cell():
    """A server that took N connections and answered none in the window has no p99: it missed."""
    cell = measured(THREADS, 10_000, 5)
    assert G.repeat_holds(CellRepeat(**{**cell.__dict__, "rps": 0.0, "p99_ms": None, "requests": 0})) is False


# --- a cell over its repeats -----------------------------------------------------------------

def test_cell_states_cut_both_ways():
    held = [held_cell(THREADS, 1_000, 5, r) for r in range(2)]
    missed = [missed_cell(THREADS, 1_000, 5, r) for r in range(2)]
    assert G.cell_state(held)[0] == G.HELD
    assert G.cell_state(missed)[0] == G.NOT_HELD
    state, why = G.cell_state([held[0], missed[1]])
    assert state == G.UNKNOWN and "disagree" in why
    invalid = CellRepeat(THREADS, 1_000, 5, False, 1, INVALID, "generator saturated")
    state, why = G.cell_state([held[0], invalid])
    assert state == G.UNKNOWN and "generator saturated" in why
    assert G.cell_state([]) == (G.UNKNOWN, "not run")
    outside = [CellRepeat(THREADS, 10_000, 1, False, r, "out of scope", f"beyond the generator ({r})") for r in range(2)]
    assert G.cell_state(outside) == (G.OUTSIDE, "beyond the generator (0)")


# --- reach and the per-wait comparison -----------------------------------------------------------

def test_reach_is_exact_only_when_the_next_n_was_missed():
    grid = grid_of({THREADS: 4_000})
    assert G.reach(grid, THREADS, 5) == G.Reach(4_000, True, 2)
    assert G.reach(grid_of({THREADS: 10_000}), THREADS, 5) == G.Reach(10_000, False, 2)  # the grid ends there
    assert G.reach(grid_of({THREADS: 0}), THREADS, 5) == G.Reach(0, True, 2)
    beyond = grid_of({THREADS: 10_000}, out_of_scope=((10_000, 5),))
    assert G.reach(beyond, THREADS, 5) == G.Reach(4_000, False, 2)
    first_unknown = replace_cells(grid_of({THREADS: 10_000}), CellRepeat(THREADS, 1_000, 5, False, 1, INVALID, "x"))
    assert G.reach(first_unknown, THREADS, 5) == G.Reach(0, False, 0)


@pytest.mark.parametrize("django, threads, expected", [
    (G.Reach(10_000, False, 2), G.Reach(4_000, True, 2), SUPPORTED),
    (G.Reach(4_000, True, 2), G.Reach(1_000, True, 2), SUPPORTED),
    (G.Reach(4_000, True, 2), G.Reach(1_000, False, 2), INCONCLUSIVE),  # the threads might hold 4,000 too
    (G.Reach(1_000, True, 2), G.Reach(4_000, True, 2), REFUTED),
    (G.Reach(1_000, True, 2), G.Reach(4_000, False, 2), REFUTED),
    (G.Reach(1_000, False, 2), G.Reach(4_000, True, 2), INCONCLUSIVE),  # Django might hold more
    (G.Reach(4_000, True, 2), G.Reach(4_000, True, 2), REFUTED),  # same N, both miss the next
    (G.Reach(4_000, False, 2), G.Reach(4_000, True, 2), INCONCLUSIVE),
    (G.Reach(4_000, True, 2), G.Reach(4_000, False, 2), INCONCLUSIVE),  # the threads might hold more
    (G.Reach(10_000, False, 2), G.Reach(10_000, False, 2), INCONCLUSIVE),  # both hold the whole grid
    (G.Reach(0, True, 2), G.Reach(1_000, True, 2), REFUTED),
])
def test_the_per_wait_comparison(django, threads, expected):
    assert G.compare(django, threads) == expected


def test_the_best_django_server_decides_and_fastapi_and_the_reused_thread_never_do():
    grid = grid_of({THREADS: 4_000, UVICORN_1W: 1_000, UVICORN_2W: 1_000, GRANIAN: 10_000, FASTAPI: 0, REUSE: 0})
    scope = G.wait_scope(grid, 5)
    assert scope.outcome == SUPPORTED and GRANIAN in scope.why
    # FastAPI and the reused thread holding everything change nothing when no stock Django stack does
    grid = grid_of({THREADS: 4_000, UVICORN_1W: 1_000, UVICORN_2W: 1_000, GRANIAN: 1_000, FASTAPI: 10_000,
                    REUSE: 10_000})
    assert G.wait_scope(grid, 5).outcome == REFUTED


def test_a_django_server_that_may_reach_further_is_preferred_at_the_same_n():
    """Uvicorn 1w misses 10,000; Granian's 10,000 is unknown: Granian may hold it, so the threads'
    equal, exact reach cannot refute the claim."""
    grid = grid_of({THREADS: 4_000, UVICORN_1W: 4_000, GRANIAN: 4_000})
    grid = replace_cells(grid, CellRepeat(GRANIAN, 10_000, 5, False, 1, INVALID, "generator saturated"))
    assert G.best_django(grid, 5) == (GRANIAN, G.Reach(4_000, False, 2))
    scope = G.wait_scope(grid, 5)
    assert scope.outcome == INCONCLUSIVE and scope.repeats == 0  # an undecided scope claims no repeats
    assert G.wait_scope(grid_of({THREADS: 4_000, UVICORN_1W: 4_000}), 5).repeats == 2


def test_a_wait_whose_every_cell_is_beyond_the_generator_is_out_of_scope():
    everything = tuple((n, 1) for n in X.GRID_N)
    scope = G.wait_scope(grid_of({THREADS: 10_000}, out_of_scope=everything), 1)
    assert not scope.in_scope and scope.outcome == INCONCLUSIVE


# --- memory ------------------------------------------------------------------------------------

@pytest.mark.parametrize("threads_kib, django_kib, expected", [
    (64, 32, SUPPORTED),  # exactly twice
    (63, 32, INCONCLUSIVE),
    (32, 32, REFUTED),  # exactly once
    (33, 32, INCONCLUSIVE),
    (16, 80, REFUTED),
])
def test_memory_per_request_in_flight(threads_kib, django_kib, expected):
    grid = grid_of({THREADS: 10_000, UVICORN_1W: 10_000},
                   uss_per_request={THREADS: threads_kib * KiB, UVICORN_1W: django_kib * KiB})
    scope, ratios = G.memory_scope(grid)
    assert scope.outcome == expected, scope.why
    assert ratios == pytest.approx([threads_kib / django_kib] * 2)


def test_memory_reads_only_cells_both_sides_hold_and_needs_two_of_them():
    grid = grid_of({THREADS: 1_000, UVICORN_1W: 10_000})
    scope, _ = G.memory_scope(grid)
    assert scope.outcome == INCONCLUSIVE and "needs two N" in scope.why
    grid = grid_of({THREADS: 4_000, UVICORN_1W: 10_000},
                   uss_per_request={THREADS: 64 * KiB, UVICORN_1W: 16 * KiB})
    # the 10,000 cell, missed by the threads, would pull their slope anywhere: it is left out
    grid = replace_cells(grid, *(missed_cell(THREADS, 10_000, 30, r, uss_per_request=1 * KiB) for r in range(2)))
    assert G.memory_scope(grid)[0].outcome == SUPPORTED


def test_memory_leaves_out_the_async_side_s_cells_the_threads_missed_too():
    grid = grid_of({THREADS: 4_000, UVICORN_1W: 10_000}, uss_per_request={THREADS: 64 * KiB, UVICORN_1W: 16 * KiB})
    grid = replace_cells(grid, *(held_cell(UVICORN_1W, 10_000, 30, r, uss_per_request=100 * KiB) for r in range(2)))
    assert G.memory_scope(grid)[1] == pytest.approx([4.0, 4.0])  # 10,000 is not held by both: not read


def test_a_repeat_without_memory_figures_is_shown_as_such_and_the_others_decide():
    grid = grid_of({THREADS: 10_000, UVICORN_1W: 10_000},
                   uss_per_request={THREADS: 64 * KiB, UVICORN_1W: 16 * KiB})
    grid = replace_cells(grid, *(CellRepeat(**{**held_cell(THREADS, n, 30, 1).__dict__, "uss_bytes": None})
                                 for n in X.GRID_N))
    scope, ratios = G.memory_scope(grid)
    assert ratios == [pytest.approx(4.0), None]
    assert scope.outcome == SUPPORTED and scope.repeats == 1 and "4.00x, n/a" in scope.why


def test_memory_repeats_that_straddle_the_line_decide_nothing():
    grid = grid_of({THREADS: 10_000, UVICORN_1W: 10_000},
                   uss_per_request={THREADS: 64 * KiB, UVICORN_1W: 16 * KiB})
    grid = replace_cells(grid, *(held_cell(UVICORN_1W, n, 30, 1, uss_per_request=80 * KiB) for n in X.GRID_N))
    scope, ratios = G.memory_scope(grid)
    assert scope.outcome == INCONCLUSIVE and "disagree" in scope.why
    assert ratios == pytest.approx([4.0, 0.8])


# --- the card ----------------------------------------------------------------------------------

def card(grid, lag_ms: float = 2.0):
    """The C8 card of ``grid``'s run, with the async-ORM part on as many repeats as the grid has."""
    db = evidence(experiments.C8_DB, merged(*(c8_db_variants(lag_ms) for _ in range(grid.repeats))), new_run())
    return verdicts.judge_c8(grid, db, {}, [])


def test_the_card_reaches_supported():
    grid = grid_of({THREADS: {1: 1_000, 5: 1_000, 30: 4_000}, UVICORN_1W: 10_000, UVICORN_2W: 4_000, GRANIAN: 4_000,
                    FASTAPI: 10_000}, uss_per_request={THREADS: 64 * KiB, UVICORN_1W: 16 * KiB})
    verdict = card(grid)
    assert verdict.verdict == SUPPORTED, verdict.why
    assert not verdict.provisional and verdict.run_id == 1 and verdict.suite == "concurrency"


def test_the_card_reaches_refuted():
    grid = grid_of({THREADS: 10_000, UVICORN_1W: {1: 1_000, 5: 1_000, 30: 4_000}, UVICORN_2W: 1_000, GRANIAN: 0,
                    FASTAPI: 10_000}, uss_per_request={THREADS: 32 * KiB, UVICORN_1W: 80 * KiB})
    verdict = card(grid, lag_ms=30.0)
    assert verdict.verdict == REFUTED, verdict.why


def test_the_card_reaches_partly_supported():
    grid = grid_of({THREADS: {1: 4_000, 5: 4_000, 30: 1_000}, UVICORN_1W: {1: 1_000, 5: 1_000, 30: 10_000}},
                   uss_per_request={THREADS: 64 * KiB, UVICORN_1W: 16 * KiB})
    verdict = card(grid)
    assert verdict.verdict == PARTLY, verdict.why
    outcomes = {s.name: s.outcome for s in verdict.scopes}
    assert outcomes["30 s waits: coroutines hold more"] == SUPPORTED
    assert outcomes["1 s waits: coroutines hold more"] == REFUTED


def test_the_card_is_inconclusive_when_repeats_straddle_and_provisional_on_one_repeat():
    grid = grid_of({THREADS: 1_000, UVICORN_1W: 10_000})
    grid = replace_cells(grid, *(missed_cell(UVICORN_1W, 4_000, w, 1) for w in X.GRID_WAITS_S))
    assert card(grid).verdict == INCONCLUSIVE
    one = grid_of({THREADS: {1: 1_000, 5: 1_000, 30: 4_000}, UVICORN_1W: 10_000}, repeats=1,
                  uss_per_request={THREADS: 64 * KiB, UVICORN_1W: 16 * KiB})
    verdict = card(one)
    assert verdict.verdict == SUPPORTED and verdict.provisional


def test_no_grid_is_inconclusive_with_the_command_that_measures_it():
    verdict = verdicts.judge_c8(None, None, {}, [])
    assert verdict.verdict == INCONCLUSIVE and "--suite concurrency" in verdict.needs


def test_the_heat_map_shows_every_cell_with_its_state():
    grid = grid_of({THREADS: 4_000, UVICORN_1W: 1_000}, out_of_scope=((10_000, 1),),
                   ping_rps={UVICORN_1W: 1_000.0})
    maps = {m["wait_s"]: m for m in G.heatmap(grid)}
    assert set(maps) == set(X.GRID_WAITS_S)
    rows = {r["stack"]: r for r in maps[1]["rows"]}
    assert REUSE not in rows and REUSE in {r["stack"] for r in maps[5]["rows"]}  # it explains one row only
    threads = {c["n"]: c for c in rows[THREADS]["cells"]}
    assert threads[4_000]["state"] == G.HELD and threads[4_000]["share"] == pytest.approx(1.0)
    assert threads[10_000]["state"] == G.OUTSIDE
    django = {c["n"]: c for c in rows[UVICORN_1W]["cells"]}
    assert django[4_000]["state"] == G.NOT_HELD and django[4_000]["share"] == pytest.approx(0.6)
    assert django[4_000]["p99_overhead_ms"] == pytest.approx(1_000)
    # CPU-bound: 1,000 requests/s against a ping rate of 1,000 (above 85 % of it); no ping rate: unknown
    assert django[1_000]["cpu_bound"] is True and threads[1_000]["cpu_bound"] is None
    assert {c["n"] for c in maps[5]["columns"] if c["neighbour"]} == {X.NEIGHBOUR_CELL[0]}
    # the neighbour column reads its own cells (none here), not the plain cell of the same N
    neighbour = [c for c in {r["stack"]: r for r in maps[5]["rows"]}[UVICORN_1W]["cells"] if c["neighbour"]]
    assert [(c["n"], c["state"], c["why"]) for c in neighbour] == [(X.NEIGHBOUR_CELL[0], G.UNKNOWN, "not run")]


def test_a_heat_map_cell_says_everything_the_page_shows():
    grid = grid_of({THREADS: 4_000}, threads_per_request={THREADS: 1.0}, ping_rps={THREADS: 1_000 / 0.85})
    (row,) = [r for m in G.heatmap(grid) if m["wait_s"] == 1 for r in m["rows"] if r["stack"] == THREADS]
    assert {k: v for k, v in row.items() if k != "cells"} == {"stack": THREADS, "role": "threads", "reach": "4,000"}
    cell = row["cells"][0]
    assert cell == {"n": 1_000, "neighbour": False, "state": G.HELD, "why": "held in 2 of 2 repeats",
                    "share": pytest.approx(1.0), "p99_overhead_ms": pytest.approx(10.0), "repeats": 2,
                    "cpu_bound": False,  # exactly 85 % of the ping rate: not above it
                    "uss_mib": pytest.approx((40 * 2**20 + 32 * KiB * 1_000) / 2**20), "threads": 1_005}


def test_the_card_figures_name_each_stack_s_reach_memory_and_the_machine_s_limits():
    grid = grid_of({THREADS: 4_000, UVICORN_1W: 10_000}, threads_per_request={UVICORN_1W: 1.0},
                   uss_per_request={THREADS: 64 * KiB, UVICORN_1W: 16 * KiB})
    grid.cells = [CellRepeat(**{**c.__dict__, "pss_bytes": c.pss_bytes / 2}) for c in grid.cells]
    figures = {f.label: f for f in G.grid_figures(grid)}
    assert figures[f"{THREADS}: largest N held at 5 s"].text() == "4,000"
    assert figures[f"{UVICORN_1W}: largest N held at 30 s"].text() == ">= 10,000"
    assert figures[f"{THREADS}: USS per request in flight (30 s row, slope over N)"].median == pytest.approx(64)
    assert figures[f"{THREADS}: PSS per request in flight (30 s row, slope over N)"].median == pytest.approx(32)
    assert figures[f"{UVICORN_1W}: threads per request in flight (30 s row, slope over N)"].median == \
        pytest.approx(1.0, abs=0.01)
    assert f"{REUSE}: largest N held at 5 s" in figures and f"{REUSE}: largest N held at 30 s" not in figures
    assert figures["the machine's limits (read by the runner)"].text() == "somaxconn 4,096, open_files_soft 20,000"
    grid.limits = {}
    assert {f.label: f for f in G.grid_figures(grid)}["the machine's limits (read by the runner)"].text() == \
        "not recorded"


def test_the_card_names_where_djangos_async_stack_loses_it():
    grid = grid_of({THREADS: 4_000, UVICORN_1W: 1_000, FASTAPI: 10_000},
                   threads_per_request={UVICORN_1W: 1.0})
    note = card(grid).note
    assert "FastAPI holds >= 10,000 where Django's best ASGI stack holds 1,000" in note
    assert "1.00 OS threads per request in flight" in note
    assert card(grid_of({THREADS: 4_000, UVICORN_1W: 10_000, FASTAPI: 10_000})).note == ""


# --- machine speed: the CPU scales, the waits do not ----------------------------------------------

COST_MS = {THREADS: 1.0, UVICORN_1W: 1.4, UVICORN_2W: 1.5, GRANIAN: 1.3, REUSE: 1.2, FASTAPI: 0.4}


def physical(speed: float):
    """What a machine ``speed`` times as fast per core measures: a stack holds a cell while the cell's
    ideal rate stays under 90 % of what its CPU can serve; the waits are the same everywhere."""
    capacity = {s: speed * 1000 / cost for s, cost in COST_MS.items()}
    reach = {s: {w: max([n for n in X.GRID_N if n / w <= 0.9 * capacity[s]], default=0) for w in X.GRID_WAITS_S}
             for s in COST_MS}
    return grid_of(reach, ping_rps=capacity)


def test_only_cpu_bound_cells_move_with_the_machine():
    slow, fast = physical(1 / 3), physical(3.0)
    for wait in X.GRID_WAITS_S:
        deciding = [s for s in (THREADS, UVICORN_1W, UVICORN_2W, GRANIAN)]
        never_cpu_bound = all(not G.cpu_bound(g, s, n, wait) for g in (slow, fast) for s in deciding
                              for n in X.GRID_N)
        same = G.wait_scope(slow, wait).outcome == G.wait_scope(fast, wait).outcome
        if never_cpu_bound:
            assert same, wait
    # cell by cell: a cell CPU-bound on neither machine keeps its state; some CPU-bound ones change it
    steady, moved = 0, 0
    for wait in X.GRID_WAITS_S:
        for stack in COST_MS:
            for n in X.GRID_N:
                states = [G.cell_state(g.repeats_of(stack, n, wait))[0] for g in (slow, fast)]
                if not any(G.cpu_bound(g, stack, n, wait) for g in (slow, fast)):
                    assert states[0] == states[1], (stack, n, wait)
                    steady += 1
                moved += states[0] != states[1]
    assert steady and moved
    assert any(c["cpu_bound"] for m in G.heatmap(slow) if m["wait_s"] == 1 for r in m["rows"] for c in r["cells"])


# --- edges mutation testing found unasserted ----------------------------------------------------------

def test_too_few_answers_is_a_miss_even_without_a_p99():
    short = CellRepeat(**{**measured(THREADS, 1_000, 1, share=0.5).__dict__, "p99_ms": None})
    assert G.repeat_holds(short) is False


def test_an_unknown_cell_lists_each_reason_once_cut_to_a_line():
    long_reason = "invalid: " + "x" * 300
    repeats = [CellRepeat(THREADS, 1_000, 1, False, 0, INVALID, long_reason),
               CellRepeat(THREADS, 1_000, 1, False, 1, FAILED, "server did not start"),
               CellRepeat(THREADS, 1_000, 1, False, 2, FAILED, "server did not start")]
    state, why = G.cell_state(repeats)
    assert state == G.UNKNOWN
    assert why == f"failed: server did not start; {f'invalid: {long_reason}'[:160]}"
    unexplained = CellRepeat(**{**measured(THREADS, 1_000, 1).__dict__, "p99_ms": None})
    assert G.cell_state([unexplained]) == (G.UNKNOWN, "measured: the measurement could not decide")


def test_a_stack_unknown_at_the_first_n_reaches_nothing_on_no_repeat():
    grid = replace_cells(grid_of({THREADS: 10_000}),
                         *(CellRepeat(THREADS, 1_000, 5, False, r, INVALID, "test") for r in range(2)))
    assert G.reach(grid, THREADS, 5) == G.Reach(0, False, 0)


def test_memory_that_cannot_be_compared_names_the_n_both_hold():
    grid = grid_of({THREADS: 1_000, UVICORN_1W: 10_000})
    assert G.memory_scope(grid)[0].why == "needs two N that both hold at 30 s waits (held by both: 1,000)"
    both = grid_of({THREADS: 4_000, UVICORN_1W: 10_000})
    both.cells = [CellRepeat(**{**c.__dict__, "uss_bytes": None}) for c in both.cells]
    assert G.memory_scope(both)[0].why.endswith("(held by both: 1,000, 4,000)")
    assert G.memory_scope(grid_of({THREADS: 0, UVICORN_1W: 10_000}))[0].why.endswith("(held by both: none)")


def test_the_limits_show_a_word_as_it_is_and_a_number_with_separators():
    grid = grid_of({THREADS: 1_000})
    grid.limits = {"somaxconn": 4096, "congestion": "cubic"}
    figures = {f.label: f for f in G.grid_figures(grid)}
    assert figures["the machine's limits (read by the runner)"].text() == "somaxconn 4,096, congestion cubic"


def test_the_card_carries_one_heat_map_per_wait():
    verdict = card(grid_of({THREADS: 4_000, UVICORN_1W: 10_000}))
    assert [m["wait_s"] for m in verdict.heatmap] == list(X.GRID_WAITS_S)


def test_half_a_thread_per_request_is_named_in_the_note():
    grid = grid_of({THREADS: 4_000, UVICORN_1W: 10_000, FASTAPI: 10_000}, threads_per_request={UVICORN_1W: 0.5})
    assert "about 0.50 OS threads per request in flight" in card(grid).note


def test_the_async_orm_part_lists_each_repeats_lag_and_says_when_they_straddle_the_limit():
    grid = grid_of({THREADS: 4_000, UVICORN_1W: 10_000})
    orm = lambda verdict: next(s for s in verdict.scopes if s.name == "the async ORM keeps the loop free")  # noqa: E731
    assert orm(card(grid)).why == "loop lag per repeat 2.0, 2.0 ms under the async ORM"
    db = evidence(experiments.C8_DB, merged(c8_db_variants(2.0), c8_db_variants(50.0)), new_run())
    straddle = orm(verdicts.judge_c8(grid, db, {}, []))
    assert straddle.outcome == INCONCLUSIVE
    assert straddle.why == "loop lag per repeat 2.0, 50.0 ms under the async ORM (repeats on both sides of the limit)"
    for ms in db.variants.values():
        for m in ms:
            m.samples = []
    assert orm(verdicts.judge_c8(grid, db, {}, [])).why == "no loop-lag samples"
