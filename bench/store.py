"""Writing measurements into the results store, and moving whole runs in and out as JSON.

Export leaves out database ids, so ``import(export(run))`` exports to the same document;
import checks the document first and marks the run as imported (``Run.imported_from``).
"""
from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.db import transaction
from django.utils import timezone

from bench import run_schema
from bench import step_quality
from bench.models import REFERENCE_MARK, EndpointStat, ExperimentRun, Failure, Run, ServerSample, Step, TimePoint
from bench.sampler import Sample
from bench.suites import catalogue_key
from bench.validity import Judgement

EXPORT_FORMAT = run_schema.FORMAT


def reset_connection() -> None:
    """Drop this process's pooled connections (after a fault that restarted PostgreSQL, they
    are all dead) so the next write opens fresh ones."""
    from django.db import connection

    connection.close()
    connection.close_pool()


def save_step(experiment: ExperimentRun, index: int, users: int, arrival_rate: float, result: dict,
              judged: Judgement) -> Step:
    gen = result["generator"]
    with transaction.atomic():
        step = Step.objects.create(
            experiment=experiment, index=index, users=users, arrival_rate=arrival_rate,
            started_at=dt.datetime.fromtimestamp(result["started_at"], tz=dt.timezone.utc),
            measured_s=result["measured_s"], valid=judged.valid, invalid_reason=judged.reason,
            invalid_kind=str(judged.kind),
            generator_cpu_max_process=gen["cpu_percent_max_process"], generator_cpu_total=gen["cpu_percent_total"],
            generator_processes=gen["processes"], open_loop=result.get("open_loop") or {},
            quality=step_quality.assess(result).as_dict() if result.get("endpoints") else {})
        EndpointStat.objects.bulk_create(EndpointStat(step=step, **{k: e[k] for k in _ENDPOINT_FIELDS})
                                         for e in result["endpoints"])
        Failure.objects.bulk_create(Failure(step=step, name=f["name"], method=f["method"], error=f["error"],
                                            count=f["count"]) for f in result["errors"])
        TimePoint.objects.bulk_create(TimePoint(step=step, **{k: p[k] for k in _POINT_FIELDS})
                                      for p in result["timeseries"])
    return step


_ENDPOINT_FIELDS = ("name", "method", "requests", "failures", "rps", "avg_ms", "p50", "p90", "p95", "p99", "p999",
                    "max_ms", "histogram", "server_timing")
_POINT_FIELDS = ("t", "name", "requests", "failures", "p50", "p99")
_SAMPLE_FIELDS = ("step_index", "t", "processes", "cpu_percent", "rss_bytes", "uss_bytes", "pss_bytes", "vms_bytes", "threads",
                  "ctx_voluntary", "ctx_involuntary", "open_files", "db_connections", "loop_lag_ms",
                  "thread_starts")


def save_samples(experiment: ExperimentRun, samples: list[Sample]) -> None:
    ServerSample.objects.bulk_create(
        ServerSample(experiment=experiment, **{k: getattr(s, k) for k in _SAMPLE_FIELDS}) for s in samples)


def finish_run(run: Run, status: str, note: str = "", at: dt.datetime | None = None) -> None:
    run.status = status
    run.finished_at = at or timezone.now()
    if note:
        run.note = (run.note + "\n" + note).strip()
    run.save(update_fields=["status", "finished_at", "note"])


# --- export / import ---------------------------------------------------------------------

def _row(obj, fields) -> dict[str, Any]:
    out = {}
    for f in fields:
        value = getattr(obj, f)
        out[f] = value.isoformat() if isinstance(value, dt.datetime) else value
    return out


_RUN_FIELDS = ("suite", "status", "started_at", "finished_at", "options", "environment", "note")
_EXPERIMENT_FIELDS = ("claim", "experiment", "variant", "variant_key", "repeat", "deployment", "command_line", "target",
                      "scenario", "params", "status", "error", "observations", "started_at", "finished_at")
