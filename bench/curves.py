"""The comparison itself: for each workload, each stack at its best, latency against throughput.

Two experiments, run in this order by ``bench --suite curves``:

1. **The sweep** (closed loop, short): every candidate configuration of every stack, pinned to
   one core, saturated on every workload. Its RPS says which configuration is each stack's best
   on *this* machine for *this* workload (``Evidence.strongest``, the mechanism the claims' verdicts
   use), and how much that best can serve (its saturation rate).
2. **The curves** (open loop): each stack's best configuration, offered a rising rate from well
   below to past its saturation. Each step records achieved throughput and the latency measured
   from each request's intended start (coordinated omission corrected), plus the server's CPU and
   USS. A curve's variant is one object per (stack, workload); which deployment it ran with is
   decided when the sweep is done and stored with the step (``ExperimentRun.deployment``).

The knee, the highest throughput whose p99 stays under an SLO, is computed by the pages (the SLO
is a knob there), never stored.
"""
from __future__ import annotations

import functools
from dataclasses import asdict, dataclass, replace

from bench.experiments import (Experiment, Variant, granian_asgi, granian_wsgi, gthread, gunicorn_uvicorn,
                               uvicorn)
from bench.observations import CurveChoice
from bench.validity import InvalidKind
from bench.variant_keys import find_variant

# Workload -> (scenario knobs, closed-loop users that saturate one core on any stack in the sweep).
CURVE_WORKLOADS: dict[str, tuple[dict, int]] = {
    "ping": ({}, 64),
    "cpu": ({"n": 100_000}, 16),
    "io/sleep": ({"ms": 10}, 256),
    "db/read": ({"driver": "orm"}, 32),
    "db/queries": ({"count": 10, "driver": "orm"}, 32),
    "mixed": ({"ms": 10, "n": 50_000}, 64),
    "json": ({"body_kb": 100, "parser": "json", "offload": 0}, 16),
}

# Each stack's candidates on one core; the first is the default a user gets without tuning. A
# threaded WSGI worker gets a DB pool as large as its threads, so no thread queues for a connection.
CANDIDATES: dict[str, tuple[tuple[str, object], ...]] = {
    "gthread": (("1w x 8t", lambda: gthread(1, 8, pool_size=8)),
                ("1w x 32t", lambda: gthread(1, 32, pool_size=32)),
                ("2w x 16t", lambda: gthread(2, 16, pool_size=16))),
    "uvicorn": (("1w", lambda: uvicorn(1)), ("2w", lambda: uvicorn(2))),
    "gunicorn+uvicorn": (("1w", lambda: gunicorn_uvicorn(1)), ("2w", lambda: gunicorn_uvicorn(2))),
    "granian-wsgi": (("1w x 8t", lambda: granian_wsgi(1, 8, pool_size=8)),
                     ("1w x 32t", lambda: granian_wsgi(1, 32, pool_size=32)),
                     ("2w x 16t", lambda: granian_wsgi(2, 16, pool_size=16))),
    "granian-asgi": (("1w", lambda: granian_asgi(1)), ("2w", lambda: granian_asgi(2))),
}
CURVE_STACKS = tuple(CANDIDATES)
# Offered rates as fractions of the best configuration's saturated (closed-loop) throughput.
RATE_FRACTIONS = (0.25, 0.5, 0.75, 0.95, 1.2)
DEFAULT_SLO_MS = 100.0  # p99 under which a step counts towards the knee (a knob of the pages)
SCENARIO = "curves.py"
CURVES_SWEEP_NAME = "curves-sweep"


@functools.cache
def sweep_variant(stack: str, configuration: str, workload: str, /) -> Variant:
    """One object per cell, however often it is asked for (variants compare by identity)."""
    make = dict(CANDIDATES[stack])[configuration]
    knobs, users = CURVE_WORKLOADS[workload]
    return Variant(f"{stack} {configuration} · {workload}", make(), {"endpoint": workload, **knobs}, users=(users,))


def candidates(stack: str, workload: str) -> tuple[Variant, ...]:
    return tuple(sweep_variant(stack, name, workload) for name, _ in CANDIDATES[stack])


def default_variant(stack: str, workload: str) -> Variant:
    return candidates(stack, workload)[0]


@functools.cache
def curve_variant(stack: str, workload: str, /) -> Variant:
    """The curve of one stack on one workload. Its deployment here is the default configuration;
    the runner swaps in the sweep's winner before it runs (see ``CurveExperiment.resolve``)."""
    default = default_variant(stack, workload)
    return Variant(f"{stack} · {workload}", default.deployment, default.knobs)


