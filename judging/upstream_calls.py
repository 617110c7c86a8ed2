"""Judging calls to another service (C15): pure functions, the grid of one run in
(``results.grid.GridEvidence`` read with ``bench.upstream_calls.UPSTREAM``), per-row outcomes
out.

A call's *marginal CPU* is the server's CPU per request while making it, minus the CPU per request
of ``io/sleep`` of the same wait on the same server at the same N: what the call costs over holding
a request that long. Per row (N calls in flight, each waiting ``wait`` upstream) and repeat:

- supported when the pooled ``AsyncClient`` (stock Django ASGI) serves >= ``held_share`` of N / wait,
  its marginal CPU is at most that of the pooled sync client carried by the thread pool, and an
  ``AsyncClient`` per request costs >= ``per_request_factor`` x the pooled one's marginal CPU;
- refuted when either comparison reverses: the pooled ``AsyncClient`` costs more than the sync
  client in the pool, or a client per request costs no more than the pooled one;
- otherwise inconclusive.

Over repeats, the outcome every repeat agrees on (``classify_repeats``); rows combine by the combine
rule. gthread's clients and FastAPI are shown, never counted.
"""
from __future__ import annotations

from bench import upstream_calls as U
from results.grid import MEASURED, CellRepeat, GridEvidence
from judging.core import (INCONCLUSIVE, REFUTED, SUPPORTED, Figure, Rule, Scope, Verdict, classify_repeats, combine,
                          text_figure)

UPSTREAM_RULE = Rule(
    "Calls to another service, one core: 100 calls of 1 s and 1,000 of 5 s in flight, every pool keeping N "
    "connections. Marginal CPU = server CPU per request of io/upstream minus that of io/sleep of the same wait on the "
    "same server. Per row and repeat: supported if the pooled AsyncClient (stock Django ASGI) serves >= "
    "{held_share:.0%} of N / wait, its marginal CPU is <= that of the pooled sync client in the thread pool, and an "
    "AsyncClient per request costs >= {per_request_factor:.1f}x the pooled marginal CPU; refuted if the pooled "
    "AsyncClient costs more than the sync client in the pool, or a client per request costs no more than the "
    "pooled one; otherwise inconclusive. A repeat in which the upstream stub used more than {stub_cpu_pct:.0f} % of "
    "its core decides nothing. Per row: the outcome every repeat agrees on; overall by the combine rule, "
    "every row from one run. gthread's clients and FastAPI are shown, never counted.",
    {"held_share": 0.95, "per_request_factor": 1.5, "stub_cpu_pct": 80})


def cpu_per_request_us(c: CellRepeat | None) -> float | None:
    """The server's CPU per answered request in one repeat (µs): its mean CPU share over the rate;
    None when not measured, or when the stub may have been the limit."""
    if c is None or c.status != MEASURED or not c.rps or c.server_cpu_pct is None:
        return None
    if c.stub_cpu_pct is not None and c.stub_cpu_pct > UPSTREAM_RULE["stub_cpu_pct"]:
        return None
    return c.server_cpu_pct / 100 / c.rps * 1e6


def _at(grid: GridEvidence, stack: str, n: int, wait_s: int, repeat: int) -> CellRepeat | None:
    return next((c for c in grid.repeats_of(stack, n, wait_s) if c.repeat == repeat), None)


def marginal_us(grid: GridEvidence, stack: U.CallStack, n: int, wait_s: int, repeat: int) -> float | None:
    """What the call costs over holding the request as long (µs of server CPU per request)."""
    call = cpu_per_request_us(_at(grid, stack.name, n, wait_s, repeat))
    sleep = cpu_per_request_us(_at(grid, stack.baseline, n, wait_s, repeat))
    return None if call is None or sleep is None else call - sleep


