"""Judging the server-push grid (C14): pure functions, the grid of one run in
(``results.grid.GridEvidence`` read with ``bench.server_push.PUSH``), per-N outcomes out.

A stack *holds* N subscribers when, in a repeat, it delivered at least ``held_share`` of the N
events a second it owes them, the events' delivery lag stayed at or under ``lag_p99_ms`` at p99,
and at most ``lost_share`` of the streams broke. A repeat whose subscriber process was itself late
(its own loop lag above ``generator_lag_ms`` at p99) says nothing about the server: the cell is
unknown there. Over the repeats, as every grid cell (``judging.in_flight.cell_state``).

Per N, between gthread (a thread per subscriber) and stock Django ASGI on Uvicorn:
supported if Django ASGI holds N where gthread does not, or both hold it and Django ASGI's memory
per subscriber is at most ``memory_share`` of gthread's in every repeat; refuted if gthread holds
N where Django ASGI does not, or both hold it and Django ASGI's memory per subscriber is at least
gthread's in every repeat; otherwise inconclusive. The N combine by the combine rule. FastAPI and
the reused-thread handler are shown, never counted; so is the burst row.
"""
from __future__ import annotations

from bench import server_push as P
from results.grid import MEASURED, CellRepeat, GridEvidence
from judging.core import (INCONCLUSIVE, REFUTED, SUPPORTED, Figure, Rule, Scope, Verdict, classify_repeats, combine,
                          median, text_figure)
from judging.in_flight import HELD, NOT_HELD, OUTSIDE, UNKNOWN, cell_state

KiB = 2**10

PUSH_RULE = Rule(
    "Server push, one core: N = 100 / 1,000 / 4,000 subscribers, an event a second each, sends staggered. A stack "
    "holds N when in every repeat it delivers >= {held_share:.0%} of N events/s with delivery lag p99 <= "
    "{lag_p99_ms:.0f} ms and <= {lost_share:.1%} of streams lost (a repeat whose subscriber process ran late, own "
    "loop lag p99 > {generator_lag_ms:.0f} ms, is unknown); it misses N when every repeat falls short. Per N: "
    "supported if stock Django ASGI (Uvicorn 1w) holds N where gthread with a thread per subscriber does not, or "
    "both hold it and Django ASGI's memory per subscriber (USS under load minus idle, over N) is <= "
    "{memory_share:.0%} of gthread's in every repeat; refuted if gthread holds N where Django ASGI does not, or "
    "both hold it and Django ASGI's is >= gthread's in every repeat; otherwise inconclusive. Overall by the combine "
    "rule, every N from one run. FastAPI, the reused-thread handler and the one-beat (burst) row are shown, never "
    "counted.",
    {"held_share": 0.95, "lag_p99_ms": 100, "lost_share": 0.001, "generator_lag_ms": 50, "memory_share": 0.5})

THREADS = next(s.name for s in P.STACKS if s.role == "threads")
DJANGO = next(s.name for s in P.STACKS if s.role == "django-asgi")


def repeat_holds(c: CellRepeat) -> bool | None:
    """Whether one measured repeat held its N subscribers (None: nothing the server did was measured)."""
    if c.status != MEASURED or c.rps is None:
        return None
    if c.generator_lag_p99_ms is None or c.generator_lag_p99_ms > PUSH_RULE["generator_lag_ms"]:
        return None  # the subscribers' own lateness would be counted as the server's
    if c.rps < PUSH_RULE["held_share"] * c.ideal_rps or c.lost > PUSH_RULE["lost_share"] * c.n:
        return False
    if c.p99_ms is None:
        return None
    return c.p99_ms <= PUSH_RULE["lag_p99_ms"]


def state(grid: GridEvidence, stack: str, n: int) -> tuple[str, str]:
    return cell_state(grid.repeats_of(stack, n, P.EVERY_S), repeat_holds)


