"""Judging the thousands-in-flight grid (C8 at the scale it speaks of): pure functions, the grid
of one run in (``results.grid.GridEvidence``), cell states, the largest N each stack
holds, the per-wait outcomes and the memory part out.

A cell is *held* when every repeat served at least ``held_share`` of the ideal rate N / wait,
added at most max(``overhead_share`` of the wait, ``overhead_floor_ms``) to the wait at p99, and
failed at most ``failure_share`` of its requests; *not held* when every repeat missed; anything
else (an invalid step, repeats on both sides) leaves it unknown. Symmetric, like every rule here.
"""
from __future__ import annotations

from dataclasses import dataclass

from bench import in_flight as G
from results.grid import MEASURED, OUT_OF_SCOPE, CellRepeat, GridEvidence
from judging.core import (INCONCLUSIVE, REFUTED, SUPPORTED, Figure, Rule, Scope, classify_repeats, median,
                          text_figure)

HELD, NOT_HELD, UNKNOWN, OUTSIDE = "held", "not held", "unknown", "out of scope"
KiB = 2**10

GRID_RULE = Rule(
    "Thousands in flight, one core, N = 1,000 / 4,000 / 10,000 requests x waits of 1 / 5 / 30 s. A stack holds a "
    "cell when in every repeat it serves >= {held_share:.0%} of N / wait, its p99 exceeds the wait by at most "
    "max({overhead_share:.0%} of the wait, {overhead_floor_ms:.0f} ms) and <= {failure_share:.1%} of requests fail; "
    "it misses it when every repeat falls short; otherwise the cell is unknown. Largest N held per stack and wait: "
    "exact when the next N was missed, a lower bound when the next is unknown or out of scope. Per wait: "
    "supported if stock Django ASGI (its best server: Uvicorn 1w or 2w, Granian 1w) holds a larger N than gthread "
    "with a thread per request; refuted if it holds a smaller N, or the same N and both miss the next; otherwise "
    "inconclusive. Cells whose ideal rate is above {generator_share:.0%} of the calibrated load generator are out of "
    "scope before the run; a cell above {cpu_bound_share:.0%} of a stack's saturated ping rate is marked CPU-bound. "
    "Memory: the USS slope over N of gthread against stock Django on Uvicorn 1w ({memory_wait:.0f} s row, cells "
    "both hold), repeat by repeat: supported if threads cost >= {memory_ratio:.0f}x per request in flight, refuted "
    "if <= 1x. FastAPI and the reused-thread handler are shown, never counted.",
    {"held_share": 0.95, "overhead_share": 0.2, "overhead_floor_ms": 50, "failure_share": 0.001,
     "generator_share": G.GENERATOR_SHARE, "cpu_bound_share": G.CPU_BOUND_SHARE, "memory_ratio": 2,
     "memory_wait": 30})


def repeat_holds(c: CellRepeat) -> bool | None:
    """Whether one measured repeat held its cell (None: nothing was measured)."""
    if c.status != MEASURED or c.rps is None:
        return None
    if c.rps < GRID_RULE["held_share"] * c.ideal_rps:
        return False  # too few answers (none at all, even: then there is no p99 to read)
    if c.p99_ms is None:
        return None
    wait_ms = c.wait_s * 1000
    overhead_limit = max(GRID_RULE["overhead_share"] * wait_ms, GRID_RULE["overhead_floor_ms"])
    answered = c.requests + c.failures
    return (c.rps >= GRID_RULE["held_share"] * c.ideal_rps and c.p99_ms - wait_ms <= overhead_limit
            and c.failures <= GRID_RULE["failure_share"] * answered)


def cell_state(repeats: list[CellRepeat], holds=None) -> tuple[str, str]:
    """(HELD, NOT_HELD, UNKNOWN or OUTSIDE, why) over the repeats of one cell; ``holds`` is the
    grid's own rule for one repeat (``repeat_holds`` here, another for another grid)."""
    holds = holds or repeat_holds
    if not repeats:
        return UNKNOWN, "not run"
    if all(c.status == OUT_OF_SCOPE for c in repeats):
        return OUTSIDE, repeats[0].reason
    held = [holds(c) for c in repeats]
    if any(h is None for h in held):
        reasons = sorted({f"{c.status}: {c.reason or 'the measurement could not decide'}"[:160]
                          for c in repeats if holds(c) is None})
        return UNKNOWN, "; ".join(reasons)
    if all(held):
        return HELD, f"held in {len(held)} of {len(held)} repeats"
    if not any(held):
        return NOT_HELD, f"missed in {len(held)} of {len(held)} repeats"
    return UNKNOWN, f"the repeats disagree: held in {sum(held)} of {len(held)}"


