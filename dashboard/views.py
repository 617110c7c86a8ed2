"""The dashboard's pages and data downloads. Read-only: GET and HEAD only.

Pages are plain templates; charts are drawn in the browser by Chart.js (served from
``dashboard/static``, no CDN) from the same data endpoints the download links point to.
"""
from __future__ import annotations

import csv
import functools
import io
from pathlib import Path

from django.db import DatabaseError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.static import serve

from bench import store
from bench.curves import RATE_FRACTIONS
from bench.models import Run
from bench.suites import SUITES
from bench.summary import run_summary_rows
from dashboard import compare as cmp
from dashboard import curves
from dashboard.cards import all_verdicts
from dashboard.claims import claim_pairs
from dashboard.csv_cells import csv_cell
from dashboard.curves import curves_run
from dashboard.ids import parse_id
from dashboard.ladders import LADDER_TABLES, ladders_page, ladders_rows
from dashboard.reliability import bad_input_rows, fault_rows, overload_rows
from dashboard.report import render_report
from results.runs import reference_runs
from workloads.endpoint import check_host
from workloads.errors import ApiError, error_response, json_response

STATIC_ROOT = Path(__file__).resolve().parent / "static" / "dashboard"


def read_only(view):
    """GET and HEAD only, host checked (security headers: ``config.dashboard_headers``, on every answer)."""
    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        try:
            check_host(request)
            if request.method not in ("GET", "HEAD"):
                error = ApiError(405, "the dashboard is read-only: use GET")
                error.headers["Allow"] = "GET, HEAD"
                raise error
            try:
                response = view(request, *args, **kwargs)
            except DatabaseError as exc:  # the results store is down or restarting: say so, not 500
                raise ApiError(503, f"the results store is unavailable: {exc}".strip()) from None
        except ApiError as exc:
            response = error_response(exc)
        return response
    return wrapper


def table_response(rows: list[dict], fmt: str, filename: str) -> HttpResponse:
    if fmt == "json":
        return json_response({"rows": rows})
    if fmt != "csv":
        raise ApiError(400, f"format must be json or csv, got {fmt!r}")
    out = io.StringIO()
    columns = list(dict.fromkeys(k for row in rows for k in row))
    writer = csv.DictWriter(out, fieldnames=columns)
    writer.writeheader()
    writer.writerows({k: csv_cell(v) for k, v in row.items()} for row in rows)
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response


@read_only
def front(request):
    """The comparison: per workload, each stack at its best, latency against throughput, the
    knee under the SLO (``?slo=`` ms), the sweep that chose each configuration (``?run=ID``
    reads another run)."""

    picked, slo = _picked_run(request), curves.parse_slo(request.GET.get("slo"))
    run = curves.curves_run(picked)
    choices = Run.objects.exclude(suite="synthetic").order_by("-started_at")[:30]
    return render(request, "dashboard/front.html", {
        "run": run, "picked": picked, "choices": choices, "slo": slo, "fractions": RATE_FRACTIONS,
        "data": curves.comparison(run, slo) if run else None})


@read_only
def curves_data(request):
    """The front page's data: the whole comparison (JSON), or one of its tables (``?table=``)."""

    data = curves.comparison(_curves_run_or_404(request), curves.parse_slo(request.GET.get("slo")))
    table, fmt = request.GET.get("table"), request.GET.get("format", "json")
    tables = {"points": curves.point_rows, "knees": curves.knee_rows, "sweep": curves.sweep_rows}
    if table is None and fmt == "json":
        return json_response(data)
    if table not in tables:
        raise ApiError(400, f"table must be one of {', '.join(tables)} (or none, for the whole comparison as JSON)")
    return table_response(tables[table](data), fmt, f"curves-{table}")


@read_only
def curves_distribution(request):
    """Latency per percentile at one step of one workload, corrected and uncorrected, per stack."""

    run = _curves_run_or_404(request)
    rows = curves.distribution_rows(run, curves.parse_workload(request.GET.get("workload")),
                                    curves.parse_step(request.GET.get("step")), curves.parse_slo(request.GET.get("slo")))
    return table_response(rows, request.GET.get("format", "json"), "curves-distribution")


def _curves_run_or_404(request) -> Run:

    run = curves_run(_picked_run(request))
    if run is None:
        raise ApiError(404, "no curves run yet: run manage.py bench --suite curves")
    return run


@read_only
def runs(request):
    rows = []
    for run in Run.objects.all():
        steps = list(run.experiments.values_list("steps__valid", flat=True))
        env = run.environment or {}
        rows.append({"run": run, "valid": sum(1 for s in steps if s), "steps": sum(1 for s in steps if s is not None),
                     "duration": (run.finished_at - run.started_at).total_seconds() if run.finished_at else None,
                     "machine": f"{env.get('cpu_model', '?')} × {env.get('cpu_count', '?')}"})
    return render(request, "dashboard/runs.html", {"rows": rows, "suites": sorted(SUITES)})


