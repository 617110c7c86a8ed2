"""Reading the figures a verdict or a chart needs out of the results store.

Figures come from the *last valid step* of each experiment run (the highest concurrency
level measured), and from the server samples taken during that step. Invalid steps are
never used; the pages show them, marked.
"""
from __future__ import annotations

import statistics
from dataclasses import dataclass, field

from django.db.models import QuerySet

from bench.models import EndpointStat, ExperimentRun, Run, ServerSample, Step


@dataclass
class Measured:
    """One experiment run's figures at its last valid step."""

    experiment_run: ExperimentRun
    step: Step
    endpoints: dict[str, EndpointStat]
    samples: list[ServerSample]

    @property
    def variant(self) -> str:
        return self.experiment_run.variant

    def rps(self, name: str) -> float | None:
        e = self.endpoints.get(name)
        return e.rps if e else None

    def p(self, name: str, which: str = "p99") -> float | None:
        e = self.endpoints.get(name)
        return getattr(e, which) if e else None

    def main_endpoint(self) -> EndpointStat | None:
        return next((e for n, e in sorted(self.endpoints.items()) if n != "probe"), None)

    def min_ms(self, name: str) -> float | None:
        e = self.endpoints.get(name)
        if not e or not e.histogram:
            return None
        return min(float(k) for k, v in e.histogram.items() if v)

    def failures(self) -> int:
        return sum(e.failures for e in self.endpoints.values())

    def max_loop_lag_ms(self) -> float | None:
        values = [v for s in self.samples for v in s.loop_lag_ms.values()]
        return max(values) if values else None

    def median_loop_lag_ms(self) -> float | None:
        values = [max(s.loop_lag_ms.values()) for s in self.samples if s.loop_lag_ms]
        return statistics.median(values) if values else None

    def peak(self, attr: str) -> float | None:
        values = [getattr(s, attr) for s in self.samples]
        return max(values) if values else None

    def mean(self, attr: str) -> float | None:
        values = [getattr(s, attr) for s in self.samples]
        return statistics.fmean(values) if values else None

    def before_step(self, attr: str) -> float | None:
        """The value in the first sample of the experiment (primed, before any load)."""
        first = self.experiment_run.samples.filter(step_index=None).order_by("t").first()
        return getattr(first, attr) if first else None

    def ctx_switches_per_request(self) -> float | None:
        if len(self.samples) < 2:
            return None
        first, last = self.samples[0], self.samples[-1]
        switches = (last.ctx_voluntary + last.ctx_involuntary) - (first.ctx_voluntary + first.ctx_involuntary)
        requests = sum(e.requests for e in self.endpoints.values()) * (last.t - first.t) / max(self.step.measured_s, 1e-6)
        return switches / requests if requests else None

    def workers(self) -> int:
        d = self.experiment_run.deployment or {}
        return int(d.get("workers") or 1)


def measure(experiment_run: ExperimentRun) -> Measured | None:
    step = experiment_run.steps.filter(valid=True).order_by("-index").first()
    if step is None:
        return None
    endpoints = {e.name: e for e in step.endpoints.all()}
    samples = list(experiment_run.samples.filter(step_index=step.index).order_by("t"))
    return Measured(experiment_run, step, endpoints, samples)


@dataclass
class Evidence:
    """All repeats of each variant of one experiment, from one run."""

    run: Run
    experiment: str
    variants: dict[str, list[Measured]] = field(default_factory=dict)

    def get(self, variant: str) -> list[Measured]:
        return self.variants.get(variant, [])

    def find(self, *words: str) -> list[Measured]:
        """The repeats of the variant whose label contains all ``words``."""
        for label, measured in self.variants.items():
            if all(w in label for w in words):
                return measured
        return []

    @property
    def experiment_run_ids(self) -> list[int]:
        return [m.experiment_run.id for ms in self.variants.values() for m in ms]


def latest_evidence(experiment: str, runs: QuerySet[Run] | None = None) -> Evidence | None:
    """The newest run holding valid data for ``experiment``."""
    runs = (runs if runs is not None else Run.objects.all()).order_by("-started_at", "-id")
    for run in runs:
        ers = run.experiments.filter(experiment=experiment).order_by("id")
        evidence = Evidence(run, experiment)
        for er in ers:
            m = measure(er)
            if m is not None:
                evidence.variants.setdefault(er.variant, []).append(m)
        if evidence.variants:
            return evidence
    return None


def median(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return statistics.median(present) if present else None


def spread(values: list[float | None]) -> float | None:
    """max - min over repeats; None with fewer than two repeats (noise unknown)."""
    present = [v for v in values if v is not None]
    return (max(present) - min(present)) if len(present) >= 2 else None
