"""C15's judging on upstream-call grids built in memory: marginal CPU, each comparison in both
directions, the held line, the stub's own limit, repeats that disagree, and the combine rule."""
from __future__ import annotations

from dataclasses import replace

import pytest

from bench import upstream_calls as U
from results.grid import INVALID, MEASURED, CellRepeat, GridEvidence
from judging.core import INCONCLUSIVE, PARTLY, REFUTED, SUPPORTED
from judging.upstream_calls import UPSTREAM_RULE, cpu_per_request_us, judge_c15, marginal_us, repeat_outcome

POOLED, OFFLOADED, PER_REQUEST = (U.role(r) for r in ("async-pooled", "offloaded", "async-per-request"))
SLEEP_US = 200.0  # io/sleep's CPU per request on every server


def cell(stack: str, n: int, wait_s: int, repeat: int, cpu_us: float, share: float = 1.0,
         stub_cpu_pct: float | None = 5.0, status: str = MEASURED) -> CellRepeat:
    """A repeat whose server spent ``cpu_us`` per request at ``share`` of the ideal rate."""
    rps = share * n / wait_s
    return CellRepeat(stack, n, wait_s, False, repeat, status, rps=rps, p50_ms=wait_s * 1000, p99_ms=wait_s * 1000 + 20,
                      requests=int(rps * 10), server_cpu_pct=cpu_us * rps / 1e6 * 100, stub_cpu_pct=stub_cpu_pct)


def grid(costs: dict[str, float] | None = None, repeats: int = 2, per_repeat=None, **cell_kw) -> GridEvidence:
    """Every stack of every row; marginal CPU per stack name from ``costs`` (µs over io/sleep's),
    ``per_repeat(stack, repeat) -> marginal`` overriding it."""
    marginal = {POOLED.name: 100.0, OFFLOADED.name: 300.0, PER_REQUEST.name: 400.0, **(costs or {})}
    g = GridEvidence(run_id=3, suite="upstream", generator_capacity_rps=8_000.0)
    for n, wait in U.ROWS_N_WAIT:
        for stack in U.STACKS:
            for r in range(repeats):
                extra = per_repeat(stack.name, r) if per_repeat else None
                m = extra if extra is not None else marginal.get(stack.name, 150.0)
                kw = cell_kw.get(stack.name, {})
                g.cells.append(cell(stack.name, n, wait, r, SLEEP_US + (0 if stack.role == "baseline" else m), **kw))
    return g


def test_cpu_per_request_and_marginal_cpu_are_measured_against_the_baseline():
    g = grid()
    n, wait = U.ROWS_N_WAIT[0]
    assert cpu_per_request_us(g.repeats_of(POOLED.name, n, wait)[0]) == pytest.approx(SLEEP_US + 100)
    assert marginal_us(g, POOLED, n, wait, 0) == pytest.approx(100)
    assert marginal_us(g, OFFLOADED, n, wait, 1) == pytest.approx(300)


@pytest.mark.parametrize("costs,outcome", [
    ({}, SUPPORTED),
    ({POOLED.name: 300.0, OFFLOADED.name: 300.0, PER_REQUEST.name: 450.0}, SUPPORTED),  # equal: "at most" holds
    ({POOLED.name: 301.0, OFFLOADED.name: 300.0}, REFUTED),  # the pooled AsyncClient costs more than the pool
    ({PER_REQUEST.name: 100.0}, REFUTED),  # a client per request costs no more
    ({PER_REQUEST.name: 149.0}, INCONCLUSIVE),  # more, but under 1.5x
    ({PER_REQUEST.name: 150.001}, SUPPORTED),  # just over 1.5x (the line itself is a float computed two ways)
])
def test_each_comparison_cuts_both_ways(costs, outcome):
    g = grid(costs)
    assert {repeat_outcome(g, n, w, r) for n, w in U.ROWS_N_WAIT for r in range(2)} == {outcome}
    assert judge_c15(g).verdict == outcome


def test_the_pooled_async_client_must_hold_the_rate():
    held = UPSTREAM_RULE["held_share"]
    assert judge_c15(grid(**{POOLED.name: {"share": held}})).verdict == SUPPORTED
    short = grid(**{POOLED.name: {"share": held - 0.01}})
    assert judge_c15(short).verdict == INCONCLUSIVE  # short of the line: not supported, and not a refutation