@read_only
def run_detail(request, run_id: int):
    run = _run_or_404(run_id)
    summary = run_summary_rows(run)
    by_experiment: dict[str, dict] = {}
    for er, row in zip(run.experiments.all(), summary, strict=True):
        group = by_experiment.setdefault(er.experiment, {"name": er.experiment, "claim": er.claim, "rows": [], "ids": []})
        group["rows"].append({**row, "er": er})
        group["ids"].append(er.id)
    return render(request, "dashboard/run.html", {"run": run, "experiments": list(by_experiment.values())})


@read_only
def run_report(request, run_id: int):
    """The run's self-contained report file, as a download (``manage.py bench --report`` writes the same)."""

    run = _run_or_404(run_id)
    response = HttpResponse(render_report(run), content_type="text/html; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="djlab-run-{run.id}.html"'
    return response


@read_only
def compare(request):
    ers = cmp.selected(request.GET)
    query = request.GET.urlencode()
    return render(request, "dashboard/compare.html", {
        "ers": ers, "query": query, "summary": cmp.endpoint_summary_rows(ers), "errors": cmp.error_rows(ers),
        "groups": cmp.by_experiment(ers)})


@read_only
def claims(request):
    """Every claim's card, from the newest quick or full run, or from the run the user picks
    (``?run=ID``): the page says which run each card read."""
    picked = _picked_run(request)
    reference = None if picked is not None and picked.is_reference else reference_runs()
    pairs = claim_pairs(Run.objects.filter(id=picked.id) if picked else None, reference)
    choices = Run.objects.exclude(suite="synthetic").order_by("-started_at")[:30]
    return render(request, "dashboard/claims.html", {"pairs": pairs, "picked": picked, "choices": choices})


def _run_or_404(run_id: int) -> Run:
    try:
        return Run.objects.get(id=run_id)
    except Run.DoesNotExist:
        raise Http404 from None


def _picked_run(request) -> Run | None:
    raw = request.GET.get("run", "")
    if not raw:
        return None
    run_id = parse_id("run", raw)
    try:
        return Run.objects.get(id=run_id)
    except Run.DoesNotExist:
        raise ApiError(404, f"no run {run_id}") from None


@read_only
def ladders(request):
    """The ladders: what each layer costs a request, each database path, each tweak."""

    picked = _picked_run(request)
    page = ladders_page(Run.objects.filter(id=picked.id) if picked else None)
    choices = Run.objects.exclude(suite="synthetic").order_by("-started_at")[:30]
    return render(request, "dashboard/ladders.html", {**page, "picked": picked, "choices": choices})


@read_only
def ladders_data(request):
    """The ladders page's tables as rows (JSON or CSV): ``table`` = tax, db or tweaks."""

    picked = _picked_run(request)
    table = request.GET.get("table", "tax")
    if table not in LADDER_TABLES:
        raise ApiError(400, f"table must be one of {', '.join(LADDER_TABLES)}")
    rows = ladders_rows(table, Run.objects.filter(id=picked.id) if picked else None)
    return table_response(rows, request.GET.get("format", "json"), f"ladders-{table}")


@read_only
def reliability(request):

    cases = bad_input_rows()
    deployments = [k for k in cases[0] if k != "case"] if cases else []
    return render(request, "dashboard/reliability.html", {
        "faults": fault_rows(), "cases": [{"case": c["case"], "cells": [c.get(d, "") for d in deployments]}
                                          for c in cases], "deployments": deployments,
        "overload": overload_rows()})


@read_only
def reliability_data(request):

    tables = {"faults": fault_rows, "bad-input": bad_input_rows, "overload": overload_rows}
    table = request.GET.get("table", "faults")
    if table not in tables:
        raise ApiError(400, f"table must be one of {', '.join(tables)}")
    rows = tables[table]()
    return table_response(rows, request.GET.get("format", "json"), f"reliability-{table}")


@read_only
def compare_data(request, chart: str):
    if chart not in cmp.CHARTS:
        raise ApiError(404, f"no chart {chart!r}; charts: {', '.join(cmp.CHARTS)}")
    return table_response(cmp.CHARTS[chart](cmp.selected(request.GET)), request.GET.get("format", "json"),
                          f"compare-{chart}")


@read_only
def claims_data(request):
    wanted = request.GET.get("claim")
    picked = _picked_run(request)
    verdicts = [v.as_dict() for v in all_verdicts(Run.objects.filter(id=picked.id) if picked else None)
                if not wanted or v.claim == wanted]
    if wanted and not verdicts:
        raise ApiError(404, f"no claim {wanted!r}")
    fmt = request.GET.get("format", "json")
    if fmt == "json":
        return json_response({"verdicts": verdicts})
    rows = [{"claim": v["claim"], "verdict": v["verdict"], "provisional": v["provisional"], "figure": f["label"],
             "value": f["value"], "median": f.get("median"), "low": f.get("low"), "high": f.get("high"),
             "n": f.get("n"), "rule": v["rule"], "run_id": v["run_id"]} for v in verdicts for f in v["figures"]]
    return table_response(rows, fmt, "claims")


@read_only
def run_data(request, run_id: int):
    try:
        return json_response(store.export_run(Run.objects.get(id=run_id)))
    except Run.DoesNotExist:
        raise ApiError(404, f"no run {run_id}") from None


@read_only
def static(request, path: str):
    return serve(request, path, document_root=STATIC_ROOT)
