"""Verdicts for the claims (../shared/CLAIMS.md), computed from stored measurements.

One function per claim. Each reads the newest valid evidence, applies the rule written in
its docstring and in ``rule`` (shown on the page next to the figures), and returns a
``Verdict``. Nothing here is typed in by hand: change the data, the verdict changes; change
the rule, and the page shows the new rule. A difference smaller than the spread of the
repeats is "no difference" (inconclusive).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from django.db.models import QuerySet

from bench.models import Run
from dashboard.evidence import Evidence, Measured, latest_evidence, median, spread

SUPPORTED, PARTLY, REFUTED, INCONCLUSIVE = "supported", "partly supported", "refuted", "inconclusive"


@dataclass
class Verdict:
    claim: str
    verdict: str
    rule: str
    why: str
    figures: list[tuple[str, str]] = field(default_factory=list)
    run_id: int | None = None
    experiment_run_ids: list[int] = field(default_factory=list)
    chart: dict | None = None
    needs: str = ""  # the command that produces evidence

    def as_dict(self) -> dict:
        return {"claim": self.claim, "verdict": self.verdict, "rule": self.rule, "why": self.why,
                "figures": [{"label": k, "value": v} for k, v in self.figures], "run_id": self.run_id,
                "experiment_run_ids": self.experiment_run_ids, "chart": self.chart, "needs": self.needs}


def _num(value: float | None, unit: str = "", digits: int = 1) -> str:
    return "n/a" if value is None else f"{value:,.{digits}f}{unit}"


def _no_data(claim: str, rule: str, experiments: str) -> Verdict:
    return Verdict(claim, INCONCLUSIVE, rule, f"no valid data yet for {experiments}",
                   needs=f"manage.py bench --suite quick --only {claim}")


def _values(ms: list[Measured], f: Callable[[Measured], float | None]) -> list[float | None]:
    return [f(m) for m in ms]


def _bar(title: str, unit: str, labels: list[str], values: list[float | None], label: str | None = None) -> dict:
    return {"type": "bar", "title": title, "unit": unit, "labels": labels,
            "datasets": [{"label": label or title, "data": values}]}


def _within_noise(a: list[float | None], b: list[float | None]) -> bool:
    """True when the medians differ by less than the larger spread of the repeats."""
    sa, sb = spread(a), spread(b)
    if sa is None and sb is None:
        return False  # a single repeat: the spread is unknown, the figures are shown as they are
    ma, mb = median(a), median(b)
    return ma is not None and mb is not None and abs(ma - mb) <= max(sa or 0, sb or 0)


def _base(evidence: Evidence) -> dict:
    return {"run_id": evidence.run.id, "experiment_run_ids": evidence.experiment_run_ids}


# --- C1 -------------------------------------------------------------------------------------

C1_RULE = ("On one CPU, saturated RPS of 4 workers vs 1 worker for Uvicorn: a drop of >= 20 % supports the "
           "claim, 5-20 % partly, < 5 % or a gain refutes it; inconclusive if the difference is within the "
           "spread of repeats.")


def verdict_c1(runs: QuerySet[Run] | None = None) -> Verdict:
    ev = latest_evidence("c1-workers-one-core-ping", runs)
    if ev is None:
        return _no_data("C1", C1_RULE, "c1-workers-one-core-ping")
    figures, labels, values = [], [], []
    for label, ms in ev.variants.items():
        rps = median(_values(ms, lambda m: m.main_endpoint().rps if m.main_endpoint() else None))
        labels.append(label)
        values.append(rps)
        figures.append((f"{label}: RPS / p99 / ctx switches per request",
                        f"{_num(rps, digits=0)} / {_num(median(_values(ms, lambda m: m.main_endpoint().p99)), ' ms', 0)}"
                        f" / {_num(median(_values(ms, Measured.ctx_switches_per_request)), '', 2)}"))
    one, four = ev.get("uvicorn 1w"), ev.get("uvicorn 4w")
    chart = _bar("Saturated RPS by deployment (one CPU)", "req/s", labels, values)
    if not one or not four:
        return Verdict("C1", INCONCLUSIVE, C1_RULE, "the run lacks uvicorn 1w or 4w", figures, chart=chart, **_base(ev))
    r1 = _values(one, lambda m: m.main_endpoint().rps)
    r4 = _values(four, lambda m: m.main_endpoint().rps)
    drop = 100 * (median(r1) - median(r4)) / median(r1)
    figures.insert(0, ("Uvicorn RPS drop, 1 -> 4 workers", _num(drop, " %")))
    if _within_noise(r1, r4):
        verdict, why = INCONCLUSIVE, f"the {drop:.1f} % difference is within the spread of repeats"
    elif drop >= 20:
        verdict, why = SUPPORTED, f"RPS dropped {drop:.1f} % (>= 20 %)"
    elif drop >= 5:
        verdict, why = PARTLY, f"RPS dropped {drop:.1f} % (between 5 and 20 %)"
    else:
        verdict, why = REFUTED, f"RPS changed by {-drop:+.1f} % (a drop under 5 % or a gain)"
    return Verdict("C1", verdict, C1_RULE, why, figures, chart=chart, **_base(ev))


# --- C2 -------------------------------------------------------------------------------------

C2_RULE = ("One CPU, CPU-heavy load plus a probe on ping. Supported if the probe's p99 under sync views on "
           "gthread is at most half its p99 under async views computing inline, and inline pushes the probe "
           "p99 to at least 0.8x the task length; partly if threads are better but not 2x; refuted if threads "
           "are not better.")


def verdict_c2(runs=None) -> Verdict:
    ev = latest_evidence("c2-preemption-probe", runs)
    if ev is None:
        return _no_data("C2", C2_RULE, "c2-preemption-probe")
    threads, inline = ev.get("gthread sync cpu"), ev.get("uvicorn async cpu inline")
    labels = list(ev.variants)
    probe = {label: median(_values(ms, lambda m: m.p("probe"))) for label, ms in ev.variants.items()}
    chart = _bar("Probe p99 beside CPU-heavy load", "ms", labels, [probe[v] for v in labels])
    switch_ms = 1000 * ev.run.environment.get("switch_interval_s", 0.005)
    figures = [("interpreter switch interval", _num(switch_ms, " ms"))]
    for label, ms in ev.variants.items():
        main = ms[0].main_endpoint()
        figures.append((f"{label}: probe p99 / {main.name if main else '?'} RPS / server CPU",
                        f"{_num(probe[label], ' ms', 0)} / {_num(median(_values(ms, lambda m: m.main_endpoint().rps)))}"
                        f" / {_num(median(_values(ms, lambda m: m.mean('cpu_percent'))), ' %', 0)}"))
    if not threads or not inline:
        return Verdict("C2", INCONCLUSIVE, C2_RULE, "the run lacks the gthread or the inline variant", figures,
                       chart=chart, **_base(ev))
    task_ms = median(_values(inline, lambda m: m.min_ms("cpu")))
    figures.insert(1, ("task length (fastest cpu response, inline)", _num(task_ms, " ms", 0)))
    pt, pi = _values(threads, lambda m: m.p("probe")), _values(inline, lambda m: m.p("probe"))
    if _within_noise(pt, pi):
        verdict, why = INCONCLUSIVE, "probe p99 differs by less than the spread of repeats"
    elif median(pt) >= median(pi):
        verdict, why = REFUTED, f"threads did not protect the probe ({median(pt):.0f} vs {median(pi):.0f} ms)"
    elif median(pt) <= 0.5 * median(pi) and task_ms is not None and median(pi) >= 0.8 * task_ms:
        verdict, why = SUPPORTED, (f"probe p99 {median(pt):.0f} ms with threads vs {median(pi):.0f} ms inline "
                                   f"(task {task_ms:.0f} ms)")
    else:
        verdict, why = PARTLY, (f"threads helped the probe ({median(pt):.0f} vs {median(pi):.0f} ms) but not 2x, "
                                "or inline did not reach the task length")
    return Verdict("C2", verdict, C2_RULE, why, figures, chart=chart, **_base(ev))


# --- C3 -------------------------------------------------------------------------------------

C3_RULE = ("One Uvicorn worker. Supported if io/blocking's RPS is within 25 % of workers x 1000/ms, the "
           "probe's p99 under io/blocking is >= ms (a cheap request waited out a whole blocking call), and "
           "under each fix (io/sleep, io/threadpool, io/background) the probe's p99 stays below ms (it never "
           "did); partly if blocking hurts the probe but another condition fails; refuted if the probe's p99 "
           "under io/blocking stays below ms.")


def verdict_c3(runs=None) -> Verdict:
    ev = latest_evidence("c3-blocking-in-async", runs)
    if ev is None:
        return _no_data("C3", C3_RULE, "c3-blocking-in-async")
    by_endpoint = {ms[0].experiment_run.params.get("endpoint"): ms for ms in ev.variants.values()}
    labels = list(by_endpoint)
    probe = {e: median(_values(ms, lambda m: m.p("probe"))) for e, ms in by_endpoint.items()}
    chart = _bar("Probe p99 while the worker serves each endpoint", "ms", labels, [probe[e] for e in labels])
    blocking = by_endpoint.get("io/blocking")
    if not blocking:
        return Verdict("C3", INCONCLUSIVE, C3_RULE, "the run lacks io/blocking", chart=chart, **_base(ev))
    ms_param = int(blocking[0].experiment_run.params.get("ms", 100))
    expected = blocking[0].workers() * 1000 / ms_param
    rps = median(_values(blocking, lambda m: m.rps("io/blocking")))
    figures = [("sleep length ms", str(ms_param)),
               ("io/blocking RPS vs workers x 1000/ms", f"{_num(rps)} vs {_num(expected)}")]
    figures += [(f"probe p99 under {e}", _num(probe[e], " ms", 0)) for e in labels]
    throughput_ok = rps is not None and abs(rps - expected) <= 0.25 * expected
    blocked = probe["io/blocking"] is not None and probe["io/blocking"] >= ms_param
    fixes = [e for e in ("io/sleep", "io/threadpool", "io/background") if e in probe]
    fixes_ok = bool(fixes) and all(probe[e] is not None and probe[e] < ms_param for e in fixes)
    if not blocked:
        verdict, why = REFUTED, f"the probe's p99 under io/blocking ({probe['io/blocking']} ms) stayed below {ms_param} ms"
    elif throughput_ok and fixes_ok and len(fixes) == 3:
        verdict, why = SUPPORTED, "blocking serialised the worker and every fix kept the probe fast"
    else:
        failed = [n for n, ok in (("throughput", throughput_ok), ("fixes", fixes_ok and len(fixes) == 3)) if not ok]
        verdict, why = PARTLY, f"blocking hurt the probe, but these conditions failed: {', '.join(failed)}"
    return Verdict("C3", verdict, C3_RULE, why, figures, chart=chart, **_base(ev))


# --- C4, C7, C9: whoami observations ----------------------------------------------------------

C4_RULE = ("Sampling whoami over fresh connections: supported if, for every ASGI deployment, the distinct "
           "(pid, event loop) pairs equal the worker count, each pid has one loop, and every async view ran on "
           "its process's main thread; refuted if any of these is violated.")


def verdict_c4(runs=None) -> Verdict:
    ev = latest_evidence("c4-loops-per-worker", runs)
    if ev is None or not any(ms[0].experiment_run.observations for ms in ev.variants.values()):
        return _no_data("C4", C4_RULE, "c4-loops-per-worker")
    figures, labels, pairs_count, problems, unsure = [], [], [], [], []
    for label, ms in ev.variants.items():
        er = ms[0].experiment_run
        obs = er.observations.get("/api", {})
        contexts = obs.get("contexts", [])
        workers = ms[0].workers()
        pairs = {(c["pid"], c["loop_id"]) for c in contexts}
        pids = {c["pid"] for c in contexts}
        loops_per_pid = max((sum(1 for p, _ in pairs if p == pid) for pid in pids), default=0)
        main = all(c["is_main_thread"] for c in contexts)
        labels.append(label)
        pairs_count.append(len(pairs))
        figures.append((f"{label}: workers / (pid, loop) pairs / max loops per pid / all on main thread",
                        f"{workers} / {len(pairs)} / {loops_per_pid} / {'yes' if main else 'no'}"))
        if loops_per_pid > 1 or not main or len(pairs) > workers or any(c["loop_id"] is None for c in contexts):
            problems.append(label)
        elif len(pairs) < workers:
            unsure.append(label)
    chart = _bar("Distinct (pid, event loop) pairs seen", "pairs", labels, pairs_count)
    if problems:
        verdict, why = REFUTED, f"violated by {', '.join(problems)}"
    elif unsure:
        verdict, why = INCONCLUSIVE, f"some workers of {', '.join(unsure)} never answered the samples"
    else:
        verdict, why = SUPPORTED, "one event loop per worker process, on its main thread, everywhere"
    return Verdict("C4", verdict, C4_RULE, why, figures, chart=chart, **_base(ev))


C7_RULE = ("Under Uvicorn, whoami from async views must report the main thread and a running loop, and from "
           "sync views a non-main thread and no loop: supported if every sample agrees, refuted otherwise.")


def verdict_c7(runs=None) -> Verdict:
    ev = latest_evidence("c7-who-runs-the-view", runs)
    observed = ev and any(ms[0].experiment_run.observations for ms in ev.variants.values())
    if not observed:
        return _no_data("C7", C7_RULE, "c7-who-runs-the-view")
    er = next(iter(ev.variants.values()))[0].experiment_run
    a = er.observations.get("/async", {}).get("contexts", [])
    s = er.observations.get("/sync", {}).get("contexts", [])
    async_ok = bool(a) and all(c["is_main_thread"] and c["loop_id"] for c in a)
    sync_ok = bool(s) and all(not c["is_main_thread"] and c["loop_id"] is None for c in s)
    names = sorted({n for c in s for n in c["thread_names"]})[:4]
    figures = [("async views on the main thread with a loop", f"{sum(c['count'] for c in a if c['is_main_thread'])}"
                f" of {sum(c['count'] for c in a)}"),
               ("sync views off the main thread without a loop",
                f"{sum(c['count'] for c in s if not c['is_main_thread'] and c['loop_id'] is None)} of "
                f"{sum(c['count'] for c in s)}"),
               ("sync view thread names (sample)", ", ".join(names))]
    chart = _bar("Samples on the main thread", "samples", ["async views", "sync views"],
                 [sum(c["count"] for c in a if c["is_main_thread"]), sum(c["count"] for c in s if c["is_main_thread"])])
    verdict = SUPPORTED if async_ok and sync_ok else REFUTED
    why = "every sample agreed" if verdict == SUPPORTED else "some samples ran elsewhere than claimed"
    return Verdict("C7", verdict, C7_RULE, why, figures, chart=chart, **_base(ev))


C9_RULE = "Covered by C4 and C7: supported if both are supported, refuted if either is refuted."


def verdict_c9(runs=None) -> Verdict:
    c4, c7 = verdict_c4(runs), verdict_c7(runs)
    figures = [("C4", c4.verdict), ("C7", c7.verdict)]
    if SUPPORTED == c4.verdict == c7.verdict:
        verdict = SUPPORTED
    elif REFUTED in (c4.verdict, c7.verdict):
        verdict = REFUTED
    else:
        verdict = INCONCLUSIVE
    return Verdict("C9", verdict, C9_RULE, f"C4 {c4.verdict}, C7 {c7.verdict}", figures, run_id=c4.run_id,
                   experiment_run_ids=c4.experiment_run_ids + c7.experiment_run_ids,
                   needs="" if verdict != INCONCLUSIVE else "manage.py bench --suite quick --only C4,C7")


# --- C5 -------------------------------------------------------------------------------------

C5_RULE = ("Event-loop lag of the ASGI worker, median over the measured step of each sample's worst lag: "
           "supported if it stays <= 10 ms under non-blocking load and reaches >= half the blocking call's "
           "length under io/blocking; partly if both rise; refuted if blocking load leaves it low.")


def verdict_c5(runs=None) -> Verdict:
    ev = latest_evidence("c5-event-loop-lag", runs)
    if ev is None:
        return _no_data("C5", C5_RULE, "c5-event-loop-lag")
    by_endpoint = {ms[0].experiment_run.params.get("endpoint"): ms for ms in ev.variants.values()}
    lag = {e: median(_values(ms, Measured.median_loop_lag_ms)) for e, ms in by_endpoint.items()}
    worst = {e: median(_values(ms, Measured.max_loop_lag_ms)) for e, ms in by_endpoint.items()}
    labels = list(by_endpoint)
    chart = _bar("Event-loop lag (median of per-sample worst)", "ms", labels, [lag[e] for e in labels])
    figures = [(f"{e}: lag median / worst", f"{_num(lag[e], ' ms')} / {_num(worst[e], ' ms')}") for e in labels]
    if "io/blocking" not in lag or "io/sleep" not in lag or lag["io/blocking"] is None or lag["io/sleep"] is None:
        return Verdict("C5", INCONCLUSIVE, C5_RULE, "lag was not sampled for both loads", figures, chart=chart,
                       **_base(ev))
    ms_param = int(by_endpoint["io/blocking"][0].experiment_run.params.get("ms", 100))
    figures.insert(0, ("blocking call length", f"{ms_param} ms"))
    high = lag["io/blocking"] >= ms_param / 2
    low = lag["io/sleep"] <= 10
    if high and low:
        verdict, why = SUPPORTED, f"lag {lag['io/sleep']:.1f} ms when yielding, {lag['io/blocking']:.0f} ms when blocking"
    elif high:
        verdict, why = PARTLY, "blocking raised the lag, but the loop also lagged under non-blocking load"
    else:
        verdict, why = REFUTED, f"blocking load left the lag at {lag['io/blocking']:.1f} ms"
    return Verdict("C5", verdict, C5_RULE, why, figures, chart=chart, **_base(ev))


# --- C6 -------------------------------------------------------------------------------------

C6_RULE = ("5 MB bodies on one Uvicorn worker. The claim has three testable parts: orjson parses faster (json "
           "p50 / orjson p50 >= 1.2), offloading the parse frees the loop (probe p99 inline / offloaded >= "
           "1.5), streaming saves memory (peak USS buffered / streamed >= 1.2). Supported if bodies are served "
           "without failures and all three hold; partly if one or two hold; refuted if none does or bodies fail.")


def verdict_c6(runs=None) -> Verdict:
    ev = latest_evidence("c6-big-bodies", runs)
    if ev is None:
        return _no_data("C6", C6_RULE, "c6-big-bodies")

    def med(label: str, f) -> float | None:
        return median(_values(ev.get(label), f)) if ev.get(label) else None

    def main_p50(m: Measured):
        return m.main_endpoint().p50 if m.main_endpoint() else None

    labels = list(ev.variants)
    figures = [(f"{label}: RPS / p50 / probe p99 / peak USS", f"{_num(med(label, lambda m: m.main_endpoint().rps))} / "
                f"{_num(med(label, main_p50), ' ms', 0)} / {_num(med(label, lambda m: m.p('probe')), ' ms', 0)} / "
                f"{_num((med(label, lambda m: m.peak('uss_bytes')) or 0) / 2**20, ' MiB', 0)}") for label in labels]
    chart = _bar("Probe p99 while 5 MB bodies are handled", "ms", labels,
                 [med(label, lambda m: m.p("probe")) for label in labels])
    failures = sum(m.failures() for ms in ev.variants.values() for m in ms)
    parts = {}

    def ratio(a, b):
        return a / b if a is not None and b else None

    parts["orjson faster"] = ratio(med("json json inline", main_p50), med("json orjson inline", main_p50))
    parts["offload frees the loop"] = ratio(med("json orjson inline", lambda m: m.p("probe")),
                                            med("json orjson offloaded", lambda m: m.p("probe")))
    parts["streaming saves memory"] = ratio(med("upload buffer", lambda m: m.peak("uss_bytes")),
                                            med("upload stream", lambda m: m.peak("uss_bytes")))
    thresholds = {"orjson faster": 1.2, "offload frees the loop": 1.5, "streaming saves memory": 1.2}
    figures = [(f"{k} (ratio, needs >= {thresholds[k]})", _num(v, "x", 2)) for k, v in parts.items()] + figures
    figures.append(("failed requests", str(failures)))
    held = [k for k, v in parts.items() if v is not None and v >= thresholds[k]]
    if failures or not any(v is not None for v in parts.values()):
        verdict, why = REFUTED if failures else INCONCLUSIVE, (f"{failures} requests failed" if failures
                                                                 else "no comparable variants")
    elif len(held) == 3:
        verdict, why = SUPPORTED, "all three parts held"
    elif held:
        verdict, why = PARTLY, f"held: {', '.join(held)}; not: {', '.join(k for k in parts if k not in held)}"
    else:
        verdict, why = REFUTED, "none of the three parts held"
    return Verdict("C6", verdict, C6_RULE, why, figures, chart=chart, **_base(ev))


# --- C8 -------------------------------------------------------------------------------------

C8_RULE = ("Hundreds of concurrent 100 ms requests. Supported if one Uvicorn worker serves >= 2x the RPS of "
           "gthread 2x8 (whose RPS is within 20 % of workers x threads x 1000/ms) and a thread costs >= 4 MB "
           "of real memory (USS); partly if coroutines win but a thread's real cost is far below its 8 MB "
           "(virtual) stack reservation; refuted if coroutines do not win by 1.2x.")


def verdict_c8(runs=None) -> Verdict:
    ev = latest_evidence("c8-many-slow-requests", runs)
    if ev is None:
        return _no_data("C8", C8_RULE, "c8-many-slow-requests")
    small, big, loop = ev.get("gthread 2w x 8t"), ev.get("gthread 2w x 64t"), ev.get("uvicorn 1w")
    labels = list(ev.variants)
    rps = {label: median(_values(ms, lambda m: m.main_endpoint().rps)) for label, ms in ev.variants.items()}
    chart = _bar("RPS with hundreds of slow requests", "req/s", labels, [rps[v] for v in labels])
    figures = [(f"{label}: RPS / p99 / peak USS / threads",
                f"{_num(rps[label], digits=0)} / {_num(median(_values(ms, lambda m: m.main_endpoint().p99)), ' ms', 0)}"
                f" / {_num((median(_values(ms, lambda m: m.peak('uss_bytes'))) or 0) / 2**20, ' MiB', 0)}"
                f" / {_num(median(_values(ms, lambda m: m.peak('threads'))), '', 0)}") for label, ms in ev.variants.items()]
    if not small or not loop:
        return Verdict("C8", INCONCLUSIVE, C8_RULE, "the run lacks gthread 2w x 8t or uvicorn 1w", figures,
                       chart=chart, **_base(ev))
    d = small[0].experiment_run.deployment or {}
    ms_param = int(small[0].experiment_run.params.get("ms", 100))
    cap = d.get("workers", 2) * (d.get("threads") or 8) * 1000 / ms_param
    advantage = rps["uvicorn 1w"] / rps["gthread 2w x 8t"] if rps["gthread 2w x 8t"] else None
    figures.insert(0, ("gthread 2x8 RPS vs its cap workers x threads x 1000/ms",
                       f"{_num(rps['gthread 2w x 8t'])} vs {_num(cap)}"))
    figures.insert(1, ("Uvicorn 1w / gthread 2x8 RPS", _num(advantage, "x", 2)))
    uss_per_thread = vms_per_thread = None
    if big:
        extra_threads = median(_values(big, lambda m: m.peak("threads"))) - median(_values(small, lambda m: m.peak("threads")))
        if extra_threads and extra_threads > 0:
            uss_per_thread = (median(_values(big, lambda m: m.peak("uss_bytes"))) -
                              median(_values(small, lambda m: m.peak("uss_bytes")))) / extra_threads
            vms_per_thread = (median(_values(big, lambda m: m.peak("vms_bytes"))) -
                              median(_values(small, lambda m: m.peak("vms_bytes")))) / extra_threads
    per_coroutine = None
    base, peak = loop[0].before_step("uss_bytes"), median(_values(loop, lambda m: m.peak("uss_bytes")))
    if base is not None and peak is not None:
        per_coroutine = max(0.0, peak - base) / loop[0].step.users
    figures.insert(2, ("per in-flight request on Uvicorn (USS growth / concurrent requests)",
                       _num(per_coroutine and per_coroutine / 2**10, " KiB", 1)))
    figures.insert(2, ("per extra thread: real (USS) / virtual size",
                       f"{_num(uss_per_thread and uss_per_thread / 2**10, ' KiB', 0)} / "
                       f"{_num(vms_per_thread and vms_per_thread / 2**20, ' MiB', 1)}"))
    db = latest_evidence("c8-db-drivers", runs)
    if db:
        for label, ms in db.variants.items():
            figures.append((f"db/read {label}: RPS / p50",
                            f"{_num(median(_values(ms, lambda m: m.main_endpoint().rps)), digits=0)} / "
                            f"{_num(median(_values(ms, lambda m: m.main_endpoint().p50)), ' ms', 0)}"))
    cap_ok = rps["gthread 2w x 8t"] is not None and abs(rps["gthread 2w x 8t"] - cap) <= 0.2 * cap
    if advantage is None or advantage < 1.2:
        verdict, why = REFUTED, f"coroutines served {_num(advantage, 'x', 2)} the RPS of the thread pool"
    elif advantage >= 2 and cap_ok and uss_per_thread is not None and uss_per_thread >= 4 * 2**20:
        verdict, why = SUPPORTED, "coroutines won and threads cost megabytes each"
    else:
        verdict, why = PARTLY, (f"coroutines served {advantage:.1f}x the RPS of gthread 2x8 (cap model "
                                f"{'holds' if cap_ok else 'off'}), but a thread's real memory cost is "
                                f"{_num(uss_per_thread and uss_per_thread / 2**10, ' KiB', 0)}, not 8 MB")
    return Verdict("C8", verdict, C8_RULE, why, figures, chart=chart, **_base(ev))


VERDICTS: dict[str, Callable[..., Verdict]] = {
    "C1": verdict_c1, "C2": verdict_c2, "C3": verdict_c3, "C4": verdict_c4, "C5": verdict_c5,
    "C6": verdict_c6, "C7": verdict_c7, "C8": verdict_c8, "C9": verdict_c9,
}


def all_verdicts(runs: QuerySet[Run] | None = None) -> list[Verdict]:
    return [f(runs) for f in VERDICTS.values()]