@dataclass(frozen=True)
class Reach:
    """The largest N a stack held at one wait; ``exact`` when it missed the next N (its reach is
    known), else a lower bound (the next cell unknown, out of scope, or beyond the grid)."""

    n: int
    exact: bool
    repeats: int  # the fewest repeats behind the cells that set it

    def text(self) -> str:
        if self.n == 0:
            return f"none of {G.GRID_N[0]:,}" if self.exact else f"unknown at {G.GRID_N[0]:,}"
        return f"{self.n:,}" if self.exact else f">= {self.n:,}"


def reach(grid: GridEvidence, stack: str, wait_s: int) -> Reach:
    best, counts = 0, []
    for n in G.GRID_N:
        repeats = grid.repeats_of(stack, n, wait_s)
        state, _ = cell_state(repeats)
        if state == HELD:
            best = n
            counts.append(len(repeats))
            continue
        if state == NOT_HELD:
            return Reach(best, True, min(counts + [len(repeats)]))
        return Reach(best, False, min(counts, default=0))
    return Reach(best, False, min(counts, default=0))


def compare(django: Reach, threads: Reach) -> str:
    """The per-wait outcome: stock Django ASGI's reach against the threads'."""
    if django.n > threads.n and threads.exact:
        return SUPPORTED
    if (django.n < threads.n and django.exact) or (django.n == threads.n and django.exact and threads.exact):
        return REFUTED
    return INCONCLUSIVE


def best_django(grid: GridEvidence, wait_s: int) -> tuple[str, Reach]:
    """The stock Django ASGI stack that reached furthest (a lower bound beats an exact reach at the
    same N: it may go further)."""
    reaches = [(s.name, reach(grid, s.name, wait_s)) for s in G.STACKS if s.role == "django-asgi"]
    return max(reaches, key=lambda item: (item[1].n, not item[1].exact))


def wait_scope(grid: GridEvidence, wait_s: int) -> Scope:
    threads_stack = next(s.name for s in G.STACKS if s.role == "threads")
    threads = reach(grid, threads_stack, wait_s)
    django_stack, django = best_django(grid, wait_s)
    outcome = compare(django, threads)
    name = f"{wait_s} s waits: coroutines hold more"
    all_outside = all(cell_state(grid.repeats_of(s.name, n, wait_s))[0] == OUTSIDE
                      for s in G.row_stacks(wait_s) for n in G.GRID_N)
    if all_outside:
        return Scope(name, INCONCLUSIVE, "every cell of this wait is beyond the load generator", in_scope=False)
    why = (f"{django_stack} holds {django.text()}, gthread with a thread per request {threads.text()} "
           f"requests in flight")
    bound = [f"{stack} missed N = {n:,} at {n / wait_s:,.0f} requests/s, above "
             f"{GRID_RULE['cpu_bound_share']:.0%} of its saturated ping rate"
             for stack, held in ((django_stack, django), (threads_stack, threads))
             for n in [missed_n(held)] if n is not None and cpu_bound(grid, stack, n, wait_s)]
    if bound:  # the miss that decides is the core's limit, not the model's: another machine may move it
        why += ("; machine-dependent: " + "; ".join(bound) + " (CPU-bound: on a faster core it may hold "
                "it, on a slower one miss less)")
    deciding = min(django.repeats, threads.repeats) if outcome != INCONCLUSIVE else 0
    return Scope(name, outcome, why, deciding)


def missed_n(held: Reach) -> int | None:
    """The N a stack missed right after its reach (None: its reach is a lower bound, nothing missed)."""
    if not held.exact:
        return None
    larger = [n for n in G.GRID_N if n > held.n]
    return larger[0] if larger else None


def slope(points: list[tuple[float, float]]) -> float | None:
    """Least-squares slope of y over x; None with fewer than two distinct x."""
    if len({x for x, _ in points}) < 2:
        return None
    n = len(points)
    mx, my = sum(x for x, _ in points) / n, sum(y for _, y in points) / n
    return sum((x - mx) * (y - my) for x, y in points) / sum((x - mx) ** 2 for x, _ in points)


def memory_slopes(grid: GridEvidence, stack: str, wait_s: int, attr: str = "uss_bytes",
                  only_n: set[int] | None = None) -> list[float | None]:
    """Per repeat: bytes per extra request in flight (the slope of ``attr`` over N), over the
    measured cells of one stack at one wait (``only_n``: those N only)."""
    slopes = []
    for r in range(grid.repeats):
        points = [(c.n, getattr(c, attr)) for n in G.GRID_N if only_n is None or n in only_n
                  for c in grid.repeats_of(stack, n, wait_s)
                  if c.repeat == r and c.status == MEASURED and getattr(c, attr) is not None]
        slopes.append(slope(points))
    return slopes