def memory_per_subscriber(grid: GridEvidence, stack: str, n: int) -> list[float | None]:
    """Per repeat: (USS while holding N) - (USS of the primed server before), over N, in bytes."""
    by_repeat = {c.repeat: c for c in grid.repeats_of(stack, n, P.EVERY_S) if c.status == MEASURED}
    values = []
    for r in range(grid.repeats):
        c = by_repeat.get(r)
        ok = c is not None and c.uss_bytes is not None and c.uss_idle_bytes is not None
        values.append((c.uss_bytes - c.uss_idle_bytes) / n if ok else None)
    return values


def memory_outcome(ratio: float) -> str:
    """Django ASGI's memory per subscriber over gthread's, in one repeat."""
    if ratio <= PUSH_RULE["memory_share"]:
        return SUPPORTED
    return REFUTED if ratio >= 1 else INCONCLUSIVE


def n_scope(grid: GridEvidence, n: int) -> tuple[Scope, list[float | None]]:
    """The outcome at N subscribers, and Django ASGI's memory per subscriber over gthread's per repeat."""
    name = f"{n:,} subscribers"
    threads, why_t = state(grid, THREADS, n)
    django, why_d = state(grid, DJANGO, n)
    told = f"Django ASGI: {django} ({why_d}); gthread: {threads} ({why_t})"
    if OUTSIDE in (django, threads):  # declared before the run: beyond the load generator here
        return Scope(name, INCONCLUSIVE, told, 0, in_scope=False), []
    repeats = len(grid.repeats_of(DJANGO, n, P.EVERY_S))
    if django == HELD and threads == NOT_HELD:
        return Scope(name, SUPPORTED, told, repeats), []
    if threads == HELD and django == NOT_HELD:
        return Scope(name, REFUTED, told, repeats), []
    if not (django == HELD and threads == HELD):
        return Scope(name, INCONCLUSIVE, told, 0), []
    ratios = [d / t if d is not None and t else None
              for d, t in zip(memory_per_subscriber(grid, DJANGO, n), memory_per_subscriber(grid, THREADS, n))]
    outcome, disagree, decided = classify_repeats(ratios, memory_outcome, "memory ratio")
    listed = ", ".join("n/a" if r is None else f"{r:.2f}x" for r in ratios)
    return Scope(name, outcome, f"both hold; Django ASGI's memory per subscriber is {listed} gthread's, per repeat"
                 + (f" ({disagree})" if disagree else ""), decided), ratios


def heatmap(grid: GridEvidence, sizes: tuple[int, ...], title: str) -> dict:
    """Stacks x N: colour = events delivered / owed (median over repeats), text = lag p99."""
    rows = []
    for stack in P.STACKS:
        cells = []
        for n in sizes:
            repeats = grid.repeats_of(stack.name, n, P.EVERY_S)
            cell, why = cell_state(repeats, repeat_holds)
            measured = [c for c in repeats if c.status == MEASURED]
            cells.append({"n": n, "neighbour": False, "state": cell, "why": why, "repeats": len(measured),
                          "share": median([c.rps / c.ideal_rps for c in measured if c.rps is not None]),
                          "p99_ms": median([c.p99_ms for c in measured]),
                          "uss_mib": median([c.uss_bytes / 2**20 for c in measured if c.uss_bytes]),
                          "threads": median([c.threads for c in measured if c.threads is not None])})
        rows.append({"stack": stack.name, "role": stack.role, "cells": cells})
    return {"wait_s": P.EVERY_S, "caption": title, "columns": [{"n": n, "neighbour": False} for n in sizes],
            "rows": rows, "legend": "Colour: events delivered over the N a second owed (median over repeats; red at "
                                    "half or less, green at all; grey: not measured). Text: that share, then the "
                                    "delivery lag p99. held / missed by the rule."}


