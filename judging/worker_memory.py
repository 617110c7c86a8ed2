"""Judging what a worker process costs in memory and buys in isolation (C13): pure functions,
evidence of one run of ``bench.worker_memory`` in, a verdict out.

Memory, per scope (a stack, or a way of forking, idle or under load) and repeat: the total PSS of
four workers' deployment (master included) over that of one process with threads, each the median
of the step's samples. Isolation, per repeat: a killed worker of four fails at most the connections
it held, while the others keep serving; a crashed request thread takes its whole process, every
connection it held. Over repeats, the outcome every repeat agrees on; overall by the combine rule.
"""
from __future__ import annotations

import statistics

from bench import worker_memory as W
from bench.evidence import Evidence, Measured, by_repeat
from judging.core import (INCONCLUSIVE, REFUTED, SUPPORTED, Figure, Rule, Scope, Verdict, banded, classify_repeats,
                          combine, text_figure)

MiB = 2**20
C13_RULE = Rule(
    "One core; each deployment on a server of its own, idle (a probe alone) and under 16 closed-loop users on "
    "db/read. Memory = the deployment's total PSS (shared pages counted once; the master counted), the median of "
    "the step's samples. Per scope (gthread 1w x 8t against 4w x 2t; Uvicorn 1w against 4w; gthread 4w x 2t with "
    "--preload, and with --preload and gc.freeze, against the same 1w x 8t), idle and under load, repeat by repeat: "
    "four workers' PSS >= {supported:.1f}x one process's supports the claim, {partly:.1f}-{supported:.1f}x supports "
    "it partly, under {partly:.1f}x refutes it. Isolation, 8 users each holding a request thread 500 ms: supported "
    "when a worker killed out of four failed at most the connections it held while the rest kept serving, and a "
    "request thread crashing in the one-process deployment failed at least {crash_share:.0%} of the connections its "
    "process held; refuted when the killed worker's failures exceeded its connections or the crash failed at most "
    "one request. Per scope: the outcome every repeat agrees on; overall by the combine rule.",
    {"supported": 1.5, "partly": 1.2, "crash_share": 0.75})


def pss(m: Measured) -> float | None:
    values = [s.pss_bytes for s in m.samples if s.pss_bytes]
    return statistics.median(values) if values else None


def uss(m: Measured) -> float | None:
    values = [s.uss_bytes for s in m.samples if s.uss_bytes]
    return statistics.median(values) if values else None


def memory_ratios(ev: Evidence, pair: W.MemoryPair, users: int) -> dict[int, float | None]:
    one, four = by_repeat(ev.at(pair.one, users)), by_repeat(ev.at(pair.four, users))
    ratios = {}
    for r in sorted(set(one) | set(four)):
        a, b = (pss(one[r]) if r in one else None), (pss(four[r]) if r in four else None)
        ratios[r] = b / a if a and b is not None else None
    return ratios


def memory_scope(ev: Evidence, pair: W.MemoryPair, level: str, users: int) -> Scope:
    ratios = memory_ratios(ev, pair, users)
    outcome, disagree, n = classify_repeats([ratios[r] for r in sorted(ratios)],
                                            banded(C13_RULE["supported"], C13_RULE["partly"]), "PSS ratio")
    shown = ", ".join("n/a" if v is None else f"{v:.2f}x" for v in ratios.values()) or "no repeat"
    return Scope(f"{pair.name}, {level}", outcome, f"four workers' PSS over one's, per repeat: {shown}"
                 + (f"; {disagree}" if disagree else ""), n)


def fault_of(m: Measured) -> dict | None:
    return (m.experiment_run.observations or {}).get("fault")


def kill_outcome(f: dict | None) -> str | None:
    """A worker killed out of four: refuted when more requests failed than it held connections,
    supported when they did not and the other workers served on; None without the figures."""
    if not f or f.get("victim_connections") is None or "failed_requests" not in f:
        return None
    if f["failed_requests"] > f["victim_connections"]:
        return REFUTED
    return SUPPORTED if f.get("served_after_fault", 0) > 0 else INCONCLUSIVE


