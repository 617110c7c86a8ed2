"""PostgreSQL alone, measured by pgbench in the same run: the ceiling a stack's ``db/read`` is
weighed against (C1 and C8 show each stack's throughput as a share of it)."""
from __future__ import annotations

from bench import experiments as X
from bench.evidence import Evidence, Measured
from judging.core import (Figure, median)
from judging.measures import per_repeat, rps_of


# --- PostgreSQL alone: the ceiling under db/read ---------------------------------------------

def pg_ceiling(ev: Evidence | None) -> dict[str, float]:
    """pgbench's median rate for db/read's query, per driver it stands for: the ORM sends simple
    queries, the native psycopg driver prepared statements. Empty without a pgbench run."""
    if ev is None:
        return {}
    found = {"orm": median(per_repeat(ev.get(X.PG_ALONE_SIMPLE), rps_of(X.PGBENCH_ENDPOINT))),
             "native": median(per_repeat(ev.get(X.PG_ALONE_PREPARED), rps_of(X.PGBENCH_ENDPOINT)))}
    return {driver: rps for driver, rps in found.items() if rps}


def ceiling_figures(label: str, ms: list[Measured], driver: str, ceiling: dict[str, float]) -> list[Figure]:
    """A stack's db/read RPS as a share of what PostgreSQL alone served of the same query."""
    if driver not in ceiling:
        return []
    return [Figure(f"{label}: db/read as a share of PostgreSQL alone ({ceiling[driver]:,.0f} q/s, pgbench)",
                   [None if r is None else 100 * r / ceiling[driver] for r in per_repeat(ms, rps_of("db/read"))],
                   " %", 1)]
