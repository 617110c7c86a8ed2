"""The end-of-run table: for each experiment, its key figure per variant (last step)."""
from __future__ import annotations

from bench.models import Run


def run_summary_rows(run: Run) -> list[dict]:
    rows = []
    for exp in run.experiments.prefetch_related("steps__endpoints"):
        steps = list(exp.steps.all())
        if not steps:
            rows.append({"experiment": exp.experiment, "variant": exp.variant, "repeat": exp.repeat,
                         "status": exp.status, "valid": False})
            continue
        last = steps[-1]
        by_name = {e.name: e for e in last.endpoints.all()}
        main = next((e for n, e in by_name.items() if n != "probe"), None)
        probe = by_name.get("probe")
        rows.append({
            "experiment": exp.experiment, "variant": exp.variant, "repeat": exp.repeat, "status": exp.status,
            "users": last.users, "endpoint": main.name if main else "-",
            "rps": main.rps if main else None, "p99": main.p99 if main else None,
            "failures": sum(e.failures for e in by_name.values()),
            "probe_p99": probe.p99 if probe else None,
            "generator_cpu": last.generator_cpu_max_process, "valid": last.valid,
            "rps_ci_pct": (last.quality or {}).get("rps_ci_pct"), "imprecise": (last.quality or {}).get("imprecise"),
        })
    return rows


def _fmt(value, digits=0) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def interval(row: dict) -> str:
    """The step's throughput interval (±%), with "!" when it stayed too wide for its rule."""
    return _fmt(row.get("rps_ci_pct"), 1) + ("!" if row.get("imprecise") else "")


def summary_table(run: Run) -> str:
    """One line per experiment run; ±RPS % is the step's own 95 % interval on its throughput, with a
    "!" where the runner lengthened the step to its cap and the interval still did not resolve the
    effect its rule must tell apart."""
    header = (f"{'experiment':<28} {'variant':<30} {'users':>5} {'endpoint':<14} {'RPS':>8} {'p99 ms':>7} "
              f"{'±RPS %':>7} {'probe p99':>9} {'fail':>5} {'gen CPU':>7}  valid")
    lines = [header, "-" * len(header)]
    for r in run_summary_rows(run):
        lines.append(f"{r['experiment'][:28]:<28} {r['variant'][:30]:<30} {r.get('users', '-'):>5} "
                     f"{r.get('endpoint', '-')[:14]:<14} {_fmt(r.get('rps'), 1):>8} {_fmt(r.get('p99')):>7} "
                     f"{interval(r):>7} {_fmt(r.get('probe_p99')):>9} {r.get('failures', '-'):>5} "
                     f"{_fmt(r.get('generator_cpu')):>6}%  {'yes' if r['valid'] else 'NO'}")
    return "\n".join(lines)
