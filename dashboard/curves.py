"""The data behind the front page (no HTML): per workload, each stack at its best configuration,
latency against throughput from the open-loop ``curves`` experiment, its knee under an SLO, and
the sweep that chose the configuration (``bench/curves.py`` says how both are measured).

The knee is the highest *achieved* throughput among valid steps whose corrected p99 stays
within the SLO. It is computed here, per repeat, never stored: the SLO is a knob of the page.
Invalid steps never count; when the step above the knee was invalid because the load generator
could not keep up (or every sweep candidate outran the generator), the server was not the limit
and the knee is only a lower bound.
"""
from __future__ import annotations

import math
import statistics
from collections import defaultdict

from django.db.models import QuerySet
from hdrh.histogram import HdrHistogram

from bench.curves import CURVE_STACKS, CURVE_WORKLOADS, CURVES, DEFAULT_SLO_MS, curve_variant, served_by_sweep
from bench.knees import curve_points, knee_of
from bench.models import ExperimentRun, Run
from bench.observations import CurveChoice
from bench.suites import CURVE_SUITES
from bench.variant_keys import find_variant, stored_as
from dashboard.cards import database_ceiling
from workloads.errors import ApiError
from workloads.numbers import int_in_range, strict_float

MAX_SLO_MS = 60_000.0  # the open-loop histograms' range ends at 60 s: an SLO beyond it cannot be judged
DB_WORKLOAD = "db/read"
DB_DRIVER = CURVE_WORKLOADS[DB_WORKLOAD][0]["driver"]
KNEE = "knee"  # the distribution's step choice: each stack at its own knee
NINES_PER_DECADE = 8  # points per factor 10 of 1/(1-percentile) in the distribution plot
CELLS = {curve_variant(stack, workload): (stack, workload) for stack in CURVE_STACKS for workload in CURVE_WORKLOADS}


def parse_slo(raw: str | None) -> float:
    """The ``?slo=`` knob in ms: a positive number up to the histograms' range, else a 400."""
    if raw in (None, ""):
        return DEFAULT_SLO_MS
    slo = strict_float("slo", raw)
    if not 0 < slo <= MAX_SLO_MS:
        raise ApiError(400, f"slo must be more than 0 and at most {MAX_SLO_MS:g} ms, got {raw!r}")
    return slo


def curves_run(picked: Run | None = None) -> Run | None:
    """The run the page reads: the one picked, else the newest completed curves or full run
    holding curve steps (measured here: an imported run only when picked)."""
    if picked is not None:
        return picked
    return (Run.objects.measured_here().filter(suite__in=CURVE_SUITES, status=Run.COMPLETED,
                                               experiments__experiment=CURVES.name, experiments__steps__isnull=False)
            .distinct().order_by("-started_at", "-id").first())


def _curve_runs(run: Run) -> QuerySet[ExperimentRun]:
    return (run.experiments.filter(stored_as(CELLS), experiment=CURVES.name)
            .prefetch_related("steps__endpoints").order_by("repeat", "id"))


def _knee_over_repeats(knees: list[dict | None]) -> dict | None:
    found = [k for k in knees if k is not None]
    if not found:
        return None
    values = [k["rps"] for k in found]
    return {"median": statistics.median(values), "low": min(values), "high": max(values), "n": len(values),
            "repeats": len(knees), "lower_bound": any(k["lower_bound"] for k in found),
            "index": found[0]["index"], "p99": found[0]["p99"]}


def _curve(points: list[dict]) -> list[dict]:
    """The line the chart draws: per step, the median over the repeats where it was valid."""
    by_index: dict[int, list[dict]] = defaultdict(list)
    for p in points:
        if p["valid"]:
            by_index[p["index"]].append(p)
    line = []
    for index in sorted(by_index):
        ps = by_index[index]
        line.append({"index": index, **{k: _median([p[k] for p in ps])
                                        for k in ("offered", "achieved", "p50", "p99", "p999", "p99_uncorrected")}})
    return line


def _median(values: list) -> float | None:
    present = [v for v in values if v is not None]
    return statistics.median(present) if present else None


def _sweep_rows(run: Run, stack: str, workload: str, decided: CurveChoice) -> dict:
    """Default against best configuration, from the table the sweep decided with; when every
    candidate outran the generator (no valid sweep step), what each served instead, a lower bound."""
    table = {row["configuration"]: row for row in decided.sweep}
    served = None

    def rps(label: str | None) -> tuple[float | None, bool]:
        nonlocal served
        row = table.get(label) or {}
        if row.get("median") is not None:
            return row["median"], False
        if served is None:
            served = served_by_sweep(run, workload)
        return served.get(label), label in served

    default, default_bound = rps(decided.default)
    best, best_bound = rps(decided.best)
    gain = 100 * (best - default) / default if best is not None and default else None
    return {"workload": workload, "stack": stack, "default": configuration_name(decided.default, stack),
            "default_rps": default, "best": configuration_name(decided.best, stack), "best_rps": best,
            "gain_pct": gain, "lower_bound": default_bound or best_bound}


def configuration_name(label: str | None, stack: str) -> str | None:
    """'gthread 1w x 8t · ping' -> '1w x 8t': the page already says which stack and workload."""
    if not label:
        return None
    name = label.split(" · ")[0]
    return name[len(stack):].strip() if name.startswith(stack + " ") else name


def _cells(run: Run) -> dict[tuple[str, str], list[ExperimentRun]]:
    """(stack, workload) -> its repeats in this run."""
    cells: dict[tuple[str, str], list[ExperimentRun]] = defaultdict(list)
    for er in _curve_runs(run):
        cells[CELLS[find_variant(CELLS, er.variant_key, er.variant)]].append(er)
    return cells