def crash_outcome(f: dict | None) -> str | None:
    """A request thread crashed in the one-process deployment: supported when (nearly) every
    connection its process held failed, refuted when one request or none did; None without figures."""
    if not f or not f.get("victim_connections") or "failed_requests" not in f:
        return None
    if f["failed_requests"] <= 1:
        return REFUTED
    return SUPPORTED if f["failed_requests"] >= C13_RULE["crash_share"] * f["victim_connections"] else INCONCLUSIVE


def isolation_outcome(kill: dict | None, crash: dict | None) -> str | None:
    """One repeat of the two faults: either refuting refutes, a missing one leaves it missing, both
    supporting supports."""
    outcomes = (kill_outcome(kill), crash_outcome(crash))
    if REFUTED in outcomes:
        return REFUTED
    if None in outcomes:
        return None
    return SUPPORTED if outcomes == (SUPPORTED, SUPPORTED) else INCONCLUSIVE


def isolation_scope(kill: Evidence | None, crash: Evidence | None) -> Scope:
    kills = by_repeat(kill.get(W.KILL_ONE_OF_FOUR)) if kill else {}
    crashes = by_repeat(crash.get(W.THREAD_CRASH)) if crash else {}
    outcomes, shown = [], []
    for r in sorted(set(kills) | set(crashes)):
        k, c = (fault_of(kills[r]) if r in kills else None), (fault_of(crashes[r]) if r in crashes else None)
        outcomes.append(isolation_outcome(k, c))
        shown.append(f"killed worker: {_failed(k)}; crashed thread: {_failed(c)}")
    outcome, disagree, n = classify_repeats(outcomes, lambda o: o, "isolation")
    if not shown:
        return Scope("isolation", outcome, "the run holds neither crash experiment", n)
    return Scope("isolation", outcome, "; ".join(shown) + (f"; {disagree}" if disagree else ""), n)


def _failed(f: dict | None) -> str:
    if not f or "failed_requests" not in f:
        return "n/a"
    return f"{f['failed_requests']} failed of {f.get('victim_connections')} connections held"


def c13_figures(ev: Evidence) -> list[Figure]:
    figures = []
    variants = dict.fromkeys(v for pair in W.PAIRS for v in (pair.one, pair.four))
    for level, users in W.LEVELS:
        for v in variants:
            ms = ev.at(v, users)
            figures.append(Figure(f"{v.label}, {level}: total PSS", [pss(m) for m in ms], " MiB", 1, 1 / MiB))
            figures.append(Figure(f"{v.label}, {level}: total USS", [uss(m) for m in ms], " MiB", 1, 1 / MiB))
            figures.append(Figure(f"{v.label}, {level}: processes", [m.peak("processes") for m in ms]))
    return figures


def judge_c13(ev: Evidence | None, kill: Evidence | None = None, crash: Evidence | None = None) -> Verdict:
    if ev is None:
        return Verdict("C13", INCONCLUSIVE, C13_RULE.render(), f"no valid data yet for {W.C13_MEMORY.name}",
                       needs="manage.py bench --suite memory")
    scopes = [memory_scope(ev, pair, level, users) for pair in W.PAIRS for level, users in W.LEVELS]
    scopes.append(isolation_scope(kill, crash))
    verdict, why = combine(scopes, "scope")
    figures = c13_figures(ev)
    for name, found, variant in (("killed worker", kill, W.KILL_ONE_OF_FOUR), ("crashed thread", crash, W.THREAD_CRASH)):
        for m in (found.get(variant) if found else []):
            figures.append(text_figure(f"{name}, repeat {m.experiment_run.repeat + 1}", _failed(fault_of(m))))
    return Verdict("C13", verdict, C13_RULE.render(), why, figures, run_id=ev.run.id, suite=ev.run.suite,
                   experiment_run_ids=ev.experiment_run_ids, repeats=ev.repeats, scopes=scopes)
