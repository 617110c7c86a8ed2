"""Overload: each stack at twice its knee, then at half of it. Does it fail fast or queue, and
does it come back?

Per stack, on ``db/read`` (a request that waits on the database, as most do), at the best
configuration the curves found: an open loop offers 2 x the knee for ``OVERLOAD_S``, then 0.5 x the
knee for ``CALM_S``, in one step on one server. Twice: as the server ships, and with its own
overload control set (``Deployment.backpressure``, the same number per worker on every server, see
``deploy.deployments.OVERLOAD_CONTROLS``). The page reads errors by kind, latency and memory
growth, requests the generator could not even start (in-flight bound), and the seconds until the
per-second p99 is back under the SLO.
"""
from __future__ import annotations

import functools
from dataclasses import asdict, dataclass, replace

from bench.curves import CURVE_STACKS, DEFAULT_SLO_MS, CurveExperiment, candidates, curve_variant
from bench.experiments import Experiment, Variant
from bench.knees import curve_points, knee_of
from bench.observations import OverloadPlan
from bench.variant_keys import find_variant, stored_as

WORKLOAD = "db/read"
OVERLOAD_FACTOR, CALM_FACTOR = 2.0, 0.5
OVERLOAD_S, CALM_S = 30.0, 30.0
# The control's setting: requests one worker takes on at once. Larger than any pool or thread
# count in the curves' candidates (32), so it only bites when requests pile up.
LIMIT_PER_WORKER = 64


@functools.cache
def overload_variant(stack: str, controlled: bool, /) -> Variant:
    """The controlled cell's deployment carries its control here already (the runner puts it on the
    curve's best configuration, ``OverloadExperiment.resolve``), so that the two cells of a stack differ
    in what they are, not only in their labels (``Variant.key``)."""
    curve = curve_variant(stack, WORKLOAD)
    label = f"{stack} · {'with its overload control' if controlled else 'as shipped'}"
    deployment = replace(curve.deployment, backpressure=LIMIT_PER_WORKER) if controlled else curve.deployment
    return Variant(label, deployment, curve.knobs, fresh_server=True)


def knee(record, slo_ms: float = DEFAULT_SLO_MS) -> float | None:
    """The knee of one stored db/read curve, as the comparison page computes it (one definition)."""
    found = knee_of(curve_points(record, WORKLOAD), slo_ms)
    return found["rps"] if found else None


@dataclass(frozen=True)
class OverloadExperiment(Experiment):
    curves: CurveExperiment | None = None

    def resolve(self, run, variant: Variant, read=None) -> tuple[Experiment, Variant, dict]:
        """Rates from the knee of this stack's db/read curve (this run's, or else the newest run
        measured here with one: never an imported run's), on the configuration that curve ran with."""
        from bench.models import ExperimentRun, Run

        stack, controlled = _cell(variant)
        curve = curve_variant(stack, WORKLOAD)
        records = ExperimentRun.objects.filter(stored_as((curve,)), experiment=self.curves.name,
                                               status=ExperimentRun.COMPLETED)
        record = (records.filter(run=run).order_by("-id").first()
                  or records.filter(run__in=Run.objects.measured_here()).order_by("-run__started_at", "-id").first())
        found = knee(record) if record else None
        if not found:
            raise LookupError(f"no db/read curve of {stack} with a step under {DEFAULT_SLO_MS:g} ms p99 to "
                              "take the knee from: run `manage.py bench --suite curves` first")
        chosen = record.observed.curve
        best = find_variant(candidates(stack, WORKLOAD), chosen.best_key, chosen.best)
        if best is None:
            raise LookupError(f"the curve of {stack} ran {chosen.best!r}, no configuration of today's catalogue")
        deployment = best.deployment
        if controlled:
            deployment = replace(deployment, backpressure=LIMIT_PER_WORKER)
        plan = OverloadPlan(knee_rps=found, knee_from_run=record.run_id, configuration=best.label,
                            overload_rps=OVERLOAD_FACTOR * found, calm_rps=CALM_FACTOR * found, change_at_s=OVERLOAD_S,
                            limit_per_worker=LIMIT_PER_WORKER if controlled else None)
        resolved = replace(self, rates=(round(OVERLOAD_FACTOR * found, 1),),
                           rate_change=(OVERLOAD_S, CALM_FACTOR / OVERLOAD_FACTOR))
        return resolved, replace(variant, deployment=deployment), asdict(plan)


def _cell(variant: Variant) -> tuple[str, bool]:
    for stack in CURVE_STACKS:
        for controlled in (False, True):
            if overload_variant(stack, controlled) is variant:
                return stack, controlled
    raise LookupError(f"{variant.label!r} is not an overload variant of the catalogue")


def overload_experiment(curves: CurveExperiment) -> OverloadExperiment:
    return OverloadExperiment(
        "overload", "OVERLOAD", "Twice the knee for 30 s, then half of it: errors, growth, and the recovery",
        "curves.py", tuple(overload_variant(s, c) for s in CURVE_STACKS for c in (False, True)),
        users=(1,), step_s=OVERLOAD_S + CALM_S, warmup_s=1.0, probe=False, rates=(1.0,), arrivals="poisson",
        failures_intended=True, curves=curves)