def _stack(stack: str, workload: str, ers: list[ExperimentRun], slo_ms: float) -> dict:
    """One stack on one workload: its steps, its line, its knee and the configuration it ran."""
    decided = ers[0].observed.curve
    limited = any(er.observed.curve.generator_limited for er in ers)
    per_repeat = [curve_points(er, workload) for er in ers]
    points = [p for ps in per_repeat for p in ps]
    return {"stack": stack, "best": decided.best, "default": decided.default,
            "best_configuration": configuration_name(decided.best, stack),
            "default_configuration": configuration_name(decided.default, stack),
            "saturated_rps": decided.saturated_rps, "generator_limited": limited, "decided": decided,
            "deployment": (ers[0].deployment or {}).get("label", ""), "repeats": len(ers), "points": points,
            "curve": _curve(points), "knee": _knee_over_repeats([knee_of(ps, slo_ms, limited) for ps in per_repeat])}


def comparison(run: Run, slo_ms: float = DEFAULT_SLO_MS) -> dict:
    """Everything the front page shows of one run, per workload in the catalogue's order."""
    cells = _cells(run)
    ceiling = database_ceiling(Run.objects.filter(id=run.id)).get(DB_DRIVER)
    workloads = []
    for workload in CURVE_WORKLOADS:
        stacks = [_stack(stack, workload, cells[(stack, workload)], slo_ms)
                  for stack in CURVE_STACKS if cells.get((stack, workload))]
        for s in stacks:
            knee = s["knee"]
            s["database_share"] = knee["median"] / ceiling if knee and ceiling and workload == DB_WORKLOAD else None
        if stacks:
            workloads.append({"workload": workload, "stacks": stacks,
                              "sweep": [_sweep_rows(run, s["stack"], workload, s.pop("decided")) for s in stacks]})
    return {"run": run.id, "suite": run.suite, "slo_ms": slo_ms, "stacks": list(CURVE_STACKS), "workloads": workloads,
            "database_ceiling": ceiling, "database_workload": DB_WORKLOAD}


def parse_step(raw: str | None) -> str | int:
    """The distribution's step: ``knee`` (default) or a step index of the rate ladder."""
    if raw in (None, "", KNEE):
        return KNEE
    try:
        return int_in_range("step", raw, 0, len(CURVES.rates) - 1)
    except ApiError as exc:
        raise ApiError(400, f"{exc.message} (or {KNEE!r})") from None


def parse_workload(raw: str | None) -> str:
    if raw not in CURVE_WORKLOADS:
        raise ApiError(400, f"workload must be one of {', '.join(CURVE_WORKLOADS)}, got {raw!r}")
    return raw


def distribution_rows(run: Run, workload: str, step: str | int, slo_ms: float = DEFAULT_SLO_MS) -> list[dict]:
    """Latency at each percentile, corrected and uncorrected, per stack at one step (the repeats'
    histograms merged): x is 1/(1-percentile), so 90 %, 99 %, 99.9 % fall a decade apart."""
    rows = []
    for (stack, w), ers in sorted(_cells(run).items(), key=lambda kv: CURVE_STACKS.index(kv[0][0])):
        if w != workload:
            continue
        index = (_stack(stack, workload, ers, slo_ms)["knee"] or {}).get("index") if step == KNEE else step
        steps = [st for er in ers for st in er.steps.all() if st.index == index]
        if not steps:
            continue
        common = {"stack": stack, "index": index, "valid": all(st.valid for st in steps),
                  "offered": _median([(st.open_loop or {}).get("rate") for st in steps])}
        for kind in ("corrected", "uncorrected"):
            merged = _merged([((st.open_loop or {}).get(kind) or {}).get("hdr") for st in steps])
            rows += [{**common, "kind": kind, **point} for point in _percentile_ladder(merged)]
    return rows


def _merged(encoded: list[str | None]) -> HdrHistogram | None:
    merged = None
    for text in encoded:
        if not text:
            continue
        h = HdrHistogram.decode(text)
        if merged is None:
            merged = h
        else:
            merged.add(h)
    return merged


def _percentile_ladder(h: HdrHistogram | None) -> list[dict]:
    """Percentiles evenly spaced in "nines", up to what the sample count can resolve, then the max."""
    if h is None or not h.get_total_count():
        return []
    count = h.get_total_count()
    top = math.log10(count)
    ladder = [k / NINES_PER_DECADE for k in range(int(top * NINES_PER_DECADE) + 1)]
    rows = [{"percentile": 100 * (1 - 10 ** -n), "x": 10 ** n,
             "ms": h.get_value_at_percentile(100 * (1 - 10 ** -n)) / 1000} for n in ladder]
    rows.append({"percentile": 100.0, "x": float(count), "ms": h.get_max_value() / 1000})
    return rows


def point_rows(data: dict) -> list[dict]:
    """The comparison's steps as one flat table (the CSV download)."""
    return [{"workload": w["workload"], "stack": s["stack"], "configuration": s["best"], **p}
            for w in data["workloads"] for s in w["stacks"] for p in s["points"]]


def knee_rows(data: dict) -> list[dict]:
    rows = []
    for w in data["workloads"]:
        for s in w["stacks"]:
            k = s["knee"] or {}
            rows.append({"workload": w["workload"], "stack": s["stack"], "configuration": s["best"],
                         "slo_ms": data["slo_ms"], "knee_rps": k.get("median"), "low": k.get("low"),
                         "high": k.get("high"), "n": k.get("n"), "lower_bound": k.get("lower_bound"),
                         "database_share": s["database_share"]})
    return rows


def sweep_rows(data: dict) -> list[dict]:
    return [row for w in data["workloads"] for row in w["sweep"]]
