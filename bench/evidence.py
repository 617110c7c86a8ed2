"""Reading the figures a verdict or a chart needs out of the results store.

Figures come from each *valid step* of each experiment run (one per load level), and from
the server samples taken during that step. Invalid steps are never used; the pages show
them, marked.
"""
from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field

from django.db.models import Q

from bench.experiments import Experiment, Variant
from bench.suites import experiments_named
from bench.models import EndpointStat, ExperimentRun, Run, ServerSample, Step
from bench.variant_keys import stored_under


@dataclass
class Measured:
    """One experiment run's figures at one valid step, with everything a verdict reads of it
    already in hand: built by ``measure_steps`` from the store, or in memory from unsaved rows
    (the verdict tests), it never goes back to the database."""

    experiment_run: ExperimentRun
    step: Step
    endpoints: dict[str, EndpointStat]
    samples: list[ServerSample]
    # the experiment run's samples outside every measured window (step_index None), oldest first:
    # the first was taken primed, before any load
    baseline: list[ServerSample] = field(default_factory=list)

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

    def server_timing(self, name: str, metric: str, which: str = "p50") -> float | None:
        """A duration the server measured itself (``Server-Timing``), aggregated per endpoint."""
        e = self.endpoints.get(name)
        timing = (getattr(e, "server_timing", None) or {}).get(metric) if e else None
        return timing.get(which) if timing else None

    def answered(self, name: str) -> bool:
        """The endpoint got answers and none failed (a probe "still answering")."""
        e = self.endpoints.get(name)
        return bool(e and e.requests > e.failures == 0)

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

    def loop_lag_p99_ms(self) -> float | None:
        """The 99th percentile (nearest rank) of the samples' worst lag over every ASGI worker."""
        values = sorted(max(s.loop_lag_ms.values()) for s in self.samples if s.loop_lag_ms)
        return values[math.ceil(0.99 * len(values)) - 1] if values else None

    def peak(self, attr: str) -> float | None:
        values = [getattr(s, attr) for s in self.samples]
        return max(values) if values else None

    def mean(self, attr: str) -> float | None:
        values = [getattr(s, attr) for s in self.samples]
        return statistics.fmean(values) if values else None

    def before_step(self, attr: str) -> float | None:
        """The value in the first sample of the experiment (primed, before any load)."""
        return getattr(self.baseline[0], attr) if self.baseline else None

    def ctx_switches_per_request(self) -> float | None:
        if len(self.samples) < 2:
            return None
        first, last = self.samples[0], self.samples[-1]
        switches = (last.ctx_voluntary + last.ctx_involuntary) - (first.ctx_voluntary + first.ctx_involuntary)
        requests = self._requests_between(first, last)
        return switches / requests if requests else None

    def _requests_between(self, first: ServerSample, last: ServerSample) -> float:
        """The requests answered between two of the step's samples, at the step's mean rate."""
        return sum(e.requests for e in self.endpoints.values()) * (last.t - first.t) / max(self.step.measured_s, 1e-6)

    def thread_starts_per_request(self) -> float | None:
        """Threads the server started per request answered in the step: the counter's rise from the
        window's first sample to its last, over the requests of that stretch (None: not counted)."""
        counted = [s for s in self.samples if s.thread_starts is not None]
        if len(counted) < 2:
            return None
        first, last = counted[0], counted[-1]
        requests = self._requests_between(first, last)
        return (last.thread_starts - first.thread_starts) / requests if requests else None

    def cpu_us_per_request(self, name: str) -> float | None:
        """The server's CPU per answered request of ``name`` (µs): its mean CPU share over the rate."""
        cpu, rps = self.mean("cpu_percent"), self.rps(name)
        return cpu / 100 / rps * 1e6 if cpu is not None and rps else None

    def workers(self) -> int:
        d = self.experiment_run.deployment or {}
        return int(d.get("workers") or 1)

    # --- open-loop steps (loadtests/_open_loop.py): None on a closed-loop step ------------
    @property
    def offered_rate(self) -> float | None:
        """Requests/s the open-loop generator scheduled, whatever the server managed."""
        return self.step.open_loop.get("rate") if self.step.open_loop else None

    @property
    def level(self) -> float:
        """What the step's load is counted in: the offered rate (open loop), else the users."""
        return self.offered_rate if self.offered_rate is not None else self.step.users

    def corrected(self, which: str = "p99") -> float | None:
        """Latency (ms) from each request's intended start: what a client arriving then waited."""
        return self._open_loop("corrected", which)

    def uncorrected(self, which: str = "p99") -> float | None:
        """Latency (ms) from each request's actual send, as Locust reports it."""
        return self._open_loop("uncorrected", which)

    def schedule_lag(self, which: str = "p99") -> float | None:
        """How late (ms) the generator started its requests against the schedule."""
        return self._open_loop("lag", which)

    def dropped(self) -> int | None:
        return self.step.open_loop.get("dropped") if self.step.open_loop else None

    def _open_loop(self, kind: str, which: str) -> float | None:
        return (self.step.open_loop.get(kind) or {}).get(which) if self.step.open_loop else None


