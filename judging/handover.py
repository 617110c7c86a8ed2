"""Judging C11, work handed to a thread from an async view: pure functions, the evidence of one run
(``bench.evidence.Evidence`` of ``bench.handover``'s three experiments) in, a verdict out.

Two parts, each judged repeat by repeat (repeat i of one cell against repeat i of the other, the
repeats interleaved by the runner), per work:

- *a pool per request is fine* (the claim's sample): the per-request pool's throughput as a share of
  the shared pool's, and its loop lag p99. Supported at >= ``fine_share`` with lag <= ``fine_lag_ms``;
  refuted below ``bad_share`` or with lag above ``bad_lag_ms``; otherwise inconclusive.
- *size the pool to the logical cores*: the shared pool at ``cores`` threads against the best of the
  larger pools of the sweep. The CPU task (on every core): supported if a larger pool adds less than
  ``cpu_supported``, refuted from ``cpu_refuted``. The blocking call (on one core): refuted if a larger
  pool adds ``blocking_refuted`` or more, supported below ``blocking_supported``. In between: inconclusive.

A part's outcome is the one every repeat agrees on (``classify_repeats``); the parts combine by the
combine rule. ``asyncio.to_thread``, ``sync_to_async`` and to_thread at Python's default size are
shown, never counted.
"""
from __future__ import annotations

from typing import Callable

from bench import handover as HO
from bench.evidence import Evidence, Measured, by_repeat
from bench.experiments import Variant
from judging.core import (INCONCLUSIVE, REFUTED, SUPPORTED, Figure, Rule, Scope, Verdict, bar, classify_repeats,
                          combine, median, ratio, text_figure)

HANDOVER_RULE = Rule(
    "One Uvicorn worker, 32 closed-loop users, every pool with a size given a thread per user; a {ms:.0f} ms "
    "blocking call and a ~20 ms CPU task. Each part is decided per work, repeat by repeat (repeat i of one cell "
    "against repeat i of the other). A pool opened per request (the source's sample) is fine: supported if its "
    "throughput is >= {fine_share:.0%} of the shared pool's and its loop lag p99 <= {fine_lag_ms:.0f} ms; refuted "
    "if below {bad_share:.0%} or lag > {bad_lag_ms:.0f} ms; otherwise inconclusive. A pool the size of the logical "
    "cores is enough (the shared pool at cores threads against the best of 4 x cores and 32): for the CPU task, on "
    "every core, supported if a larger pool adds < {cpu_supported:.0%} throughput, refuted if it adds >= "
    "{cpu_refuted:.0%}; for the blocking call, on one core (cores = 1), refuted if a larger pool adds >= "
    "{blocking_refuted:.0%}, supported if < {blocking_supported:.0%}; in between inconclusive. Per part: the outcome "
    "every repeat agrees on; overall by the combine rule, every part from one run. asyncio.to_thread, "
    "sync_to_async and to_thread at Python's default executor size are shown, never counted.",
    {"ms": HO.BLOCKING_MS, "fine_share": 0.90, "bad_share": 0.75, "fine_lag_ms": 10, "bad_lag_ms": 50,
     "cpu_supported": 0.05, "cpu_refuted": 0.15, "blocking_supported": 0.05, "blocking_refuted": 0.20})

WORK_NAMES = {HO.BLOCKING: "blocking call", HO.CPU: "CPU task"}
WHERE = {HO.BLOCKING: "blocking call on one core", HO.CPU: "CPU task on every core"}
NOTE = ("Stock Django ASGI starts threads of its own for every request, whatever the view does: each request "
        "gets a thread-sensitive context, whose single thread runs its sync hops (the request_started "
        "receivers at least, and sync_to_async's work), and asgiref (3.13) joins it in one more thread when the "
        "request ends. The threads a hand-over starts are its figure minus the shared pool's. The per-request pool's "
        "shutdown(wait=True) joins its thread on the event loop's own thread.")


def _per_repeat(ev: Evidence | None, variant: Variant) -> dict[int, Measured]:
    return by_repeat(ev.get(variant)) if ev is not None else {}


def _rps(m: Measured | None) -> float | None:
    return m.rps(HO.ENDPOINT) if m is not None else None


def fine_outcome(share: float | None, lag_ms: float | None) -> str | None:
    """One repeat of "a pool per request is fine"; None when a figure it needs is missing."""
    if share is None or lag_ms is None:
        return None
    if share < HANDOVER_RULE["bad_share"] or lag_ms > HANDOVER_RULE["bad_lag_ms"]:
        return REFUTED
    if share >= HANDOVER_RULE["fine_share"] and lag_ms <= HANDOVER_RULE["fine_lag_ms"]:
        return SUPPORTED
    return INCONCLUSIVE


def cores_outcome(work: str, gain: float | None) -> str | None:
    """One repeat of "a pool of cores threads is enough": ``gain`` = best larger pool / cores pool - 1."""
    if gain is None:
        return None
    if work == HO.CPU:
        return SUPPORTED if gain < HANDOVER_RULE["cpu_supported"] else (
            REFUTED if gain >= HANDOVER_RULE["cpu_refuted"] else INCONCLUSIVE)
    return REFUTED if gain >= HANDOVER_RULE["blocking_refuted"] else (
        SUPPORTED if gain < HANDOVER_RULE["blocking_supported"] else INCONCLUSIVE)


