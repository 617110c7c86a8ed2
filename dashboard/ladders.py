"""The ladders page's shell: which run each ladder table reads (``results.runs.newest_evidence``),
handed to the pure table builders of ``judging.ladders``."""
from __future__ import annotations

from django.db.models import QuerySet

from bench import ladders as L
from bench.models import Run
from judging.ladders import (C8_ENDPOINTS, DbTable, TaxTable, TweakTable, async_orm_cost_figures as
                             cost_figures, db_rows, db_table, tax_rows, tax_table, tweak_rows, tweak_table)
from judging.core import Figure
from results.runs import latest_evidence, newest_evidence, same_run


def read_tax_table(workload: str, runs: QuerySet[Run] | None = None) -> TaxTable:
    cells = L.tax_cells((workload,))
    saturated = newest_evidence(L.TAX_SATURATION, cells, runs)
    paced = newest_evidence(L.TAX_AT_RATE[workload], cells + L.tax_cells((workload,), hops=True), runs)
    return tax_table(workload, saturated, paced)


def read_db_table(endpoint: str, runs: QuerySet[Run] | None = None) -> DbTable:
    cells = tuple(L.db_variant(p, endpoint) for p in L.DB_PATHS)
    counted = tuple(L.db_variant(p, endpoint, hops=True) for p in L.DB_PATHS)
    return db_table(endpoint, newest_evidence(L.DB_LADDER, cells, runs),
                    newest_evidence(L.DB_LADDER_HOPS, counted, runs))


def read_tweak_table(runs: QuerySet[Run] | None = None) -> TweakTable:
    ev = newest_evidence(L.TWEAK_LADDER, L.TWEAK_LADDER.variants, runs)
    return tweak_table(ev, latest_evidence(L.TAX_SATURATION, same_run(ev)) if ev else None)


def ladders_page(runs: QuerySet[Run] | None = None) -> dict:
    return {"tax": [read_tax_table(w, runs) for w in L.TAX_WORKLOADS],
            "db": [read_db_table(e, runs) for e in L.DB_ENDPOINTS],
            "tweaks": read_tweak_table(runs), "db_users": L.DB_USERS}


def async_orm_cost_figures(runs: QuerySet[Run] | None = None) -> list[Figure]:
    """C8's borrowed figures (``judging.ladders.async_orm_cost_figures``) from the newest database
    ladder run, or the runs given; each figure names its run."""
    return cost_figures([read_db_table(e, runs) for e in C8_ENDPOINTS])


LADDER_TABLES = {
    "tax": lambda runs=None: tax_rows([read_tax_table(w, runs) for w in L.TAX_WORKLOADS]),
    "db": lambda runs=None: db_rows([read_db_table(e, runs) for e in L.DB_ENDPOINTS]),
    "tweaks": lambda runs=None: tweak_rows(read_tweak_table(runs)),
}


def ladders_rows(table: str, runs: QuerySet[Run] | None = None) -> list[dict]:
    """One download's rows; ``table`` must be one of LADDER_TABLES (the view refuses others)."""
    return LADDER_TABLES[table](runs)
