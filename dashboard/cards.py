"""The cards' shell: read the store, hand each claim's judge its evidence, every part from one run.

The judges (``judging``) are pure; this module is where the queries run. A card's main evidence is
the fullest run holding its experiment (``results.runs``: the most repeats, the newest among
equals), and every other part of the card is read from that same run ("one run per card"). The
pages call ``all_verdicts``; ``tests/integration/test_verdict_shells.py`` runs it against PostgreSQL.
"""
from __future__ import annotations

from typing import Callable

from django.db.models import QuerySet

from bench import experiments as X
from bench import handover as HO
from bench import worker_memory as W
from bench.curves import DEFAULT_SLO_MS
from bench.knees import run_knees
from bench.models import Run
from bench.server_push import PUSH, PUSH_BURST
from bench.two_cores import C10_FULL
from bench.upstream_calls import UPSTREAM
from dashboard.ladders import async_orm_cost_figures
from judging.core import Verdict
from judging.verdicts import (judge_c1, judge_c2, judge_c3, judge_c4, judge_c5, judge_c6, judge_c7, judge_c8, judge_c9,
                              judge_c10, judge_c11, judge_c12, judge_c13, judge_c14, judge_c15, pg_ceiling)
from results.grid import read_grid
from results.runs import fullest_grid_run, latest_evidence, same_run, verdict_runs


def database_ceiling(runs: QuerySet[Run] | None = None) -> dict[str, float]:
    """``pg_ceiling`` of the newest run holding pgbench's measurement (or of the runs given)."""
    return pg_ceiling(latest_evidence(X.PG_ALONE, runs))


def verdict_c1(runs: QuerySet[Run] | None = None) -> Verdict:
    ev = latest_evidence(X.C1_FULL, runs)
    return judge_c1(ev, database_ceiling(same_run(ev)) if ev else {})


def verdict_c2(runs: QuerySet[Run] | None = None) -> Verdict:
    return judge_c2(latest_evidence(X.C2_FULL, runs))


def verdict_c3(runs: QuerySet[Run] | None = None) -> Verdict:
    return judge_c3(latest_evidence(X.C3, runs))


def verdict_c4(runs: QuerySet[Run] | None = None) -> Verdict:
    return judge_c4(latest_evidence(X.C4, runs))


def verdict_c5(runs: QuerySet[Run] | None = None) -> Verdict:
    return judge_c5(latest_evidence(X.C5, runs))


def verdict_c6(runs: QuerySet[Run] | None = None) -> Verdict:
    return judge_c6(latest_evidence(X.C6, runs))


def verdict_c7(runs: QuerySet[Run] | None = None) -> Verdict:
    return judge_c7(latest_evidence(X.C7, runs))


def verdict_c8(runs: QuerySet[Run] | None = None) -> Verdict:
    """The grid of the fullest run holding it; the DB part and the ceiling from that same run; the
    ladder's figures from the ladder runs (or the runs given), as the ladders page reads them."""
    run = fullest_grid_run(verdict_runs(runs))
    grid = read_grid(run) if run else None
    if grid is None:
        return judge_c8(None, None, {}, [])
    grid_run = Run.objects.filter(id=run.id)
    return judge_c8(grid, latest_evidence(X.C8_DB, grid_run), database_ceiling(grid_run),
                    async_orm_cost_figures(runs))


def verdict_c11(runs: QuerySet[Run] | None = None) -> Verdict:
    """The hand-over grid of the fullest run holding it; both pool-size sweeps from that same run."""
    ev = latest_evidence(HO.HANDOVER, runs)
    if ev is None:
        return judge_c11(None, None, None)
    same = same_run(ev)
    return judge_c11(ev, latest_evidence(HO.POOL_BLOCKING, same), latest_evidence(HO.POOL_CPU, same))


def verdict_c12(runs: QuerySet[Run] | None = None) -> Verdict:
    """The curves' knees and the grid, both from the fullest run that holds the two (a full run)."""
    run = fullest_grid_run(verdict_runs(runs).filter(experiments__experiment="curves"))
    if run is None:
        return judge_c12(None, None)
    return judge_c12(run_knees(run, DEFAULT_SLO_MS), read_grid(run), run.id, run.suite)


def verdict_c14(runs: QuerySet[Run] | None = None) -> Verdict:
    """The staggered grid of the fullest run holding it; the burst row from that same run."""
    run = fullest_grid_run(verdict_runs(runs), PUSH)
    if run is None:
        return judge_c14(None)
    return judge_c14(read_grid(run, PUSH), read_grid(run, PUSH_BURST))


def verdict_c15(runs: QuerySet[Run] | None = None) -> Verdict:
    run = fullest_grid_run(verdict_runs(runs), UPSTREAM)
    return judge_c15(read_grid(run, UPSTREAM) if run else None)


def verdict_c10(runs: QuerySet[Run] | None = None) -> Verdict:
    return judge_c10(latest_evidence(C10_FULL, runs))


def verdict_c13(runs: QuerySet[Run] | None = None) -> Verdict:
    """The memory steps of the fullest run holding them; the two crash experiments from that same run."""
    ev = latest_evidence(W.C13_MEMORY, runs)
    if ev is None:
        return judge_c13(None)
    same = same_run(ev)
    return judge_c13(ev, latest_evidence(W.C13_KILL, same), latest_evidence(W.C13_CRASH, same))


def verdict_c9(runs: QuerySet[Run] | None = None, c4: Verdict | None = None, c7: Verdict | None = None) -> Verdict:
    """``c4``/``c7``: those verdicts when already computed for the same runs (all_verdicts)."""
    return judge_c9(c4 or verdict_c4(runs), c7 or verdict_c7(runs))


VERDICTS: dict[str, Callable[..., Verdict]] = {
    "C1": verdict_c1, "C2": verdict_c2, "C3": verdict_c3, "C4": verdict_c4, "C5": verdict_c5,
    "C6": verdict_c6, "C7": verdict_c7, "C8": verdict_c8, "C9": verdict_c9, "C10": verdict_c10,
    "C11": verdict_c11, "C12": verdict_c12, "C13": verdict_c13, "C14": verdict_c14, "C15": verdict_c15,
}


def all_verdicts(runs: QuerySet[Run] | None = None) -> list[Verdict]:
    done = {claim: f(runs) for claim, f in VERDICTS.items() if claim != "C9"}
    done["C9"] = verdict_c9(runs, done["C4"], done["C7"])
    return [done[claim] for claim in VERDICTS]