def memory_scope(grid: GridEvidence) -> tuple[Scope, list[float | None]]:
    wait = int(GRID_RULE["memory_wait"])
    threads_stack = next(s.name for s in G.STACKS if s.role == "threads")
    django_stack = G.STACKS[1].name  # stock Django on Uvicorn 1w
    both = {n for n in G.GRID_N if cell_state(grid.repeats_of(threads_stack, n, wait))[0] == HELD
            and cell_state(grid.repeats_of(django_stack, n, wait))[0] == HELD}
    threads = memory_slopes(grid, threads_stack, wait, only_n=both)
    django = memory_slopes(grid, django_stack, wait, only_n=both)
    ratios = [t / d if t is not None and d else None for t, d in zip(threads, django)]
    name = "memory per request in flight"
    limit = GRID_RULE["memory_ratio"]
    classify = lambda r: SUPPORTED if r >= limit else REFUTED if r <= 1 else INCONCLUSIVE  # noqa: E731
    outcome, disagree, n = classify_repeats(ratios, classify, "memory ratio")
    if not any(r is not None for r in ratios):
        return Scope(name, INCONCLUSIVE, f"needs two N that both hold at {wait} s waits (held by both: "
                                         f"{', '.join(f'{n:,}' for n in sorted(both)) or 'none'})", 0), ratios
    listed = ", ".join("n/a" if r is None else f"{r:.2f}x" for r in ratios)
    return Scope(name, outcome, f"a thread per request costs {listed} the USS of an in-flight Django ASGI request, "
                                f"per repeat" + (f" ({disagree})" if disagree else ""), n), ratios


def cpu_bound(grid: GridEvidence, stack: str, n: int, wait_s: int) -> bool | None:
    rates = grid.ping_rps.get(stack)
    saturated = median(rates or [])
    if saturated is None:
        return None
    return n / wait_s > GRID_RULE["cpu_bound_share"] * saturated


def heatmap(grid: GridEvidence) -> list[dict]:
    """Per wait: stacks x N (and the neighbour column), colour = achieved / ideal (median over
    repeats), text = p99 overhead over the wait; every cell says its state and why."""
    maps = []
    for wait in G.GRID_WAITS_S:
        columns = [(n, False) for n in G.GRID_N]
        if wait == G.NEIGHBOUR_CELL[1]:
            columns.append((G.NEIGHBOUR_CELL[0], True))
        rows = []
        for stack in G.row_stacks(wait):
            cells = []
            for n, neighbour in columns:
                repeats = grid.repeats_of(stack.name, n, wait, neighbour)
                state, why = cell_state(repeats)
                measured = [c for c in repeats if c.status == MEASURED]
                share = median([c.rps / c.ideal_rps for c in measured if c.rps is not None])
                overhead = median([c.p99_ms - wait * 1000 for c in measured if c.p99_ms is not None])
                cells.append({"n": n, "neighbour": neighbour, "state": state, "why": why,
                              "share": share, "p99_overhead_ms": overhead, "repeats": len(measured),
                              "cpu_bound": cpu_bound(grid, stack.name, n, wait),
                              "uss_mib": median([c.uss_bytes / 2**20 for c in measured if c.uss_bytes]),
                              "threads": median([c.threads for c in measured if c.threads is not None])})
            rows.append({"stack": stack.name, "role": stack.role, "cells": cells,
                         "reach": reach(grid, stack.name, wait).text()})
        maps.append({"wait_s": wait, "columns": [{"n": n, "neighbour": nb} for n, nb in columns], "rows": rows})
    return maps


def grid_figures(grid: GridEvidence) -> list[Figure]:
    """What the card shows beside the rule: each stack's reach per wait, memory and threads per
    request in flight, the generator's capacity and the machine's limits."""
    figures = [Figure("load generator capacity (Locust on its core, bare ASGI ping)",
                      [grid.generator_capacity_rps], " req/s")]
    wait = int(GRID_RULE["memory_wait"])
    for stack in G.STACKS:
        for w in G.GRID_WAITS_S:
            if stack in G.row_stacks(w):
                figures.append(text_figure(f"{stack.name}: largest N held at {w} s", reach(grid, stack.name, w).text()))
        if stack in G.row_stacks(wait):
            figures.append(Figure(f"{stack.name}: USS per request in flight ({wait} s row, slope over N)",
                                  memory_slopes(grid, stack.name, wait), " KiB", 1, 1 / KiB))
            figures.append(Figure(f"{stack.name}: PSS per request in flight ({wait} s row, slope over N)",
                                  memory_slopes(grid, stack.name, wait, "pss_bytes"), " KiB", 1, 1 / KiB))
            figures.append(Figure(f"{stack.name}: threads per request in flight ({wait} s row, slope over N)",
                                  memory_slopes(grid, stack.name, wait, "threads"), "", 2))
    limits = grid.limits or {}
    shown = ", ".join(f"{k} {v:,}" if isinstance(v, int) else f"{k} {v}" for k, v in limits.items())
    figures.append(text_figure("the machine's limits (read by the runner)", shown or "not recorded"))
    return figures
