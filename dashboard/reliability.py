"""The reliability table: each fault and bad-input case, what each deployment did, in
numbers from the newest run of the ``faults`` suite; and each stack under overload (``overload``).
Imported runs are read only when a user picks one (``runs``)."""
from __future__ import annotations

from typing import Callable

from bench.curves import DEFAULT_SLO_MS
from bench.experiments import FAULT_BAD_INPUT, FAULTS
from bench.overload import WORKLOAD
from bench.suites import OVERLOAD
from bench.models import ExperimentRun, Run
from bench.observations import Observations


def _latest(experiment: str, runs=None) -> list[ExperimentRun]:
    return _latest_with(experiment, lambda o: o.fault, runs)


def fault_rows(runs=None) -> list[dict]:
    rows = []
    for experiment in FAULTS:
        for er in _latest(experiment.name, runs):
            f = er.observed.fault
            label = er.variant + (f" (repeat {er.repeat + 1})" if er.run.options.get("repeat", 1) > 1 else "")
            rows.append({"fault": experiment.name.removeprefix("fault-"), "question": experiment.question,
                         "deployment": label, "what_happened": experiment.fault.report(f, er),
                         "db_connections_after_stop": er.observed.db_connections_after_stop,
                         "run": er.run_id, "experiment_run": er.id})
    return rows


def overload_rows(runs=None, slo_ms: float = DEFAULT_SLO_MS) -> list[dict]:
    """Each stack, as shipped and with its overload control: twice its knee, then half of it."""
    rows = []
    for er in _latest_with(OVERLOAD.name, lambda o: o.overload, runs):
        decided = er.observed.overload
        step = er.steps.order_by("index").first()
        if step is None:
            continue
        change = decided.change_at_s
        points = sorted(step.timeseries.filter(name=WORKLOAD), key=lambda p: p.t)
        overload = [p for p in points if p.t <= change]
        calm = [p for p in points if p.t > change]
        uss = [s.uss_bytes for s in er.samples.filter(step_index=step.index)]
        first = er.samples.filter(step_index=None).order_by("t").first()
        rows.append({
            "stack": er.variant, "configuration": er.deployment and er.deployment.get("label", "").split(":")[0],
            "knee_rps": round(decided.knee_rps), "offered_rps": [round(decided.overload_rps), round(decided.calm_rps)],
            "served_rps": [_rate(overload), _rate(calm)],
            "worst_p99_ms": [_worst(overload), _worst(calm)],
            "errors": {f.error[:80]: f.count for f in step.failures.all() if f.name == WORKLOAD},
            "not_sent_in_flight_bound": (step.open_loop or {}).get("dropped", 0),
            "uss_growth_mib": round((max(uss) - first.uss_bytes) / 2**20, 1) if uss and first else None,
            "recovered_after_s": _recovery(calm, change, slo_ms),
            "valid": step.valid, "invalid_reason": step.invalid_reason, "run": er.run_id, "experiment_run": er.id})
    return rows


def _rate(points) -> float | None:
    return round(sum(p.requests - p.failures for p in points) / len(points)) if points else None


def _worst(points) -> float | None:
    values = [p.p99 for p in points if p.p99 is not None]
    return max(values) if values else None


def _recovery(calm, change_s: float, slo_ms: float) -> float | None:
    """Seconds after the load dropped until every later second had p99 <= SLO and no failure; None
    if it never got there within the step."""
    for i, point in enumerate(calm):
        if all(p.p99 is not None and p.p99 <= slo_ms and not p.failures for p in calm[i:]):
            return round(point.t - change_s, 1)
    return None


def _latest_with(experiment: str, part: Callable[[Observations], object], runs=None) -> list[ExperimentRun]:
    """The experiment runs of the newest run in which ``part`` of their observations was recorded."""
    runs = (runs if runs is not None else Run.objects.measured_here()).order_by("-started_at", "-id")
    for run in runs:
        found = [er for er in run.experiments.filter(experiment=experiment).order_by("id") if part(er.observed)]
        if found:
            return found
    return []


def bad_input_rows(runs=None) -> list[dict]:
    """One row per case, one column per deployment: what each answered."""
    by_case: dict[str, dict] = {}
    for er in _latest(FAULT_BAD_INPUT.name, runs):
        if er.repeat:  # the answers are the same on every repeat; one column per deployment
            continue
        for case, outcome in FAULT_BAD_INPUT.fault.cases(er.observed.fault):
            by_case.setdefault(case, {"case": case})[er.variant] = outcome
    return list(by_case.values())


def markdown(runs=None) -> str:
    lines = ["| fault | deployment | what happened | DB connections after stop |", "|---|---|---|---|"]
    for r in fault_rows(runs):
        lines.append(f"| {r['fault']} | {r['deployment']} | {r['what_happened']} | {r['db_connections_after_stop']} |")
    overload = overload_rows(runs)
    if overload:
        lines += ["", "| overload: stack | configuration | knee RPS | offered (2x, then 0.5x) | served | worst p99 ms | "
                  "errors | not sent (in-flight bound) | USS growth MiB | recovered after s |",
                  "|---|---|---|---|---|---|---|---|---|---|"]
        lines += [f"| {r['stack']} | {r['configuration']} | {r['knee_rps']} | {r['offered_rps']} | {r['served_rps']} | "
                  f"{r['worst_p99_ms']} | {sum(r['errors'].values())} | {r['not_sent_in_flight_bound']} | "
                  f"{r['uss_growth_mib']} | {r['recovered_after_s']} |" for r in overload]
    cases = bad_input_rows(runs)
    if cases:
        deployments = [k for k in cases[0] if k != "case"]
        lines += ["", "| bad input | " + " | ".join(deployments) + " |", "|---|" + "---|" * len(deployments)]
        lines += [f"| {c['case']} | " + " | ".join(c.get(d, "") for d in deployments) + " |" for c in cases]
    return "\n".join(lines)