_STEP_FIELDS = ("index", "users", "arrival_rate", "started_at", "measured_s", "valid", "invalid_reason", "invalid_kind",
                "generator_cpu_max_process", "generator_cpu_total", "generator_processes", "open_loop", "quality")
_FAILURE_FIELDS = ("name", "method", "error", "count")


def export_run(run: Run) -> dict:
    experiments = []
    for e in run.experiments.prefetch_related("steps__endpoints", "steps__failures", "steps__timeseries", "samples"):
        steps = [{**_row(s, _STEP_FIELDS),
                  "endpoints": [_row(x, _ENDPOINT_FIELDS) for x in s.endpoints.all()],
                  "failures": [_row(x, _FAILURE_FIELDS) for x in s.failures.all()],
                  "timeseries": [_row(x, _POINT_FIELDS) for x in s.timeseries.all()]}
                 for s in e.steps.all()]
        experiments.append({**_row(e, _EXPERIMENT_FIELDS), "steps": steps,
                            "samples": [_row(x, _SAMPLE_FIELDS) for x in e.samples.all()]})
    return {"format": EXPORT_FORMAT, "uid": str(run.uid), **_row(run, _RUN_FIELDS), "experiments": experiments}


class RunImportError(ValueError):
    pass


def import_run(doc: dict | bytes | str, source: str = "(no file)", reference: bool = False) -> Run:
    """Store a run export as a new run marked imported from ``source``: checked whole first
    (``bench.run_schema``), every row created anew under the new run, ids never taken from the
    document. Its uid is kept (it names the run wherever it goes), so it can be imported once.
    ``reference``: the run comes from the repository's reference bundle (``results.reference``), and
    its origin begins with ``REFERENCE_MARK``; no other source may begin so."""
    if source.startswith(REFERENCE_MARK) and not reference:
        raise RunImportError(f"a source named {REFERENCE_MARK.strip()!r}... is kept for the reference bundle")
    try:
        checked = run_schema.parse(doc if isinstance(doc, (bytes, str)) else json.dumps(doc))
    except ValueError as exc:
        raise RunImportError(str(exc)) from None
    if Run.objects.filter(uid=checked.uid).exists():
        raise RunImportError(f"run {checked.uid} is already in the store")
    origin = (f"{REFERENCE_MARK if reference else ''}{source} · uid {checked.uid} · "
              f"imported {timezone.now():%Y-%m-%d %H:%M:%S} UTC")
    with transaction.atomic():
        run = Run.objects.create(uid=checked.uid, imported_from=origin[:400], **_fields(checked, _RUN_FIELDS))
        for e in checked.experiments:
            # a file from before keys were: its variants matched to today's catalogue by label, as the
            # store's own rows were (bench/migrations/0010_fill_variant_key.py); none matched, none kept
            key = e.variant_key or catalogue_key(e.experiment, e.variant)
            experiment = ExperimentRun.objects.create(run=run, **{**_fields(e, _EXPERIMENT_FIELDS), "variant_key": key})
            for s in e.steps:
                step = Step.objects.create(experiment=experiment, **_fields(s, _STEP_FIELDS))
                EndpointStat.objects.bulk_create(EndpointStat(step=step, **_fields(x)) for x in s.endpoints)
                Failure.objects.bulk_create(Failure(step=step, **_fields(x)) for x in s.failures)
                TimePoint.objects.bulk_create(TimePoint(step=step, **_fields(x)) for x in s.timeseries)
            ServerSample.objects.bulk_create(ServerSample(experiment=experiment, **_fields(x)) for x in e.samples)
    return run


def _fields(checked, names=None) -> dict[str, Any]:
    """A checked row's columns as the model takes them; a key the file left out keeps the
    model's default (an export from before that column existed)."""
    return checked.model_dump(by_alias=True, exclude_unset=True, include=set(names) if names else None)
