"""The data behind the compare page: flat tables (one dict per row), so every chart's data
downloads as JSON or CSV exactly as it was drawn."""
from __future__ import annotations

from django.db.models import Prefetch
from django.utils.http import urlencode

from bench.models import ExperimentRun, Step
from dashboard.ids import parse_id
from workloads.errors import ApiError


def selected(query) -> list[ExperimentRun]:
    """Experiment runs from ``?e=ID`` (any experiment runs) and ``?run=ID`` (all of a run's)."""
    ids = [parse_id("e", v) for v in query.getlist("e")]
    chosen = experiment_runs(ids, [parse_id("run", v) for v in query.getlist("run")])
    if not chosen:
        raise ApiError(404, "no experiment runs selected (use ?e=ID&e=ID or ?run=ID&run=ID)")
    return chosen


def experiment_runs(ids: list[int], run_ids: list[int] = ()) -> list[ExperimentRun]:
    """These experiment runs (in the order given), then every other one of these runs, with
    what the charts read prefetched."""
    qs = ExperimentRun.objects.select_related("run").prefetch_related(
        Prefetch("steps", queryset=Step.objects.prefetch_related("endpoints", "timeseries", "failures")))
    chosen = list(qs.filter(id__in=ids)) + list(qs.filter(run_id__in=run_ids).exclude(id__in=ids))
    order = {v: i for i, v in enumerate(ids)}
    chosen.sort(key=lambda er: (order.get(er.id, len(order)), er.run_id, er.id))
    return chosen


def by_experiment(ers: list[ExperimentRun]) -> list[dict]:
    """The selection split per experiment, each with the query its own small multiples read:
    one chart per experiment keeps each legend to that experiment's variants."""
    groups: dict[str, list[ExperimentRun]] = {}
    for er in ers:
        groups.setdefault(er.experiment, []).append(er)
    return [{"name": name, "claim": group[0].claim, "ers": group, "query": urlencode([("e", er.id) for er in group])}
            for name, group in groups.items()]


def series_label(er: ExperimentRun) -> str:
    repeat = f" r{er.repeat + 1}" if er.repeat else ""
    return f"{er.variant} · run {er.run_id}{repeat} · #{er.id}"


def _diff(value, base) -> float | None:
    if value is None or base in (None, 0):
        return None
    return round(100 * (value - base) / base, 1)


def endpoint_summary_rows(ers: list[ExperimentRun]) -> list[dict]:
    rows, baselines = [], {}
    for er in ers:
        for step in er.steps.all():
            for e in step.endpoints.all():
                key = (er.experiment, step.users, e.name)
                base = baselines.setdefault(key, e)
                rows.append({
                    "experiment_run": er.id, "run": er.run_id, "experiment": er.experiment, "series": series_label(er),
                    "users": step.users, "valid": step.valid, "invalid_reason": step.invalid_reason,
                    "endpoint": e.name, "requests": e.requests, "failures": e.failures, "rps": round(e.rps, 2),
                    "p50": e.p50, "p90": e.p90, "p99": e.p99, "p999": e.p999, "max": e.max_ms,
                    "rps_diff_pct": _diff(e.rps, base.rps) if base is not e else 0.0,
                    "p99_diff_pct": _diff(e.p99, base.p99) if base is not e else 0.0,
                    "baseline": series_label(base.step.experiment) if base is not e else "(baseline)",
                })
    return rows


def _last_step(er: ExperimentRun) -> Step | None:
    steps = list(er.steps.all())
    return steps[-1] if steps else None


def timeseries_rows(ers: list[ExperimentRun]) -> list[dict]:
    rows = []
    for er in ers:
        step = _last_step(er)
        if step:
            rows += [{"series": series_label(er), "users": step.users, "valid": step.valid, "t": p.t,
                      "endpoint": p.name, "rps": p.requests, "p50": p.p50, "p99": p.p99, "failures": p.failures}
                     for p in step.timeseries.all()]
    return rows


def cdf_rows(ers: list[ExperimentRun]) -> list[dict]:
    rows = []
    for er in ers:
        step = _last_step(er)
        if not step:
            continue
        for e in step.endpoints.all():
            total, seen = sum(e.histogram.values()), 0
            for ms, count in sorted(((float(k), v) for k, v in e.histogram.items())):
                seen += count
                rows.append({"series": series_label(er), "users": step.users, "endpoint": e.name, "ms": ms,
                             "fraction": round(seen / total, 6) if total else None})
    return rows


def server_rows(ers: list[ExperimentRun]) -> list[dict]:
    rows = []
    for er in ers:
        previous = None
        for s in er.samples.all():
            switches = s.ctx_voluntary + s.ctx_involuntary
            per_s = None
            if previous is not None and s.t > previous[0]:
                per_s = round((switches - previous[1]) / (s.t - previous[0]), 1)
            previous = (s.t, switches)
            rows.append({"series": series_label(er), "t": s.t, "step_index": s.step_index,
                         "cpu_percent": s.cpu_percent, "rss_mib": round(s.rss_bytes / 2**20, 2),
                         "uss_mib": round(s.uss_bytes / 2**20, 2), "vms_mib": round(s.vms_bytes / 2**20, 1),
                         "threads": s.threads, "ctx_switches_per_s": per_s, "open_files": s.open_files,
                         "db_connections": s.db_connections,
                         "loop_lag_ms": max(s.loop_lag_ms.values()) if s.loop_lag_ms else None})
    return rows


def error_rows(ers: list[ExperimentRun]) -> list[dict]:
    return [{"series": series_label(er), "users": step.users, "endpoint": f.name, "method": f.method,
             "error": f.error, "count": f.count}
            for er in ers for step in er.steps.all() for f in step.failures.all()]


CHARTS = {"summary": endpoint_summary_rows, "timeseries": timeseries_rows, "cdf": cdf_rows, "server": server_rows,
          "errors": error_rows}