def by_repeat(ms: list[Measured]) -> dict[int, Measured]:
    """One cell's steps by repeat number, so that two cells are compared repeat i against repeat i
    even where one of them lacks a repeat (a list's positions would shift)."""
    return {m.experiment_run.repeat: m for m in ms}


def measure_steps(experiment_run: ExperimentRun) -> list[Measured]:
    """One ``Measured`` per valid step, lowest load level first (two queries for the steps and
    their endpoints, one for all the samples: the valid steps' and those outside every measured window)."""
    steps = list(experiment_run.steps.filter(valid=True).order_by("index").prefetch_related("endpoints"))
    if not steps:
        return []
    samples: dict[int | None, list[ServerSample]] = {}
    wanted = Q(step_index__in=[s.index for s in steps]) | Q(step_index__isnull=True)
    for sample in experiment_run.samples.filter(wanted).order_by("t"):
        samples.setdefault(sample.step_index, []).append(sample)
    baseline = samples.get(None, [])
    return [Measured(experiment_run, step, {e.name: e for e in step.endpoints.all()}, samples.get(step.index, []),
                     baseline) for step in steps]


@dataclass
class Evidence:
    """All repeats of each variant of one experiment, from one run, at each load level.

    Variants are asked for by object (``bench.experiments.Variant``): asking for one the
    catalogue does not define is a LookupError, so a renamed variant cannot quietly turn a
    verdict inconclusive. Their runs are found by the variant's key (``Variant.key``), so a
    reworded label still finds the runs stored under the old one; a row without a key (stored
    before keys were, and matching no catalogue variant then) is found by its label.
    """

    run: Run
    experiment: str
    # ``stored_under`` (the variant's key) -> load level (users, or offered requests/s for an open loop) -> repeats
    levels: dict[str, dict[float, list[Measured]]] = field(default_factory=dict)

    def add(self, m: Measured) -> None:
        er = m.experiment_run
        self.levels.setdefault(stored_under(er.variant_key, er.variant), {}).setdefault(m.level, []).append(m)

    def _levels(self, variant: Variant) -> dict[float, list[Measured]]:
        if not any(variant in e.variants for e in experiments_named(self.experiment)):
            raise LookupError(f"variant {variant.label!r} is not defined for experiment {self.experiment!r}")
        return self.levels.get(variant.key) or self.levels.get(stored_under("", variant.label), {})

    def has(self, variant: Variant) -> bool:
        """Whether any valid step of ``variant`` was read."""
        return bool(self._levels(variant))

    def get(self, variant: Variant) -> list[Measured]:
        """The repeats of a variant at its highest valid load level."""
        by_level = self._levels(variant)
        return by_level[max(by_level)] if by_level else []

    def at(self, variant: Variant, users: int) -> list[Measured]:
        return self._levels(variant).get(users, [])

    def users_levels(self, variant: Variant) -> list[int]:
        return sorted(self._levels(variant))

    def strongest(self, candidates: tuple[Variant, ...], score) -> tuple[Variant | None, list[dict]]:
        """The candidate with the highest median ``score`` over repeats (the configuration that
        won the sweep), and every candidate's median and range for the card."""
        rows, best, best_score = [], None, None
        for v in candidates:
            values = [score(m) for m in self.get(v)]
            present = [x for x in values if x is not None]
            m = median(values)
            rows.append({"configuration": v.label, "median": m, "low": min(present) if present else None,
                         "high": max(present) if present else None, "n": len(present), "strongest": False})
            if m is not None and (best_score is None or m > best_score):
                best, best_score = v, m
        for row in rows:
            row["strongest"] = best is not None and row["configuration"] == best.label
        return best, rows

    @property
    def variants(self) -> dict[str, list[Measured]]:
        """label (as stored) -> repeats at the highest level (for pages that list every variant)."""
        return {top[0].variant: top for top in (by_level[max(by_level)] for by_level in self.levels.values()
                                                if by_level) if top}

    @property
    def repeats(self) -> int:
        """The most repeats any variant has (1 = every figure rests on one sample)."""
        return max((len(ms) for by_level in self.levels.values() for ms in by_level.values()), default=0)

    @property
    def experiment_run_ids(self) -> list[int]:
        return sorted({m.experiment_run.id for by_level in self.levels.values() for ms in by_level.values()
                       for m in ms})


def read_run(experiment: Experiment | str, run: Run) -> Evidence | None:
    """What ``run`` measured of ``experiment``: every valid step of every variant, or None when it
    holds none. The runner's planners read the run they are part of so (an in-run pilot picks a
    configuration); which run a card or page reads is chosen above, in ``results.runs``."""
    name = experiment if isinstance(experiment, str) else experiment.name
    evidence = Evidence(run, name)
    for er in run.experiments.filter(experiment=name).order_by("id"):
        for m in measure_steps(er):
            evidence.add(m)
    return evidence if evidence.levels else None


def median(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return statistics.median(present) if present else None
