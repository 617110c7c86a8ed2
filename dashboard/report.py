"""One self-contained HTML file per run, to send to a colleague: the verdicts the run decides,
every experiment with its deployments, exact server command lines and charts, the machine
and versions. Styles, Chart.js, the drawing code and every chart's data are inside the
file, so it opens from disk with no server and no network.
"""
from __future__ import annotations

from pathlib import Path

from django.template.loader import render_to_string
from django.utils import timezone

from bench.models import Run
from bench.summary import run_summary_rows
from dashboard import compare as cmp
from dashboard.claims import claim_cards

STATIC = Path(__file__).resolve().parent / "static" / "dashboard"
# The compare charts a report draws per experiment: (chart data, y field, caption, unit)
CHARTS = (("timeseries", "rps", "RPS over time (successful requests)", "req/s"),
          ("cdf", "", "Latency distribution (CDF, successful requests)", ""),
          ("server", "cpu_percent", "Server CPU (% of one core)", "%"),
          ("server", "uss_mib", "Server USS (MiB)", "MiB"))


def experiments_of(run: Run) -> list[dict]:
    """The run's experiments in order, each with its rows and the query its charts are keyed by."""
    ers = list(run.experiments.all())
    rows = {er.id: {**row, "er": er} for er, row in zip(ers, run_summary_rows(run), strict=True)}
    groups = cmp.by_experiment(ers)
    for group in groups:
        group["rows"] = [rows[er.id] for er in group["ers"]]
    return groups


def chart_data(groups: list[dict]) -> dict[str, list[dict]]:
    """Every chart's rows, keyed the way dashboard.js looks them up: 'chart?query'."""
    data = {}
    for group in groups:
        ers = cmp.experiment_runs([er.id for er in group["ers"]])
        for chart in {c for c, *_ in CHARTS}:
            data[f"{chart}?{group['query']}"] = cmp.CHARTS[chart](ers)
    return data


def render_report(run: Run) -> str:
    groups = experiments_of(run)
    return render_to_string("dashboard/report.html", {
        "run": run, "groups": groups, "charts": CHARTS, "data": chart_data(groups),
        "cards": [c for c in claim_cards(Run.objects.filter(id=run.id)) if c["v"].run_id == run.id],
        "made_at": timezone.now(), "report": True,
        "css": (STATIC / "dashboard.css").read_text(), "js": (STATIC / "dashboard.js").read_text(),
        "chartjs": (STATIC / "vendor" / "chart-4.6.1.umd.min.js").read_text(),
    })
