"""Synthetic results, by hand, so each verdict can be driven to each outcome: the figures of a
variant (``V``, ``endpoint``, ``sample``) and the unsaved rows they make (``experiment_runs``).

``evidence`` turns them into what ``results.runs.latest_evidence`` would hand a judge, in memory:
unsaved ``ExperimentRun``, ``Step``, ``EndpointStat`` and ``ServerSample`` instances in ``Measured``
and ``Evidence``, so the judges are tested without a database. ``tests/synthetic.py`` saves the
same rows, for the tests of what reads the store.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from django.utils import timezone

from bench.evidence import Evidence, Measured
from bench.experiments import Experiment
from bench.models import EndpointStat, ExperimentRun, Run, ServerSample, Step


@dataclass
class V:
    """One variant's figures at one step: several Vs of a variant are its repeats or, sharing a
    ``repeat``, its load levels (``experiment_runs``)."""

    endpoints: dict[str, dict]  # name -> {"rps", "p50", "p99", "failures", "min"}
    deployment: dict = field(default_factory=lambda: {"server": "uvicorn", "workers": 1, "threads": None})
    params: dict = field(default_factory=dict)
    samples: list[dict] = field(default_factory=list)  # ServerSample fields
    observations: dict = field(default_factory=dict)
    valid: bool = True
    users: int = 10  # the step's load level
    repeat: int | None = None  # which repeat this step belongs to (None: the list's order)
    open_loop: dict = field(default_factory=dict)  # Step.open_loop, see ``tests.synthetic.open_loop``
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
    """A server sample's fields; ``step_index=None`` makes one taken outside the step (before load)."""
    base = dict(t=1.0, processes=1, cpu_percent=50.0, rss_bytes=50 * 2**20, uss_bytes=40 * 2**20,
                vms_bytes=300 * 2**20, threads=10, ctx_voluntary=1000, ctx_involuntary=100, open_files=20,
                db_connections=2, loop_lag_ms={})
    base.update(kw)
    return base


def new_run(suite: str = "synthetic") -> Run:
    """An unsaved completed run (``make_run`` saves it)."""
    return Run(suite=suite, status=Run.COMPLETED, started_at=timezone.now(), finished_at=timezone.now(),
               environment={"switch_interval_s": 0.005})


@dataclass
class Recorded:
    """One experiment run's unsaved rows: each step with its endpoints and the samples it names
    (a sample's ``step_index`` is its step's index, or None for one taken outside the step)."""

    experiment_run: ExperimentRun
    steps: list[tuple[Step, list[EndpointStat], list[ServerSample]]]


def experiment_runs(run: Run, experiment: str, variants: dict, claim: str = "C?") -> list[Recorded]:
    """``variants``: Variant (or its label) -> V or list of V. Vs that share a ``repeat`` become
    the steps of one experiment run (one per load level, lowest first); otherwise each V is a
    repeat. In the order the runner would record them: variant by variant, repeat by repeat. A
    Variant's rows carry its key, as the runner's do; a bare label's carry none (a row stored
    before keys were, that matched no catalogue variant)."""
    recorded = []
    for variant, vs in variants.items():
        label, key = (variant, "") if isinstance(variant, str) else (variant.label, variant.key)
        vs = vs if isinstance(vs, list) else [vs]
        repeats: dict[int, list[V]] = {}
        for i, v in enumerate(vs):
            repeats.setdefault(i if v.repeat is None else v.repeat, []).append(v)
        for repeat, steps in repeats.items():
            first = steps[0]
            er = ExperimentRun(run=run, claim=claim, experiment=experiment, variant=label, variant_key=key,
                               repeat=repeat, deployment=first.deployment, target="http://synthetic", scenario="synthetic",
                               params=first.params, observations=first.observations, started_at=timezone.now())
            recorded.append(Recorded(er, [_step(er, index, v) for index, v in
                                          enumerate(sorted(steps, key=lambda v: v.users))]))
    return recorded


def _step(er: ExperimentRun, index: int, v: V) -> tuple[Step, list[EndpointStat], list[ServerSample]]:
    step = Step(experiment=er, index=index, users=v.users, started_at=timezone.now(), measured_s=10,
                valid=v.valid, invalid_reason="" if v.valid else v.invalid_reason, open_loop=v.open_loop,
                invalid_kind="" if v.valid else v.invalid_kind,
                quality=v.quality, generator_cpu_max_process=20, generator_cpu_total=20)
    endpoints = []
    for name, e in v.endpoints.items():
        requests = max(1, int(e["rps"] * 10))
        endpoints.append(EndpointStat(step=step, name=name, method="GET", requests=requests, failures=e["failures"],
                                      rps=e["rps"], avg_ms=e["p50"], p50=e["p50"], p90=e["p99"], p95=e["p99"],
                                      p99=e["p99"], p999=e["p99"], max_ms=e["p99"],
                                      histogram={str(e["min"]): 1, str(e["p50"]): requests - 1},
                                      server_timing=e.get("server_timing", {})))
    samples = [ServerSample(experiment=er, **{"step_index": index, **s}) for s in v.samples]
    return step, endpoints, samples


_ids = itertools.count(1)


def evidence(experiment: Experiment, variants: dict, run: Run | None = None) -> Evidence:
    """What the store's reader would hand a judge for ``experiment`` in ``run`` (a new one unless
    given: several experiments of one run share it), built in memory: only valid steps, each
    level's repeats in the order they ran, the step samples by time, and each experiment run's
    samples outside its steps as the ``baseline`` of its every step. Rows get ids, unsaved: a
    verdict names the runs it read, and a stray query on them must reach the (blocked) database
    rather than fail for want of a key."""
    if run is None:
        run = new_run()
    if run.id is None:
        run.id = next(_ids)
    found = Evidence(run, experiment.name)
    for rec in experiment_runs(run, experiment.name, variants):
        er = rec.experiment_run
        er.id = next(_ids)
        by_time = lambda samples: sorted(samples, key=lambda s: s.t)  # noqa: E731
        baseline = by_time(s for _, _, samples in rec.steps for s in samples if s.step_index is None)
        for step, endpoints, samples in rec.steps:
            if not step.valid:
                raise ValueError("the reader never hands a judge an invalid step: leave it out, or test the "
                                 "reader against the store (tests/integration/test_verdict_shells.py)")
            m = Measured(er, step, {e.name: e for e in endpoints},
                         by_time(s for s in samples if s.step_index is not None), baseline)
            found.add(m)
    return found
