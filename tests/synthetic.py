"""Stored synthetic results for verdict tests: real rows in the results store, made by hand
so each verdict can be driven to each outcome."""
from __future__ import annotations

import sys
from dataclasses import dataclass, field

from django.utils import timezone

from bench.models import EndpointStat, ExperimentRun, Run, ServerSample, Step
from groundwork.database import BASE_DIR

sys.path.insert(0, str(BASE_DIR / "loadtests"))  # the recorder's own HdrHistogram summary (_hdr.py)


@dataclass
class V:
    """One variant's measured figures (per repeat: call ``make_run`` with several runs' values)."""

    endpoints: dict[str, dict]  # name -> {"rps", "p50", "p99", "failures", "min"}
    deployment: dict = field(default_factory=lambda: {"server": "uvicorn", "workers": 1, "threads": None})
    params: dict = field(default_factory=dict)
    samples: list[dict] = field(default_factory=list)  # ServerSample fields
    observations: dict = field(default_factory=dict)
    valid: bool = True
    users: int = 10  # the step's load level
    repeat: int | None = None  # which repeat this step belongs to (None: the list's order)
    open_loop: dict = field(default_factory=dict)  # Step.open_loop, see ``open_loop`` below
    invalid_reason: str = "synthetic invalid"
    invalid_kind: str = "error"  # bench.validity.InvalidKind, for an invalid step
    quality: dict = field(default_factory=dict)  # Step.quality (bench/step_quality.py): precision etc.


def endpoint(rps: float, p99: float, p50: float | None = None, failures: int = 0, fastest: float | None = None,
             timing: dict | None = None) -> dict:
    """``timing``: Server-Timing metric -> its p50 in ms, as the recorder stores it."""
    return {"rps": rps, "p99": p99, "p50": p50 if p50 is not None else p99 / 2, "failures": failures,
            "min": fastest if fastest is not None else (p50 if p50 is not None else p99 / 2),
            "server_timing": {k: {"count": 10, "sum_ms": 10 * v, "p50": v, "p99": v} for k, v in (timing or {}).items()}}


def sample(**kw) -> dict:
    base = dict(t=1.0, processes=1, cpu_percent=50.0, rss_bytes=50 * 2**20, uss_bytes=40 * 2**20,
                vms_bytes=300 * 2**20, threads=10, ctx_voluntary=1000, ctx_involuntary=100, open_files=20,
                db_connections=2, loop_lag_ms={})
    base.update(kw)
    return base


def make_run(experiment: str, variants: dict, claim: str = "C?", suite: str = "synthetic",
             into: Run | None = None) -> Run:
    """``variants``: Variant (or its label) -> V or list of V. Vs that share a ``repeat`` become
    the steps of one experiment run (one per load level); otherwise each V is a repeat.
    ``into``: add the experiment to that run instead of a new one (a card reads one run)."""
    run = into or Run.objects.create(suite=suite, status=Run.COMPLETED, started_at=timezone.now(),
                                     finished_at=timezone.now(), environment={"switch_interval_s": 0.005})
    for variant, vs in variants.items():
        label = getattr(variant, "label", variant)
        vs = vs if isinstance(vs, list) else [vs]
        repeats: dict[int, list[V]] = {}
        for i, v in enumerate(vs):
            repeats.setdefault(i if v.repeat is None else v.repeat, []).append(v)
        for repeat, steps in repeats.items():
            first = steps[0]
            er = ExperimentRun.objects.create(run=run, claim=claim, experiment=experiment, variant=label, repeat=repeat,
                                              deployment=first.deployment, target="http://synthetic",
                                              scenario="synthetic", params=first.params,
                                              observations=first.observations, started_at=timezone.now())
            for index, v in enumerate(sorted(steps, key=lambda v: v.users)):
                _step(er, index, v)
    return run


def _step(er: ExperimentRun, index: int, v: V) -> None:
    step = Step.objects.create(experiment=er, index=index, users=v.users, started_at=timezone.now(), measured_s=10,
                               valid=v.valid, invalid_reason="" if v.valid else v.invalid_reason, open_loop=v.open_loop,
                               invalid_kind="" if v.valid else v.invalid_kind,
                               quality=v.quality,
                               generator_cpu_max_process=20, generator_cpu_total=20)
    for name, e in v.endpoints.items():
        requests = max(1, int(e["rps"] * 10))
        EndpointStat.objects.create(step=step, name=name, method="GET", requests=requests,
                                    failures=e["failures"], rps=e["rps"], avg_ms=e["p50"], p50=e["p50"],
                                    p90=e["p99"], p95=e["p99"], p99=e["p99"], p999=e["p99"], max_ms=e["p99"],
                                    histogram={str(e["min"]): 1, str(e["p50"]): requests - 1},
                                    server_timing=e.get("server_timing", {}))
    for s in v.samples:
        ServerSample.objects.create(experiment=er, **{"step_index": index, **s})  # step_index None: before load


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


def make_curves_run(cells: dict[tuple[str, str], list[V]], suite: str = "curves") -> Run:
    """A stored curves run: (stack, workload) -> its steps (``curve_step``), in rising rate order."""
    from bench.curves import CURVES, curve_variant

    return make_run(CURVES.name, {curve_variant(stack, workload): steps for (stack, workload), steps in cells.items()},
                    claim="CURVES", suite=suite)
