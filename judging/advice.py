"""C12, the document's closing advice, judged as a map: sync views (WSGI) for low concurrency and
simple logic, async views (ASGI) for many concurrent I/O waits, a thread pool for the CPU part of a
mixed load. Pure: the curves' knees and the thousands-in-flight grid of one run in, a verdict out.

- **Low band** (up to 100 requests in flight), on the simple workloads: each repeat's best knee of
  the sync stacks against the best of the async stacks (each stack at its best configuration, from
  the curves). A side wins when its knees beat the other side's over every repeat (their ranges do
  not overlap); otherwise a tie.
- **High band** (1,000 and more in flight): the grid's per-wait outcome (``judging.in_flight``).
- **Mixed**: the advice's metric is the probe's p99 at the knee, which the curves do not record.
FastAPI is not counted (the curves do not run it).
"""
from __future__ import annotations

from results.grid import GridEvidence
from bench.in_flight import GRID_WAITS_S, STACKS
from judging import in_flight as G
from judging.core import INCONCLUSIVE, REFUTED, SUPPORTED, Figure, Rule, Scope, Verdict, combine, text_figure

SYNC_STACKS = ("gthread", "granian-wsgi")
ASYNC_STACKS = ("uvicorn", "gunicorn+uvicorn", "granian-asgi")
SIMPLE_WORKLOADS = ("ping", "db/read", "db/queries")
THREADS_STACK = next(s.name for s in STACKS if s.role == "threads")

C12_RULE = Rule(
    "A map, workload x band -> the Django side that serves it better. Low band (up to {low_band:.0f} in "
    "flight), on the simple workloads (ping, db/read, db/queries): the best sync stack's knee (p99 <= "
    "{slo_ms:.0f} ms) against the best async stack's, repeat by repeat; a side wins when its knees beat the "
    "other's in every repeat by more than the spread (the ranges do not overlap), else a tie. Supported where "
    "sync wins, refuted where async wins, inconclusive on a tie. High band ({high_band:,.0f} and more in flight): "
    "C8's grid, per wait: supported where stock Django ASGI holds more than gthread, refuted where it holds less. "
    "Mixed: needs the probe's p99 at the knee (not recorded by the curves): inconclusive. Overall by the combine "
    "rule; the curves and the grid from one run.",
    {"low_band": 100, "high_band": 1_000, "slo_ms": 100})


def side_best(knees: dict[tuple[str, str], list[float | None]], stacks: tuple[str, ...],
              workload: str) -> list[float | None]:
    """Per repeat, the best knee among ``stacks`` on ``workload`` (None where no stack has one)."""
    series = [knees.get((s, workload), []) for s in stacks]
    repeats = max((len(s) for s in series), default=0)
    best = []
    for r in range(repeats):
        values = [s[r] for s in series if r < len(s) and s[r] is not None]
        best.append(max(values) if values else None)
    return best


def low_band_scope(knees: dict[tuple[str, str], list[float | None]], workload: str) -> Scope:
    sync, asyn = side_best(knees, SYNC_STACKS, workload), side_best(knees, ASYNC_STACKS, workload)
    pairs = [(s, a) for s, a in zip(sync, asyn) if s is not None and a is not None]
    name = f"low band, {workload}: sync views"
    if not pairs:
        return Scope(name, INCONCLUSIVE, "no repeat has a knee on both sides", 0)
    s_values, a_values = [s for s, _ in pairs], [a for _, a in pairs]
    listed = ", ".join(f"{s:,.0f} vs {a:,.0f}" for s, a in pairs)
    if min(s_values) > max(a_values):
        return Scope(name, SUPPORTED, f"sync's best knee beats async's in every repeat ({listed} req/s)", len(pairs))
    if min(a_values) > max(s_values):
        return Scope(name, REFUTED, f"async's best knee beats sync's in every repeat ({listed} req/s)", len(pairs))
    return Scope(name, INCONCLUSIVE, f"a tie: the knees' ranges overlap ({listed} req/s)", len(pairs))


def high_band_scope(grid: GridEvidence | None, wait_s: int) -> Scope:
    name = f"high band, io/sleep {wait_s} s: async views"
    if grid is None:
        return Scope(name, INCONCLUSIVE, "no thousands-in-flight grid in this run", 0)
    decided = G.wait_scope(grid, wait_s)
    return Scope(name, decided.outcome, decided.why, decided.repeats, decided.in_scope)


def judge_c12(knees: dict[tuple[str, str], list[float | None]] | None, grid: GridEvidence | None,
              run_id: int | None = None, suite: str = "") -> Verdict:
    """``knees``: (stack, workload) -> each repeat's knee from the curves (``bench.knees.run_knees``);
    ``grid``: the thousands-in-flight grid of the same run."""
    if not knees and grid is None:
        return Verdict("C12", INCONCLUSIVE, C12_RULE.render(), "no run holds the curves and the grid",
                       needs="manage.py bench --suite full")
    knees = knees or {}
    scopes = [low_band_scope(knees, w) for w in SIMPLE_WORKLOADS]
    scopes += [high_band_scope(grid, wait) for wait in GRID_WAITS_S]
    scopes.append(Scope("mixed: a thread pool for the CPU part", INCONCLUSIVE,
                        "the advice's metric, the probe's p99 at the knee, is not recorded by the curves", 0))
    verdict, why = combine(scopes, "region")
    figures = [Figure(f"{side} best knee, {w}", side_best(knees, stacks, w), " req/s")
               for w in SIMPLE_WORKLOADS for side, stacks in (("sync", SYNC_STACKS), ("async", ASYNC_STACKS))]
    if grid is not None:
        figures += [text_figure(f"grid, {wait} s waits: stock Django ASGI's best / gthread",
                                f"{G.best_django(grid, wait)[1].text()} / "
                                f"{G.reach(grid, THREADS_STACK, wait).text()}") for wait in GRID_WAITS_S]
    repeats = max([len(v) for v in knees.values()] + [grid.repeats if grid else 0])
    return Verdict("C12", verdict, C12_RULE.render(), why, figures, run_id=run_id, suite=suite, repeats=repeats,
                   scopes=scopes, note="FastAPI is not counted: the advice is about Django's two kinds of views.")
