"""C1: extra workers on one pinned core cost throughput. Uvicorn 1 against 4 workers per workload,
repeat by repeat, on saturated steps whose own precision can tell the bands apart."""
from __future__ import annotations

from bench import experiments as X
from bench.evidence import Evidence, Measured, by_repeat
from judging.core import (INCONCLUSIVE, Figure, Rule, Scope, Verdict, banded, bar, classify_repeats, combine,
                          median, ratio)
from judging.measures import no_data, p99_of, per_repeat, provenance, rps_of, server_cpu
from judging.pg_ceiling import ceiling_figures


# --- C1 -------------------------------------------------------------------------------------

C1_RULE = Rule(
    "Per workload (ping, cpu, mixed, io/sleep, db/read), one pinned core, saturated successful RPS of Uvicorn "
    "with 4 workers vs 1, repeat by repeat (repeat i of one against repeat i of the other): a drop of >= "
    "{supported:.0f} % supports the claim there, {partly:.0f}-{supported:.0f} % partly, under {partly:.0f} % or a "
    "gain refutes it; the workload's outcome is the band every repeat falls in, inconclusive when the repeats "
    "fall in different bands. A step whose server used less than {saturated_cpu:.0f} % of its core was not "
    "saturated and decides nothing. Overall: supported only if every workload supports it, refuted only if "
    "every workload refutes it, partly where some hold and some do not, inconclusive otherwise. gthread and "
    "Gunicorn+UvicornWorker are shown beside it.",
    {"supported": 20, "partly": 5, "saturated_cpu": 85})


def _saturated(m: Measured) -> bool:
    """Whether the server's CPU shows it was the limit in this step (unknown: not shown, so not)."""
    return (server_cpu(m) or 0) >= C1_RULE["saturated_cpu"]


def _precision(m: Measured) -> float | None:
    """The step's own 95 % interval on its throughput, % of the mean (None: too short to know)."""
    return m.step.quality.get("rps_ci_pct") if m.step.quality else None


def _c1_scope(ev: Evidence, endpoint: str) -> tuple[Scope, list[float]]:
    """One workload's outcome from Uvicorn's per-repeat drops, 1 -> 4 workers, saturated steps only.

    Each repeat's drop carries the two steps' own precision: a repeat whose interval spans a band
    edge cannot say which band it is in (as if its repeats disagreed). Where a step is too short
    to know its precision, the scope is provisional whatever its number of repeats."""
    one, four = (ev.get(X.c1_variant("uvicorn", w, endpoint)) for w in (1, 4))
    if not one or not four:
        return Scope(endpoint, INCONCLUSIVE, "no valid Uvicorn 1w and 4w figures", 0), []
    ones, fours = by_repeat(one), by_repeat(four)  # repeat i against repeat i, whichever are missing
    both = [(ones[r], fours[r]) for r in sorted(set(ones) & set(fours))]
    pairs = [(m1, m4, m1.rps(endpoint), m4.rps(endpoint)) for m1, m4 in both]
    pairs = [(m1, m4, a, b) for m1, m4, a, b in pairs if a and b is not None]
    drops = [100 * (a - b) / a for _, _, a, b in pairs]
    cells = [(a, b, m1, m4) for m1, m4, a, b in pairs if _saturated(m1) and _saturated(m4)]
    if len(cells) < len(drops):
        return Scope(endpoint, INCONCLUSIVE, f"{len(drops) - len(cells)} of {len(drops)} repeats had a server "
                                             f"below {C1_RULE['saturated_cpu']:.0f} % CPU (not saturated)",
                     len(drops)), drops
    bands = banded(C1_RULE["supported"], C1_RULE["partly"])
    precisions = [(_precision(m1), _precision(m4)) for _, _, m1, m4 in cells]
    known = all(p is not None for pair in precisions for p in pair)

    def band(k: int) -> str:
        a, b = cells[k][:2]
        drop = 100 * (a - b) / a
        if not known:
            return bands(drop)
        # the drop's own interval, from the two steps' relative intervals (independent steps)
        half = (100 - drop) / 100 * (precisions[k][0] ** 2 + precisions[k][1] ** 2) ** 0.5
        low, high = bands(drop - half), bands(drop + half)
        return low if low == high else INCONCLUSIVE

    outcome, disagree, n = classify_repeats(list(range(len(cells))), band, "drop")
    told = ", ".join(f"{100 * (a - b) / a:+.1f} %" for a, b, _, _ in cells)
    shown = "" if known else "; precision unknown (a window under 5 whole seconds): provisional"
    if known and any(band(k) == INCONCLUSIVE for k in range(len(cells))):
        shown = "; a repeat's own interval spans a band edge"
    return Scope(endpoint, outcome, f"Uvicorn 1 -> 4 workers, RPS drop per repeat: {told}"
                 + (f"; {disagree}" if disagree else "") + shown, n if known else min(n, 1)), drops


def judge_c1(ev: Evidence | None, ceiling: dict[str, float]) -> Verdict:
    """``ceiling``: PostgreSQL alone (``pg_ceiling``) from the same run, db/read's shares of it shown."""
    if ev is None:
        return no_data("C1", C1_RULE, X.C1_FULL.name)
    scopes, drops, figures, chart = [], [], [], {}
    for endpoint in X.C1_WORKLOADS:
        for stack in X.C1_STACKS:
            one = ev.get(X.c1_variant(stack, 1, endpoint))
            if not one:
                continue
            r1 = per_repeat(one, rps_of(endpoint))
            for workers in (2, 4):
                other = ev.get(X.c1_variant(stack, workers, endpoint))
                if other:
                    chart.setdefault(f"{stack} {workers}w", {})[endpoint] = ratio(
                        median(per_repeat(other, rps_of(endpoint))), median(r1))
            for workers in (1, 2, 4):
                ms = ev.get(X.c1_variant(stack, workers, endpoint))
                if ms:
                    figures.append(Figure(f"{endpoint} · {stack} {workers}w: RPS", per_repeat(ms, rps_of(endpoint))))
                    figures.append(Figure(f"{endpoint} · {stack} {workers}w: p99", per_repeat(ms, p99_of(endpoint)), " ms"))
                    figures.append(Figure(f"{endpoint} · {stack} {workers}w: server CPU", per_repeat(ms, server_cpu),
                                          " %"))
                    figures.append(Figure(f"{endpoint} · {stack} {workers}w: context switches per request",
                                          per_repeat(ms, Measured.ctx_switches_per_request), "", 2))
                    if endpoint == "db/read":
                        figures += ceiling_figures(f"{stack} {workers}w", ms, X.C1_WORKLOADS[endpoint][0]["driver"],
                                                   ceiling)
        scope, paired_drops = _c1_scope(ev, endpoint)
        scopes.append(scope)
        drops.append(Figure(f"{endpoint}: Uvicorn RPS drop, 1 -> 4 workers (each repeat against its own)",
                            paired_drops, " %", 1))
    verdict, why = combine(scopes, "workload")
    endpoints = list(X.C1_WORKLOADS)
    return Verdict("C1", verdict, C1_RULE.render(), why, drops + figures, scopes=scopes,
                   chart=bar("RPS relative to 1 worker of the same stack (one CPU)", "x", endpoints,
                             {k: [v.get(e) for e in endpoints] for k, v in chart.items()}), **provenance(ev))
