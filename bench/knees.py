"""Latency against throughput, read from the store: one repeat's open-loop curve and its knee.

The runner's overload experiment takes its rates from a knee, and the front page draws the same
knees (``dashboard/curves.py``): one definition, here in the store's read side, below both. The
knee is the highest *achieved* throughput among valid steps whose corrected p99 stays within the
SLO; it is a lower bound when the step above it was invalid because the load generator could not
keep up (the server was not the limit there).
"""
from __future__ import annotations

import statistics
from collections import defaultdict

from bench.curves import CURVE_STACKS, CURVE_WORKLOADS, curve_variant
from bench.models import ExperimentRun, ServerSample
from bench.validity import InvalidKind
from bench.variant_keys import find_variant



def curve_points(er: ExperimentRun, workload: str) -> list[dict]:
    """Every step of one repeat, valid or not, lowest offered rate first."""
    samples: dict[int, list[ServerSample]] = defaultdict(list)
    for s in er.samples.exclude(step_index=None):
        samples[s.step_index].append(s)
    points = []
    for step in sorted(er.steps.all(), key=lambda s: s.index):
        stat = next((e for e in step.endpoints.all() if e.name == workload), None)
        ol = step.open_loop or {}
        corrected, uncorrected = ol.get("corrected") or {}, ol.get("uncorrected") or {}
        cpu = [s.cpu_percent for s in samples[step.index]]
        uss = [s.uss_bytes for s in samples[step.index]]
        points.append({
            "repeat": er.repeat, "index": step.index, "offered": ol.get("rate"),
            "achieved": stat.rps if stat else None, "p50": corrected.get("p50"), "p99": corrected.get("p99"),
            "p999": corrected.get("p999"), "p99_uncorrected": uncorrected.get("p99"),
            "failures": stat.failures if stat else None, "dropped": ol.get("dropped"),
            "cpu_percent": statistics.fmean(cpu) if cpu else None,
            "uss_mib": max(uss) / 2**20 if uss else None,
            "valid": step.valid, "invalid_reason": step.invalid_reason, "invalid_kind": step.invalid_kind})
    return points


def knee_of(points: list[dict], slo_ms: float, generator_limited: bool = False) -> dict | None:
    """One repeat's knee: the highest achieved throughput among valid steps within the SLO, the
    step it was reached at, and whether it is only a lower bound (the next step up was invalid
    because the generator could not keep up, or the sweep's every candidate outran it)."""
    ordered = sorted(points, key=lambda p: p["index"])
    within = [p for p in ordered if p["valid"] and p["achieved"] is not None and p["p99"] is not None
              and p["p99"] <= slo_ms]
    if not within:
        return None
    knee = max(within, key=lambda p: p["achieved"])
    above = [p for p in ordered if p["index"] > knee["index"]]
    generator_above = bool(above) and not above[0]["valid"] and above[0]["invalid_kind"] == InvalidKind.GENERATOR
    return {"rps": knee["achieved"], "index": knee["index"], "p99": knee["p99"],
            "lower_bound": generator_limited or generator_above}




def run_knees(run, slo_ms: float) -> dict[tuple[str, str], list[float | None]]:
    """(stack, workload) -> each repeat's knee (requests/s) in ``run``'s curves, None where a repeat
    has no step within the SLO. Read for the closing-advice card (C12)."""
    cells = {curve_variant(s, w): (s, w) for s in CURVE_STACKS for w in CURVE_WORKLOADS}
    knees: dict[tuple[str, str], list[float | None]] = defaultdict(list)
    for er in ExperimentRun.objects.filter(run=run, experiment="curves").order_by("repeat", "id"):
        variant = find_variant(cells, er.variant_key, er.variant)
        if variant is None:
            continue
        cell = cells[variant]
        knee = knee_of(curve_points(er, cell[1]), slo_ms, er.observed.curve.generator_limited)
        knees[cell].append(knee["rps"] if knee else None)
    return dict(knees)
