"""C8: threads are heavy and coroutines light, at the scale the claim speaks of. The card is the
thousands-in-flight grid (judged in ``judging.in_flight``) plus the async ORM's part, every part
from one run; what keeping the loop free costs is shown beside it."""
from __future__ import annotations

from bench import experiments as X
from bench.evidence import Evidence, Measured
from bench.in_flight import GRID_WAITS_S as X_GRID_WAITS, STACKS as GRID_STACKS
from judging import in_flight as G
from judging.core import (INCONCLUSIVE, Figure, Rule, Scope, Verdict, combine, median, versus_limit)
from judging.measures import no_data, p99_of, per_repeat, rps_of
from judging.pg_ceiling import ceiling_figures
from results.grid import GridEvidence


X_DJANGO_UVICORN = next(s.name for s in GRID_STACKS if s.role == "django-asgi")  # stock Django, Uvicorn 1w
X_FASTAPI = next(s.name for s in GRID_STACKS if s.role == "reference")


# --- C8 -------------------------------------------------------------------------------------
# At the scale the claim speaks of: the thousands-in-flight grid (judging.in_flight), plus the
# async ORM's part from the same run. (The 200-user experiment of the quick suite is shown on the
# run pages; at 200 in flight on one core it measures the framework's CPU, not concurrency.)

C8_RULE = Rule(
    G.GRID_RULE.text + " The async ORM keeps the loop free: the loop lag under Django's async ORM stays <= "
    "{lag_ms:.0f} ms in every repeat. Overall by the combine rule; every part from one run.",
    {**G.GRID_RULE.limits, "lag_ms": 10})


def _c8_async_orm(db: Evidence | None, ceiling: dict[str, float], run_id: int) -> tuple[Scope, list[Figure]]:
    figures = []
    name = "the async ORM keeps the loop free"
    if not db:
        return Scope(name, INCONCLUSIVE, f"no {X.C8_DB.name} data in run #{run_id}", 0), figures
    for v in X.C8_DB.variants:
        ms = db.get(v)
        figures += [Figure(f"db/read {v.label}: RPS", per_repeat(ms, rps_of("db/read"))),
                    Figure(f"db/read {v.label}: probe p99", per_repeat(ms, p99_of("probe")), " ms"),
                    Figure(f"db/read {v.label}: loop lag (median)", per_repeat(ms, Measured.median_loop_lag_ms),
                           " ms", 1),
                    *ceiling_figures(v.label, ms, v.knobs["driver"], ceiling)]
    lags = per_repeat(db.get(X.C8_DB_ASYNC_ORM), Measured.median_loop_lag_ms)
    outcome = versus_limit(lags, C8_RULE["lag_ms"], at_least=False)
    return Scope(name, outcome, "no loop-lag samples" if median(lags) is None else
                 f"loop lag per repeat {', '.join(f'{v:.1f}' for v in lags if v is not None)} ms under "
                 "the async ORM" + (" (repeats on both sides of the limit)" if outcome == INCONCLUSIVE else ""),
                 sum(1 for v in lags if v is not None)), figures


def _c8_note(grid: GridEvidence) -> str:
    """Where Django's async stack falls behind FastAPI's, and what it holds meanwhile."""
    parts = []
    for wait in X_GRID_WAITS:
        django_stack, django = G.best_django(grid, wait)
        fastapi = G.reach(grid, X_FASTAPI, wait)
        if fastapi.n > django.n:
            parts.append(f"at {wait} s waits FastAPI holds {fastapi.text()} where Django's best ASGI stack holds "
                         f"{django.text()}")
    threads = median(G.memory_slopes(grid, X_DJANGO_UVICORN, int(G.GRID_RULE["memory_wait"]), "threads"))
    if threads is not None and threads >= 0.5:
        parts.append(f"stock Django on Uvicorn holds about {threads:.2f} OS threads per request in flight (its "
                     "handler gives each request a thread-sensitive context whose thread lives until the "
                     "request ends)")
    return ("Where Django's async stack loses it: " + "; ".join(parts) + ".") if parts else ""


def judge_c8(grid: GridEvidence | None, db: Evidence | None, ceiling: dict[str, float],
             ladder: list[Figure]) -> Verdict:
    """``grid``: the thousands-in-flight grid of one run; ``db``: the async-ORM experiment and
    ``ceiling``: PostgreSQL alone (``pg_ceiling``), both from the grid's own run; ``ladder``: what
    keeping the loop free costs (``judging.ladders.async_orm_cost_figures``), shown beside."""
    if grid is None:
        return no_data("C8", C8_RULE, "the thousands-in-flight grid", suite="concurrency")
    scopes = [G.wait_scope(grid, wait) for wait in X_GRID_WAITS]
    memory, ratios = G.memory_scope(grid)
    scopes.append(memory)
    orm, orm_figures = _c8_async_orm(db, ceiling, grid.run_id)
    scopes.append(orm)
    figures = [*G.grid_figures(grid),
               Figure("gthread / stock Django ASGI USS per request in flight, per repeat", ratios, "x", 2),
               *orm_figures, *ladder]
    verdict, why = combine(scopes, "part")
    ids = sorted({*(db.experiment_run_ids if db else [])})
    return Verdict("C8", verdict, C8_RULE.render(), why, figures, run_id=grid.run_id, suite=grid.suite,
                   experiment_run_ids=ids, repeats=grid.repeats, scopes=scopes, note=_c8_note(grid),
                   heatmap=G.heatmap(grid))
