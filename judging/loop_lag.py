"""C5: the event loop is one thread; a task that does not yield holds everybody up. The worker's
loop lag under non-blocking and blocking load, repeat by repeat."""
from __future__ import annotations

from bench import experiments as X
from bench.evidence import Evidence, Measured
from judging.core import (INCONCLUSIVE, PARTLY, REFUTED, SUPPORTED, Figure, Judged, Rule, Scope, Verdict, bar,
                          classify_repeats, median, paired)
from judging.beside_fastapi import SAME_RULE, judge_both, role_of
from judging.measures import per_repeat


# --- C5 -------------------------------------------------------------------------------------

C5_RULE = Rule(
    "Event-loop lag of the ASGI worker, median over the measured step of each sample's worst lag: supported if "
    "it stays <= {low_ms:.0f} ms under non-blocking load and reaches >= {high_fraction} x the blocking call's "
    "length under io/blocking; partly if both rise; refuted if blocking load leaves it low." + SAME_RULE,
    {"low_ms": 10, "high_fraction": 0.5})


def _c5(ev: Evidence, cells: tuple[X.Variant, X.Variant], name: str) -> tuple[Judged, list[float | None]]:
    """One framework's C5 outcome from its (non-blocking, blocking) cells, and their median lag."""
    lag = {v: per_repeat(ev.get(v), Measured.median_loop_lag_ms) for v in cells}
    worst = {v: per_repeat(ev.get(v), Measured.max_loop_lag_ms) for v in cells}
    figures = [Figure(f"{v.label}: lag median", lag[v], " ms", 1) for v in cells]
    figures += [Figure(f"{v.label}: lag worst", worst[v], " ms", 1) for v in cells]
    yielding, blocking = (median(lag[v]) for v in cells)
    if blocking is None or yielding is None:
        return Judged(INCONCLUSIVE, "lag was not sampled for both loads", figures), [yielding, blocking]
    high_ms = C5_RULE["high_fraction"] * cells[1].knobs["ms"]

    def side(pair: tuple[float, float]) -> str:
        calm, blocked = pair
        if blocked < high_ms:
            return REFUTED
        return SUPPORTED if calm <= C5_RULE["low_ms"] else PARTLY

    pairs = paired(*(lag[v] for v in cells))
    outcome, disagree, n = classify_repeats([side(p) for p in pairs], lambda o: o)
    told = "; ".join(f"{calm:.1f} ms yielding, {blocked:.0f} ms blocking" for calm, blocked in pairs)
    return Judged(outcome, f"lag per repeat: {told}" + (f" ({disagree})" if disagree else ""), figures,
                  [Scope("lag", outcome, told, n)]), [yielding, blocking]


def judge_c5(ev: Evidence | None) -> Verdict:
    return judge_both("C5", C5_RULE, X.C5, ev, _c5, (X.C5_DJANGO, X.C5_FASTAPI, X.C5_FASTAPI),
                       lambda django, fastapi: {"chart": bar("Event-loop lag (median of per-sample worst)", "ms",
                                                             [role_of(v) for v in X.C5_DJANGO],
                                                             {"Django": django, "FastAPI": fastapi})})
