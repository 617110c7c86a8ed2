"""The reliability table: each fault and bad-input case, what each deployment did, in
numbers from the newest run of the ``faults`` suite."""
from __future__ import annotations

from bench.experiments import FAULT_BAD_INPUT, FAULTS
from bench.models import ExperimentRun, Run


def _latest(experiment: str, runs=None) -> list[ExperimentRun]:
    runs = (runs if runs is not None else Run.objects.all()).order_by("-started_at", "-id")
    for run in runs:
        found = [er for er in run.experiments.filter(experiment=experiment).order_by("id")
                 if er.observations.get("fault")]
        if found:
            return found
    return []


def fault_rows(runs=None) -> list[dict]:
    rows = []
    for experiment in FAULTS:
        for er in _latest(experiment.name, runs):
            f = er.observations["fault"]
            label = er.variant + (f" (repeat {er.repeat + 1})" if er.run.options.get("repeat", 1) > 1 else "")
            rows.append({"fault": experiment.name.removeprefix("fault-"), "question": experiment.question,
                         "deployment": label, "what_happened": experiment.fault.report(f, er),
                         "db_connections_after_stop": er.observations.get("db_connections_after_stop"),
                         "run": er.run_id, "experiment_run": er.id})
    return rows


def bad_input_rows(runs=None) -> list[dict]:
    """One row per case, one column per deployment: what each answered."""
    by_case: dict[str, dict] = {}
    for er in _latest(FAULT_BAD_INPUT.name, runs):
        if er.repeat:  # the answers are the same on every repeat; one column per deployment
            continue
        for case in er.observations["fault"].get("cases", []):
            by_case.setdefault(case["case"], {"case": case["case"]})[er.variant] = case["outcome"]
    return list(by_case.values())


def markdown(runs=None) -> str:
    lines = ["| fault | deployment | what happened | DB connections after stop |", "|---|---|---|---|"]
    for r in fault_rows(runs):
        lines.append(f"| {r['fault']} | {r['deployment']} | {r['what_happened']} | {r['db_connections_after_stop']} |")
    cases = bad_input_rows(runs)
    if cases:
        deployments = [k for k in cases[0] if k != "case"]
        lines += ["", "| bad input | " + " | ".join(deployments) + " |", "|---|" + "---|" * len(deployments)]
        lines += [f"| {c['case']} | " + " | ".join(c.get(d, "") for d in deployments) + " |" for c in cases]
    return "\n".join(lines)
