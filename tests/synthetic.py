"""Stored synthetic results: the rows of tests/unit/evidence_builder.py saved in the results store,
for the tests of what reads it (the verdicts' shells, the pages, the curves)."""
from __future__ import annotations

import sys

from django.utils import timezone

from bench.models import EndpointStat, Run, ServerSample
from groundwork.database import BASE_DIR
from tests.unit.evidence_builder import V, endpoint, experiment_runs, new_run, sample

sys.path.insert(0, str(BASE_DIR / "loadtests"))  # the recorder's own HdrHistogram summary (_hdr.py)

__all__ = ["V", "endpoint", "sample", "make_run", "only", "open_loop", "curve_step", "decided", "make_curves_run"]


def make_run(experiment: str, variants: dict, claim: str = "C?", suite: str = "synthetic",
             into: Run | None = None) -> Run:
    """``variants``: Variant (or its label) -> V or list of V (see ``experiment_runs``), stored.
    ``into``: add the experiment to that run instead of a new one (a card reads one run)."""
    run = into or new_run(suite)
    if run.pk is None:
        run.save()
    for recorded in experiment_runs(run, experiment, variants, claim):
        recorded.experiment_run.save()
        for step, endpoints, samples in recorded.steps:
            step.save()
            EndpointStat.objects.bulk_create(endpoints)
            ServerSample.objects.bulk_create(samples)
    return run


def only(*runs: Run):
    return Run.objects.filter(id__in=[r.id for r in runs])


# --- open-loop curves (bench/curves.py) ------------------------------------------------------
def open_loop(rate: float, p50: float, p99: float, dropped: int = 0, count: int = 2000) -> dict:
    """An open-loop step's record as the recorder stores it, with real HdrHistograms whose p50 and
    p99 are the ones given (corrected; the uncorrected ones 30 % lower), so pages can decode them."""
    from _hdr import hdr_histogram, hdr_summary, record_us

    def summary(scale: float) -> dict:
        h = hdr_histogram()
        for rank in range(count):  # 49 % fast, to 98.5 % at p50, to 99.8 % at p99, the rest beyond
            share = rank / count
            ms = p50 / 2 if share < 0.49 else p50 if share < 0.985 else p99 if share < 0.998 else p99 * 1.5
            record_us(h, scale * ms / 1000)
        return hdr_summary(h)

    return {"rate": rate, "arrivals": "poisson", "started": count, "dropped": dropped, "dropped_late": 0,
            "corrected": summary(1.0), "uncorrected": summary(0.7), "lag": summary(0.01)}


def curve_step(workload: str, rate: float, achieved: float, p50: float, p99: float, valid: bool = True,
               reason: str = "", repeat: int | None = 0, observations: dict | None = None,
               cpu: float = 80.0, kind: str = "error") -> V:
    """One rate step of a curve: the workload's endpoint at ``achieved`` req/s, its open-loop record."""
    return V({workload: endpoint(achieved, p99, p50)}, observations=observations or {}, valid=valid,
             invalid_reason=reason, invalid_kind=kind, repeat=repeat, open_loop=open_loop(rate, p50, p99),
             deployment={"server": "gunicorn", "workers": 1, "threads": 8, "label": "synthetic"},
             samples=[sample(cpu_percent=cpu, uss_bytes=30 * 2**20)])


def decided(stack: str, workload: str, best_rps: float, default_rps: float | None = None,
            generator_limited: bool = False) -> dict:
    """What the sweep decided, as ``CurveExperiment.resolve`` stores it (``observations``): the
    default configuration against the last candidate, which won."""
    from bench.curves import candidates

    cells = candidates(stack, workload)
    default, best = cells[0], cells[-1]
    table = [{"configuration": c.label, "median": None if generator_limited else rps, "low": rps, "high": rps,
              "n": 0 if generator_limited else 1, "strongest": c is best and not generator_limited}
             for c, rps in ((default, default_rps or best_rps / 2), (best, best_rps))]
    return {"configuration": {"best": best.label, "default": default.label, "saturated_rps": best_rps,
                              "rates": [], "sweep": table, "generator_limited": generator_limited}}


def make_curves_run(cells: dict[tuple[str, str], list[V]], suite: str = "curves", into: Run | None = None) -> Run:
    """A stored curves run: (stack, workload) -> its steps (``curve_step``), in rising rate order."""
    from bench.curves import CURVES, curve_variant

    return make_run(CURVES.name, {curve_variant(stack, workload): steps for (stack, workload), steps in cells.items()},
                    claim="CURVES", suite=suite, into=into)


# --- the thousands-in-flight grid (bench/in_flight.py) -----------------------------------------
def make_grid_run(grid, suite: str = "synthetic", into: Run | None = None) -> Run:
    """Store ``grid`` (a ``results.grid.GridEvidence`` built by ``tests.unit.grid_cells``)
    as the runner would: one experiment run per cell and repeat, in its row's experiment, out-of-scope
    cells recorded without a step; and the generator's capacity and each stack's ping rate."""
    from bench import in_flight as G
    from results.grid import MEASURED, OUT_OF_SCOPE
    from bench.models import ExperimentRun

    run = into or new_run(suite)
    run.environment = {**(run.environment or {}), "limits": grid.limits}
    run.save()
    for c in grid.cells:
        variant = G.cell(c.stack, c.n, c.wait_s, c.neighbour)
        row = G.ROW_BY_WAIT[c.wait_s].name
        if c.status == OUT_OF_SCOPE:
            now = timezone.now()
            ExperimentRun.objects.create(run=run, claim="C8", experiment=row, variant=variant.label,
                                         variant_key=variant.key, repeat=c.repeat,
                                         status=ExperimentRun.OUT_OF_SCOPE, error=c.reason, started_at=now,
                                         finished_at=now)
            continue
        window = [sample(t=1.0 + k / 2, uss_bytes=c.uss_bytes or 0, pss_bytes=c.pss_bytes or 0,
                         threads=c.threads or 1, processes=c.processes or 1, cpu_percent=c.server_cpu_pct or 0.0)
                  for k in range(2)] if c.status == MEASURED else []
        idle = [sample(t=0.0, step_index=None, uss_bytes=c.uss_idle_bytes or 0)]
        make_run(row, {variant: V({"io/sleep": endpoint(c.rps or 0.0, c.p99_ms or 0.0, c.p50_ms, c.failures)},
                                  samples=idle + window, users=c.n, repeat=c.repeat,
                                  valid=c.status == MEASURED, invalid_reason=c.reason)}, claim="C8", into=run)
    for stack, rates in grid.ping_rps.items():
        make_run(G.PING.name, {G.ping_cell(stack): [V({"ping": endpoint(r, 5.0)}, users=64) for r in rates]},
                 claim="C8", into=run)
    if grid.generator_capacity_rps:
        make_run(G.CALIBRATION.name, {G.CALIBRATION_CELL: V({"ping": endpoint(grid.generator_capacity_rps, 10.0)},
                                                            users=64)}, claim="C8", into=run)
    return run