def push_figures(grid: GridEvidence, burst: GridEvidence | None) -> list[Figure]:
    """Per stack and N: delivery lag p50/p99, memory per subscriber, threads and server CPU; the
    burst row's lag beside; the generator's capacity."""
    figures = [Figure("load generator capacity (Locust on its core, bare ASGI ping)",
                      [grid.generator_capacity_rps], " req/s")]
    for stack in P.STACKS:
        for n in P.PUSH_N:
            cells = [c for c in grid.repeats_of(stack.name, n, P.EVERY_S) if c.status == MEASURED]
            figures += [
                Figure(f"{stack.name}, {n:,} subscribers: delivery lag p50", [c.p50_ms for c in cells], " ms"),
                Figure(f"{stack.name}, {n:,} subscribers: delivery lag p99", [c.p99_ms for c in cells], " ms"),
                Figure(f"{stack.name}, {n:,} subscribers: events delivered / owed",
                       [c.rps / c.ideal_rps if c.rps is not None else None for c in cells], "", 3),
                Figure(f"{stack.name}, {n:,} subscribers: memory per subscriber (USS)",
                       memory_per_subscriber(grid, stack.name, n), " KiB", 1, 1 / KiB),
                Figure(f"{stack.name}, {n:,} subscribers: threads", [c.threads for c in cells]),
                Figure(f"{stack.name}, {n:,} subscribers: server CPU", [c.server_cpu_pct for c in cells], " %"),
            ]
    for stack in P.STACKS if burst else ():
        cells = [c for c in burst.repeats_of(stack.name, P.BURST_N, P.EVERY_S) if c.status == MEASURED]
        figures.append(Figure(f"{stack.name}, {P.BURST_N:,} subscribers on one beat (burst, shown): lag p99",
                              [c.p99_ms for c in cells], " ms"))
    figures.append(text_figure("the machine's limits (read by the runner)",
                               ", ".join(f"{k} {v}" for k, v in (grid.limits or {}).items()) or "not recorded"))
    return figures


def note(grid: GridEvidence) -> str:
    """What a reader needs beside the outcome: the reference's reach and what Django ASGI holds."""
    parts = []
    for n in P.PUSH_N:
        fastapi, _ = state(grid, "fastapi uvicorn 1w", n)
        django, _ = state(grid, DJANGO, n)
        if fastapi == HELD and django != HELD:
            parts.append(f"FastAPI holds {n:,} subscribers where stock Django ASGI does not ({django})")
    threads = median([c.threads / c.n for c in grid.repeats_of(DJANGO, max(P.PUSH_N), P.EVERY_S)
                      if c.status == MEASURED and c.threads is not None])
    if threads is not None and threads >= 0.5:
        parts.append(f"stock Django on Uvicorn runs about {threads:.2f} OS threads per subscriber (each stream "
                     "keeps the thread of its request's thread-sensitive context until it ends)")
    return "; ".join(parts) + "." if parts else ""


def judge_c14(grid: GridEvidence | None, burst: GridEvidence | None = None) -> Verdict:
    """``grid``: the staggered server-push grid of one run; ``burst``: the one-beat row of the same
    run (shown, never counted)."""
    if grid is None:
        return Verdict("C14", INCONCLUSIVE, PUSH_RULE.render(), "no valid data yet for the server-push grid",
                       needs="manage.py bench --suite push")
    judged = [n_scope(grid, n) for n in P.PUSH_N]
    scopes = [scope for scope, _ in judged]
    verdict, why = combine(scopes, "N")
    figures = push_figures(grid, burst)
    figures += [Figure(f"{n:,} subscribers: Django ASGI / gthread memory per subscriber, per repeat", ratios, "x", 2)
                for n, (_, ratios) in zip(P.PUSH_N, judged) if ratios]
    maps = [heatmap(grid, P.PUSH_N, "an event a second, sends staggered")]
    if burst is not None:
        maps.append(heatmap(burst, (P.BURST_N,), "an event a second, every stream on one beat (burst, shown)"))
    return Verdict("C14", verdict, PUSH_RULE.render(), why, figures, run_id=grid.run_id, suite=grid.suite,
                   repeats=grid.repeats, scopes=scopes, note=note(grid), heatmap=maps)


__all__ = ["PUSH_RULE", "UNKNOWN", "heatmap", "judge_c14", "memory_per_subscriber", "n_scope", "note",
           "push_figures", "repeat_holds", "state"]