def _decided(name: str, outcomes: dict[int, str | None], told: str) -> Scope:
    ordered = [outcomes[r] for r in sorted(outcomes)]
    outcome, disagree, decided = classify_repeats(ordered, lambda o: o, "outcome")
    listed = ", ".join(o or "missing" for o in ordered) or "none"
    return Scope(name, outcome, f"per repeat: {listed} ({told})" + (f"; {disagree}" if disagree else ""), decided)


def fine_scope(grid: Evidence | None, work: str) -> Scope:
    per_request = _per_repeat(grid, HO.GRID[HO.PER_REQUEST, work])
    shared = _per_repeat(grid, HO.GRID[HO.SHARED, work])
    outcomes, told = {}, []
    for r in sorted(per_request.keys() | shared.keys()):
        mine, theirs = per_request.get(r), shared.get(r)
        share = ratio(_rps(mine), _rps(theirs))
        lag = mine.loop_lag_p99_ms() if mine is not None else None
        outcomes[r] = fine_outcome(share, lag)
        told.append("n/a" if share is None or lag is None else f"{share:.0%} of shared, lag p99 {lag:.1f} ms")
    return _decided(f"per-request pool · {WORK_NAMES[work]}", outcomes, "; ".join(told) or "no cells")


def cores_gain(sweep: Evidence | None, work: str) -> dict[int, float | None]:
    """Per repeat: how much more the best pool larger than the cores served than the pool of cores."""
    base = _per_repeat(sweep, HO.SWEEP[work][HO.AT_CORES])
    larger = [_per_repeat(sweep, v) for role, v in HO.SWEEP[work].items() if role in HO.LARGER]
    gains = {}
    for r in sorted(base.keys() | {r for cells in larger for r in cells}):
        best = max((x for x in (_rps(cells.get(r)) for cells in larger) if x is not None), default=None)
        at_cores = _rps(base.get(r))
        gains[r] = None if best is None or not at_cores else (best - at_cores) / at_cores
    return gains


def cores_scope(sweep: Evidence | None, work: str) -> Scope:
    gains = cores_gain(sweep, work)
    told = ", ".join("n/a" if g is None else f"{g:+.0%}" for g in (gains[r] for r in sorted(gains)))
    return _decided(f"pool = cores · {WHERE[work]}", {r: cores_outcome(work, g) for r, g in gains.items()},
                    f"a pool larger than the cores adds {told or 'n/a'}")


def _values(ms: list[Measured], f: Callable[[Measured], float | None]) -> list[float | None]:
    return [f(m) for m in ms]


def cell_figures(ev: Evidence | None, variant: Variant) -> list[Figure]:
    ms = ev.get(variant) if ev is not None else []
    return [Figure(f"{variant.label}: throughput", _values(ms, _rps), " req/s"),
            Figure(f"{variant.label}: p99", _values(ms, lambda m: m.p(HO.ENDPOINT)), " ms"),
            Figure(f"{variant.label}: server CPU per request",
                   _values(ms, lambda m: m.cpu_us_per_request(HO.ENDPOINT)), " µs"),
            Figure(f"{variant.label}: threads started per request", _values(ms, Measured.thread_starts_per_request),
                   "", 2),
            Figure(f"{variant.label}: loop lag p99", _values(ms, Measured.loop_lag_p99_ms), " ms", 1)]


def sweep_sizes(ev: Evidence | None) -> Figure:
    """The threads behind each role of the sweeps, from the cores the run's machine gave its server."""
    cpus = (ev.run.environment or {}).get("cpus_available") if ev is not None else None
    sizes = {HO.BLOCKING: HO.PINNED_CORES, HO.CPU: len(cpus) if cpus else None}
    told = "; ".join(f"{WHERE[work]}: " + (", ".join(f"{role} = {HO.threads_for(role, cores)}" for role in HO.ROLES)
                                            if cores else "cores not recorded")
                     for work, cores in sizes.items())
    return text_figure("the sweeps' pool sizes (threads)", told)


def _chart(grid: Evidence | None) -> dict:
    return bar("Throughput by hand-over (one core, 32 users)", "req/s", list(HO.HOWS),
               {WORK_NAMES[work]: [median(_values(grid.get(HO.GRID[how, work]), _rps)) if grid else None
                                   for how in HO.HOWS] for work in HO.WORKS})


def judge_c11(grid: Evidence | None, pool_blocking: Evidence | None, pool_cpu: Evidence | None) -> Verdict:
    found = [ev for ev in (grid, pool_blocking, pool_cpu) if ev is not None]
    if not found:
        return Verdict("C11", INCONCLUSIVE, HANDOVER_RULE.render(), "no valid data yet for the hand-over experiments",
                       needs="manage.py bench --suite handover")
    sweeps = {HO.BLOCKING: pool_blocking, HO.CPU: pool_cpu}
    scopes = [*(fine_scope(grid, work) for work in HO.WORKS), *(cores_scope(sweeps[work], work) for work in HO.WORKS)]
    verdict, why = combine(scopes, "part")
    figures = [f for v in HO.HANDOVER.variants for f in cell_figures(grid, v)]
    figures += [f for work in HO.WORKS for v in HO.SWEEP[work].values() for f in cell_figures(sweeps[work], v)]
    figures.append(sweep_sizes(pool_cpu or pool_blocking or grid))
    run = found[0].run
    return Verdict("C11", verdict, HANDOVER_RULE.render(), why, figures, run_id=run.id, suite=run.suite,
                   experiment_run_ids=sorted({i for ev in found for i in ev.experiment_run_ids}),
                   chart=_chart(grid), repeats=max(ev.repeats for ev in found), scopes=scopes, note=NOTE)
