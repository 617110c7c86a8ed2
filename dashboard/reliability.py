"""The reliability table: each fault and bad-input case, what each deployment did, in
numbers from the newest run of the ``faults`` suite."""
from __future__ import annotations

from bench.experiments import FAULTS
from bench.models import ExperimentRun, Run


def _latest(experiment: str, runs=None) -> list[ExperimentRun]:
    runs = (runs if runs is not None else Run.objects.all()).order_by("-started_at", "-id")
    for run in runs:
        found = [er for er in run.experiments.filter(experiment=experiment).order_by("id")
                 if er.observations.get("fault")]
        if found:
            return found
    return []


def _s(value, unit="", digits=1) -> str:
    if value is None:
        return "n/a"
    return f"{value:.{digits}f}{unit}" if isinstance(value, float) else f"{value}{unit}"


def describe(kind: str, f: dict, er: ExperimentRun | None = None) -> str:
    """One line per fault and deployment: what happened, with the figures."""
    if "action_error" in f:
        return f"the injection failed: {f['action_error']}"
    if kind == "kill-worker":
        return (f"new worker serving after {_s(f.get('replacement_serving_after_s'), ' s', 2)}; "
                f"{f['failed_requests']} of {f['requests']} requests failed")
    if kind == "restart-postgres":
        return (f"{f['failed_requests']} requests failed (503) over {f['failing_seconds']} s; "
                f"recovered {_s(f['recovered_after_s'], ' s', 1)} after the restart; slowest {_s(f['slowest_ms'], ' ms', 0)}")
    if kind == "disconnect":
        return (f"{f['queries_running_before_hangup']} of {f['clients']} pg_sleep queries running at hang-up, "
                f"{f['queries_still_running_1s_after_hangup']} still running 1 s later; "
                f"steady load's slowest {_s(f['slowest_ms'], ' ms', 0)}")
    if kind == "pool-exhaustion":
        return (f"pool {f['pool_size']}, timeout {_s(f['pool_timeout_s'], ' s', 0)}: {f['failed_requests']} of "
                f"{f['requests']} answered 503; slowest {_s(f['slowest_ms'], ' ms', 0)}")
    if kind == "slow-clients":
        held = ""
        if er is not None:
            before = er.samples.filter(step_index=None).order_by("t").first()
            peak_fds = max((s.open_files for s in er.samples.filter(step_index=0)), default=None)
            if before and peak_fds is not None:
                held = f"; server fds {before.open_files} -> {peak_fds}"
        return (f"{f['slow_clients']} slow clients; steady load's slowest {_s(f['slowest_ms'], ' ms', 0)}, "
                f"{f['requests']} requests; {f['probe_failed']} of {f['probe_requests']} probes failed{held}")
    if kind == "durability":
        return (f"{f['acknowledged']} writes acknowledged, {f['missing_acknowledged']} missing; "
                f"{f['write_requests_failed']} write requests failed")
    if kind == "bad-input":
        return f"{f['server_errors_5xx']} answers were 5xx; healthy after: {'yes' if f['server_healthy_after'] else 'NO'}"
    return ""


def fault_rows(runs=None) -> list[dict]:
    rows = []
    for experiment in FAULTS:
        for er in _latest(experiment.name, runs):
            f = er.observations["fault"]
            label = er.variant + (f" (repeat {er.repeat + 1})" if er.run.options.get("repeat", 1) > 1 else "")
            rows.append({"fault": experiment.name.removeprefix("fault-"), "question": experiment.question,
                         "deployment": label, "what_happened": describe(experiment.fault.kind, f, er),
                         "db_connections_after_stop": er.observations.get("db_connections_after_stop"),
                         "run": er.run_id, "experiment_run": er.id})
    return rows


def bad_input_rows(runs=None) -> list[dict]:
    """One row per case, one column per deployment: what each answered."""
    by_case: dict[str, dict] = {}
    for er in _latest("fault-bad-input", runs):
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