def repeat_outcome(grid: GridEvidence, n: int, wait_s: int, repeat: int) -> str | None:
    """One repeat of one row; None when a figure it needs is missing."""
    pooled_cell = _at(grid, U.role("async-pooled").name, n, wait_s, repeat)
    pooled = marginal_us(grid, U.role("async-pooled"), n, wait_s, repeat)
    offloaded = marginal_us(grid, U.role("offloaded"), n, wait_s, repeat)
    per_request = marginal_us(grid, U.role("async-per-request"), n, wait_s, repeat)
    if pooled is None or offloaded is None or per_request is None or pooled_cell.rps is None:
        return None
    if pooled > offloaded or per_request <= pooled:
        return REFUTED
    holds = pooled_cell.rps >= UPSTREAM_RULE["held_share"] * pooled_cell.ideal_rps
    costs_more = per_request >= UPSTREAM_RULE["per_request_factor"] * max(pooled, 0.0)
    return SUPPORTED if holds and costs_more else INCONCLUSIVE


def row_scope(grid: GridEvidence, n: int, wait_s: int) -> Scope:
    name = f"{n:,} calls of {wait_s} s"
    outcomes = [repeat_outcome(grid, n, wait_s, r) for r in range(grid.repeats)]
    outcome, disagree, decided = classify_repeats(outcomes, lambda o: o, "outcome")
    listed = ", ".join(o or "missing" for o in outcomes)
    pooled = [marginal_us(grid, U.role("async-pooled"), n, wait_s, r) for r in range(grid.repeats)]
    offloaded = [marginal_us(grid, U.role("offloaded"), n, wait_s, r) for r in range(grid.repeats)]
    shown = ", ".join("n/a" if p is None or o is None else f"{p:.0f} vs {o:.0f} µs" for p, o in zip(pooled, offloaded))
    return Scope(name, outcome, f"per repeat: {listed} (pooled AsyncClient vs sync client in the pool: {shown})"
                 + (f"; {disagree}" if disagree else ""), decided)


def upstream_figures(grid: GridEvidence) -> list[Figure]:
    figures = [Figure("load generator capacity (Locust on its core, bare ASGI ping)", [grid.generator_capacity_rps],
                      " req/s")]
    for n, wait in U.ROWS_N_WAIT:
        for stack in U.STACKS:
            cells = [c for c in grid.repeats_of(stack.name, n, wait) if c.status == MEASURED]
            figures.append(Figure(f"{n:,} x {wait} s, {stack.name}: throughput / ideal",
                                  [c.rps / c.ideal_rps if c.rps is not None else None for c in cells], "", 3))
            figures.append(Figure(f"{n:,} x {wait} s, {stack.name}: CPU per request",
                                  [cpu_per_request_us(c) for c in cells], " µs"))
            if stack.baseline:
                figures.append(Figure(f"{n:,} x {wait} s, {stack.name}: marginal CPU per call",
                                      [marginal_us(grid, stack, n, wait, r) for r in range(grid.repeats)], " µs"))
            figures.append(Figure(f"{n:,} x {wait} s, {stack.name}: p99", [c.p99_ms for c in cells], " ms"))
    figures.append(text_figure("the machine's limits (read by the runner)",
                               ", ".join(f"{k} {v}" for k, v in (grid.limits or {}).items()) or "not recorded"))
    return figures


def judge_c15(grid: GridEvidence | None) -> Verdict:
    if grid is None:
        return Verdict("C15", INCONCLUSIVE, UPSTREAM_RULE.render(), "no valid data yet for the upstream-calls grid",
                       needs="manage.py bench --suite upstream")
    scopes = [row_scope(grid, n, wait) for n, wait in U.ROWS_N_WAIT]
    verdict, why = combine(scopes, "row")
    stub = [c.stub_cpu_pct for c in grid.cells if c.stub_cpu_pct is not None]
    note = f"The upstream stub used at most {max(stub):.0f} % of its core in any step." if stub else ""
    return Verdict("C15", verdict, UPSTREAM_RULE.render(), why, upstream_figures(grid), run_id=grid.run_id,
                   suite=grid.suite, repeats=grid.repeats, scopes=scopes, note=note)