def _sweep(step_s: float, warmup_s: float) -> Experiment:
    # Ordered by deployment, so that one server serves every workload in turn.
    return Experiment(
        CURVES_SWEEP_NAME, "CURVES", "Which configuration of each stack serves each workload best on one core?",
        SCENARIO, tuple(sweep_variant(stack, name, w) for stack in CURVE_STACKS for name, _ in CANDIDATES[stack]
                        for w in CURVE_WORKLOADS),
        users=(1,), step_s=step_s, warmup_s=warmup_s, probe=False)


@dataclass(frozen=True)
class CurveExperiment(Experiment):
    """Open-loop steps whose rates and deployment come from the sweep earlier in the same run."""

    sweep: Experiment | None = None
    fractions: tuple[float, ...] = RATE_FRACTIONS

    def resolve(self, run, variant: Variant, read=None) -> tuple[Experiment, Variant, dict]:
        """(this experiment with the variant's rates, the variant on its best deployment, what was
        decided and why); raises LookupError when the sweep left nothing to decide from. ``read``
        is the store's reader (``bench.evidence.read_run``), the verdicts' own mechanism."""
        stack, workload = _curve_cell(variant)
        evidence = read(self.sweep, run)
        if evidence is None:
            raise LookupError(f"no valid sweep step in run {run.id} to choose {variant.label}'s configuration")
        best, table = evidence.strongest(candidates(stack, workload), lambda m: m.rps(workload))
        limited = best is None
        if limited:  # every candidate outran the load generator: rank by what it did serve, a lower bound
            best, saturated = _generator_limited_best(run, candidates(stack, workload), workload)
        else:
            saturated = next(row["median"] for row in table if row["strongest"])
        rates = tuple(round(f * saturated, 1) for f in self.fractions)
        decided = CurveChoice(best=best.label, best_key=best.key, default=default_variant(stack, workload).label,
                              saturated_rps=saturated, rates=rates, sweep=tuple(table), generator_limited=limited)
        return replace(self, rates=rates), replace(variant, deployment=best.deployment), asdict(decided)




def _served(run, workload: str, generator_limited_only: bool) -> dict[tuple[str, str], float]:
    """(variant key, label) as stored -> the most RPS that sweep variant served on ``workload`` in ``run``,
    valid step or not (``generator_limited_only``: only steps invalid because the load generator saturated)."""
    from bench.models import EndpointStat

    stats = EndpointStat.objects.filter(step__experiment__run=run, step__experiment__experiment=CURVES_SWEEP_NAME,
                                        name=workload)
    if generator_limited_only:
        stats = stats.filter(step__invalid_kind=InvalidKind.GENERATOR)
    served: dict[tuple[str, str], float] = {}
    for key, label, rps in stats.values_list("step__experiment__variant_key", "step__experiment__variant", "rps"):
        served[key, label] = max(served.get((key, label), 0.0), rps)
    return served


def served_by_sweep(run, workload: str) -> dict[str, float]:
    """Sweep variant label, as stored -> the most RPS it served on ``workload`` in ``run``: for the
    page that reads the sweep's stored decision, which names the labels of its own run."""
    return {label: rps for (_, label), rps in _served(run, workload, False).items()}


def _generator_limited_best(run, cells: tuple[Variant, ...], workload: str):
    """(the candidate that served most, its RPS) among sweep steps invalid only because the load
    generator saturated: the server's true limit is higher, so the curve's rates are a lower bound."""
    served = {cell: rps for (key, label), rps in _served(run, workload, True).items()
              if (cell := find_variant(cells, key, label)) is not None}
    if not served:
        raise LookupError(f"the sweep measured no configuration of {cells[0].label.split(' ')[0]} on {workload}")
    best = max(served, key=served.get)
    return best, served[best]


def _curve_cell(variant: Variant) -> tuple[str, str]:
    for stack in CURVE_STACKS:
        for workload in CURVE_WORKLOADS:
            if curve_variant(stack, workload) is variant:
                return stack, workload
    raise LookupError(f"{variant.label!r} is not a curve of the catalogue")


def _curves(sweep: Experiment, step_s: float, warmup_s: float) -> CurveExperiment:
    return CurveExperiment(
        "curves", "CURVES", "Latency against throughput, per workload, each stack at its best configuration",
        SCENARIO, tuple(curve_variant(stack, w) for stack in CURVE_STACKS for w in CURVE_WORKLOADS),
        users=(1,), step_s=step_s, warmup_s=warmup_s, probe=False, rates=RATE_FRACTIONS, arrivals="poisson",
        sweep=sweep)


CURVES_SWEEP = _sweep(step_s=1.5, warmup_s=0.5)
CURVES = _curves(CURVES_SWEEP, step_s=2.5, warmup_s=0.5)
CURVES_SUITE = (CURVES_SWEEP, CURVES)
