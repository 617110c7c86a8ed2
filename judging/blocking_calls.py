"""C3: a blocking call inside ``async def`` stalls every request of its worker, and the fixes work:
a probe's p99 under the blocking endpoint and under each fix, repeat by repeat against its own
unloaded probe."""
from __future__ import annotations

from bench import experiments as X
from bench.evidence import Evidence
from judging.core import (INCONCLUSIVE, PARTLY, REFUTED, SUPPORTED, Figure, Judged, Rule, Scope, Verdict, bar,
                          classify_repeats, median, paired)
from judging.beside_fastapi import SAME_RULE, judge_both, role_of
from judging.measures import listed, p99_of, per_repeat, rps_of


# --- C3 -------------------------------------------------------------------------------------

C3_RULE = Rule(
    "One Uvicorn worker at a fixed arrival rate. Supported if io/blocking's RPS is within {rps_tolerance:.0%} "
    "of workers x 1000/ms, the probe's p99 under io/blocking is >= ms (a cheap request waited out a whole "
    "blocking call), and under each fix (io/sleep, io/threadpool, the blocking call handed to background "
    "work) the probe's p99 stays within {factor:.0f}x or +{margin_ms:.0f} ms (whichever is larger) of its "
    "unloaded p99 measured first on the same server; partly if blocking hurt the probe but another "
    "condition failed; refuted if the probe's p99 under io/blocking stayed below ms." + SAME_RULE,
    {"rps_tolerance": 0.25, "factor": 2, "margin_ms": 20})


def _c3(ev: Evidence, cells: X.C3Cells, name: str) -> tuple[Judged, dict[str, float | None]]:
    """One framework's C3 outcome, and its probe p99 per cell (for the chart). Every condition is
    checked repeat by repeat, each fix against the unloaded probe of its own repeat."""
    probe = {v: per_repeat(ev.get(v), p99_of("probe")) for v in cells.variants}
    figures = [Figure(f"probe p99: {v.label}", probe[v], " ms") for v in cells.variants]
    by_role = {role_of(v): median(probe[v]) for v in cells.variants}
    baseline, blocked = probe[cells.unloaded], probe[cells.blocking]
    if median(baseline) is None or median(blocked) is None:
        return Judged(INCONCLUSIVE, "the run lacks the unloaded probe or io/blocking", figures), by_role
    ms_param = X.C3_MS
    blocking = ev.get(cells.blocking)
    expected = blocking[0].workers() * 1000 / ms_param
    rps = per_repeat(blocking, rps_of("io/blocking"))
    allowed = [max(C3_RULE["factor"] * b, b + C3_RULE["margin_ms"]) for b in baseline if b is not None]
    figures[:0] = [Figure(f"{name}: io/blocking RPS (expected workers x 1000/ms)", rps,
                          f" (expected {expected:.0f})", 1),
                   Figure(f"{name}: probe p99 allowed under a fix (per repeat)", allowed, " ms")]
    held = lambda ok: lambda v: SUPPORTED if ok(v) else REFUTED  # noqa: E731
    out, _, n = classify_repeats(blocked, held(lambda v: v >= ms_param))
    scopes = [Scope("io/blocking", out, f"probe p99 per repeat {listed(blocked, ' ms')} vs a {ms_param} ms "
                                        "blocking call", n)]
    out, _, n = classify_repeats(rps, held(lambda v: abs(v - expected) <= C3_RULE["rps_tolerance"] * expected))
    scopes.append(Scope("throughput", out, f"io/blocking RPS per repeat {listed(rps)} (expected {expected:.0f})", n))
    for fix in cells.fixes:
        pairs = paired(baseline, probe[fix])
        ok = [max(C3_RULE["factor"] * b, b + C3_RULE["margin_ms"]) - p for b, p in pairs]  # >= 0: within bounds
        out, disagree, n = classify_repeats(ok, held(lambda v: v >= 0))
        scopes.append(Scope(role_of(fix), out, "no data" if not pairs else
                            f"probe p99 per repeat {listed([p for _, p in pairs], ' ms')}"
                            + (f"; {disagree}" if disagree else ""), n))
    blocked_out, rest = scopes[0].outcome, scopes[1:]
    if blocked_out == REFUTED:
        outcome, why = REFUTED, f"the probe's p99 under io/blocking stayed below {ms_param} ms in every repeat"
    elif blocked_out == INCONCLUSIVE:
        outcome, why = INCONCLUSIVE, "the repeats disagree on whether io/blocking held the probe up"
    elif all(s.outcome == SUPPORTED for s in rest):
        outcome, why = SUPPORTED, "blocking serialised the worker and every fix kept the probe near its unloaded p99"
    elif any(s.outcome == REFUTED for s in rest):
        failed = [s.name for s in rest if s.outcome == REFUTED]
        outcome, why = PARTLY, f"blocking hurt the probe, but these failed: {', '.join(failed)}"
    else:
        outcome, why = INCONCLUSIVE, ("blocking hurt the probe; no data or disagreeing repeats for "
                                      + ", ".join(s.name for s in rest if s.outcome == INCONCLUSIVE))
    return Judged(outcome, why, figures, scopes), by_role


def _c3_chart(django_p99: dict, fastapi_p99: dict) -> dict:
    roles = list(django_p99)
    return {"chart": bar("Probe p99 while one worker serves each endpoint", "ms", roles,
                         {"Django": [django_p99[r] for r in roles], "FastAPI": [fastapi_p99.get(r) for r in roles]})}


def judge_c3(ev: Evidence | None) -> Verdict:
    return judge_both("C3", C3_RULE, X.C3, ev, _c3, (X.C3_DJANGO, X.C3_FASTAPI, X.C3_FASTAPI.variants),
                       _c3_chart)