def test_a_stub_that_may_have_been_the_limit_or_a_missing_cell_decides_nothing():
    busy = grid(**{POOLED.name: {"stub_cpu_pct": UPSTREAM_RULE["stub_cpu_pct"] + 1}})
    assert judge_c15(busy).verdict == INCONCLUSIVE
    at_line = grid(**{POOLED.name: {"stub_cpu_pct": UPSTREAM_RULE["stub_cpu_pct"]}})
    assert judge_c15(at_line).verdict == SUPPORTED
    invalid = grid(**{U.DJANGO_SLEEP: {"status": INVALID}})  # no baseline, no marginal CPU
    assert judge_c15(invalid).verdict == INCONCLUSIVE


def test_repeats_that_disagree_decide_nothing_and_rows_combine():
    disagree = grid(per_repeat=lambda stack, r: 500.0 if stack == POOLED.name and r == 1 else None)
    v = judge_c15(disagree)
    assert v.verdict == INCONCLUSIVE and "disagree" in v.scopes[0].why
    # refuted in one row only (the second), supported in the other: partly
    first_n, first_wait = U.ROWS_N_WAIT[0]
    g = grid()
    g.cells = [c if not (c.stack == PER_REQUEST.name and c.n != first_n) else
               cell(c.stack, c.n, c.wait_s, c.repeat, SLEEP_US + 50) for c in g.cells]
    assert judge_c15(g).verdict == PARTLY


def test_gthread_and_fastapi_are_shown_never_counted():
    sync_side = {s.name: 5_000.0 for s in U.STACKS if s.role in ("sync-pooled", "sync-per-request", "reference")}
    assert judge_c15(grid(sync_side)).verdict == judge_c15(grid()).verdict == SUPPORTED
    labels = [f.label for f in judge_c15(grid()).figures]
    assert any("gthread · httpx.Client pooled: marginal CPU per call" in label for label in labels)


def test_no_grid_says_how_to_get_one():
    v = judge_c15(None)
    assert v.verdict == INCONCLUSIVE and "--suite upstream" in v.needs


# --- missing figures, and what the card says ----------------------------------------------------------

def test_a_measured_repeat_without_a_cpu_reading_has_no_cpu_per_request():
    n, wait = U.ROWS_N_WAIT[0]
    c = grid().repeats_of(POOLED.name, n, wait)[0]
    assert cpu_per_request_us(replace(c, server_cpu_pct=None)) is None


@pytest.mark.parametrize("missing", [OFFLOADED.name, PER_REQUEST.name])
def test_a_comparison_missing_one_side_leaves_the_repeat_missing(missing):
    g = grid(**{missing: {"status": INVALID}})
    n, wait = U.ROWS_N_WAIT[0]
    assert repeat_outcome(g, n, wait, 0) is None
    scope = judge_c15(g).scopes[0]
    assert scope.outcome == INCONCLUSIVE
    assert scope.why.startswith("per repeat: missing, missing (") and "no repeat gave the outcome" in scope.why


def test_a_repeat_absent_from_the_grid_is_missing_and_shows_n_a():
    g = grid()
    g.cells = [c for c in g.cells if not (c.stack == POOLED.name and c.repeat == 1)]
    scope = judge_c15(g).scopes[0]
    assert (scope.outcome, scope.repeats) == (SUPPORTED, 1)
    assert scope.why == ("per repeat: supported, missing (pooled AsyncClient vs sync client in the pool: "
                         "100 vs 300 µs, n/a)")


def test_a_pooled_call_costing_nothing_over_the_sleep_makes_any_per_request_cost_more():
    g = grid({POOLED.name: -20.0, PER_REQUEST.name: 1.0})  # the pooled call's marginal CPU is noise below zero
    n, wait = U.ROWS_N_WAIT[0]
    assert repeat_outcome(g, n, wait, 0) == SUPPORTED


def test_the_card_shows_a_missing_rate_as_n_a_the_limits_and_the_stub_only_when_read():
    g = grid()
    n, wait = U.ROWS_N_WAIT[0]
    g.cells[0] = replace(g.cells[0], rps=None)  # measured, its rate not read
    g.limits = {"somaxconn": 4096, "nofile": 65536}
    v = judge_c15(g)
    figures = {f.label: f.text() for f in v.figures}
    share = next(f for f in v.figures if f.label == f"{n:,} x {wait} s, {g.cells[0].stack}: throughput / ideal")
    assert share.values == [None, 1.0]
    assert figures["the machine's limits (read by the runner)"] == "somaxconn 4096, nofile 65536"
    assert v.note == "The upstream stub used at most 5 % of its core in any step."
    assert judge_c15(grid(**{s.name: {"stub_cpu_pct": None} for s in U.STACKS})).note == ""
