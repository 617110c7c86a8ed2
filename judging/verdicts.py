"""Verdicts for the claims (docs/claims.md), computed from stored measurements.

A functional core and an imperative shell. The core is one pure function per claim,
``judge_cX``: it takes evidence already read (``bench.evidence.Evidence``, the pgbench ceiling,
the ladder's figures, for C9 the C4 and C7 verdicts), refers to the compared configurations by
their objects in ``bench.experiments``, applies its ``Rule`` (thresholds as data, rendered on the
card) and returns a ``Verdict`` with medians and ranges over repeats. No query runs inside it, so
it is tested on evidence built in memory (tests/unit) and mutation-tested cheaply. Missing or
invalid data gives ``inconclusive`` with the command that would produce it, never ``refuted``; a
verdict resting on one repeat is marked provisional.

The shell, at the end of this file, is ``verdict_cX(runs)``: it reads the newest quick or full run
holding the claim's experiments (or the runs it is given) through ``bench.evidence``, reads every
other part of the card from that same run, and calls the core. The pages call the shell.
"""
from __future__ import annotations

from typing import Callable

from django.db.models import QuerySet

from bench import experiments as X
from bench.models import Run
from bench.evidence import Evidence, Measured, latest_evidence, verdict_runs
from bench.grid_evidence import GridEvidence, fullest_grid_run, read_grid
from bench.in_flight import GRID_WAITS_S as X_GRID_WAITS, STACKS as _GRID_STACKS
from bench.suites import SUITES
from judging import in_flight as G
from judging.advice import C12_RULE, judge_c12
from judging.server_push import PUSH_RULE as C14_RULE, judge_c14
from bench.server_push import PUSH, PUSH_BURST
from bench.upstream_calls import UPSTREAM
from judging.upstream_calls import UPSTREAM_RULE as C15_RULE, judge_c15
from judging.cores import C10_RULE, judge_c10
from judging.worker_memory import C13_RULE, judge_c13
from bench import worker_memory as W
from bench.two_cores import C10_FULL
from bench import handover as HO
from judging.handover import HANDOVER_RULE as C11_RULE, judge_c11
from bench.knees import run_knees
from bench.curves import DEFAULT_SLO_MS
from judging.ladders import async_orm_cost_figures
from judging.core import (INCONCLUSIVE, PARTLY, REFUTED, SUPPORTED, Beside, Figure, Judged, Rule, Scope, Verdict,
                               banded, bar, classify_repeats, combine, median, paired, ratio,
                               text_figure, versus_limit)

MiB, KiB = 2**20, 2**10
X_DJANGO_UVICORN = next(s.name for s in _GRID_STACKS if s.role == "django-asgi")  # stock Django, Uvicorn 1w
X_FASTAPI = next(s.name for s in _GRID_STACKS if s.role == "reference")


def _no_data(claim: str, rule: Rule, experiments: str, suite: str = "quick") -> Verdict:
    return Verdict(claim, INCONCLUSIVE, rule.render(), f"no valid data yet for {experiments}",
                   needs=f"manage.py bench --suite {suite} --only {claim}")


def _values(ms: list[Measured], f: Callable[[Measured], float | None]) -> list[float | None]:
    """Each repeat's figure. Arithmetic on a figure the step lacks (None) gives None, never an
    exception; a misspelt attribute is an AttributeError, never a quietly missing figure."""
    out = []
    for m in ms:
        try:
            out.append(f(m))
        except (TypeError, ZeroDivisionError):
            out.append(None)
    return out


def _main_rps(m: Measured) -> float | None:
    main = m.main_endpoint()
    return main.rps if main is not None else None


def _base(ev: Evidence) -> dict:
    return {"run_id": ev.run.id, "suite": ev.run.suite, "experiment_run_ids": ev.experiment_run_ids,
            "repeats": ev.repeats}


def _rps(name: str) -> Callable[[Measured], float | None]:
    return lambda m: m.rps(name)


def _p99(name: str) -> Callable[[Measured], float | None]:
    return lambda m: m.p(name)


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


def _server_cpu(m: Measured) -> float | None:
    return m.mean("cpu_percent")


def _saturated(ms: list[Measured], endpoint: str) -> list[float | None]:
    """Each repeat's RPS, or None where the server's CPU shows it was not the limit (or unknown)."""
    return [m.rps(endpoint) if (_server_cpu(m) or 0) >= C1_RULE["saturated_cpu"] else None for m in ms]


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
    pairs = paired(_values(one, _rps(endpoint)), _values(four, _rps(endpoint)))
    drops = [100 * (a - b) / a for a, b in pairs if a]
    cells = [(a, b, m1, m4) for (a, b), m1, m4 in zip(paired(_saturated(one, endpoint), _saturated(four, endpoint)),
                                                     one, four) if a]
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


# --- PostgreSQL alone: the ceiling under db/read ---------------------------------------------

def pg_ceiling(ev: Evidence | None) -> dict[str, float]:
    """pgbench's median rate for db/read's query, per driver it stands for: the ORM sends simple
    queries, the native psycopg driver prepared statements. Empty without a pgbench run."""
    if ev is None:
        return {}
    found = {"orm": median(_values(ev.get(X.PG_ALONE_SIMPLE), _rps(X.PGBENCH_ENDPOINT))),
             "native": median(_values(ev.get(X.PG_ALONE_PREPARED), _rps(X.PGBENCH_ENDPOINT)))}
    return {driver: rps for driver, rps in found.items() if rps}


def ceiling_figures(label: str, ms: list[Measured], driver: str, ceiling: dict[str, float]) -> list[Figure]:
    """A stack's db/read RPS as a share of what PostgreSQL alone served of the same query."""
    if driver not in ceiling:
        return []
    return [Figure(f"{label}: db/read as a share of PostgreSQL alone ({ceiling[driver]:,.0f} q/s, pgbench)",
                   [None if r is None else 100 * r / ceiling[driver] for r in _values(ms, _rps("db/read"))],
                   " %", 1)]


def judge_c1(ev: Evidence | None, ceiling: dict[str, float]) -> Verdict:
    """``ceiling``: PostgreSQL alone (``pg_ceiling``) from the same run, db/read's shares of it shown."""
    if ev is None:
        return _no_data("C1", C1_RULE, X.C1_FULL.name)
    scopes, drops, figures, chart = [], [], [], {}
    for endpoint in X.C1_WORKLOADS:
        for stack in X.C1_STACKS:
            one = ev.get(X.c1_variant(stack, 1, endpoint))
            if not one:
                continue
            r1 = _values(one, _rps(endpoint))
            for workers in (2, 4):
                other = ev.get(X.c1_variant(stack, workers, endpoint))
                if other:
                    chart.setdefault(f"{stack} {workers}w", {})[endpoint] = ratio(
                        median(_values(other, _rps(endpoint))), median(r1))
            for workers in (1, 2, 4):
                ms = ev.get(X.c1_variant(stack, workers, endpoint))
                if ms:
                    figures.append(Figure(f"{endpoint} · {stack} {workers}w: RPS", _values(ms, _rps(endpoint))))
                    figures.append(Figure(f"{endpoint} · {stack} {workers}w: p99", _values(ms, _p99(endpoint)), " ms"))
                    figures.append(Figure(f"{endpoint} · {stack} {workers}w: server CPU", _values(ms, _server_cpu),
                                          " %"))
                    figures.append(Figure(f"{endpoint} · {stack} {workers}w: context switches per request",
                                          _values(ms, Measured.ctx_switches_per_request), "", 2))
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
                             {k: [v.get(e) for e in endpoints] for k, v in chart.items()}), **_base(ev))


# --- C2 -------------------------------------------------------------------------------------

C2_RULE = Rule(
    "One core; 1, 2 and 4 CPU-heavy users beside a probe on ping. At each level, repeat by repeat: supported "
    "if the probe's p99 under sync views on gthread stays near the switch interval (<= {intervals:.0f} intervals "
    "per heavy user, and <= {far_below} x the task length) while async views computing inline push it to >= "
    "{reach} x the task length; refuted if threads do not lower the probe's p99 at all; partly if threads "
    "lower it without meeting both bounds; inconclusive when the repeats disagree. Switch interval and task "
    "length are read in the server. The utilisation half (a mixed load of sleeps and offloaded CPU on async "
    "views) holds if the server's CPU is >= {cpu:.0f} % of the core in every repeat and every probe request "
    "was answered; it is out of scope when the load asks for {trivial_cores:.0f} cores or more (every model "
    "keeps one core busy then). Overall: levels and the utilisation half added up.",
    {"intervals": 4, "far_below": 0.5, "reach": 0.8, "cpu": 90, "trivial_cores": 2})


def _task_ms(ms: list[Measured], endpoint: str = "cpu") -> float | None:
    """The CPU task's length as the server timed it; the fastest response if it did not."""
    timed = median(_values(ms, lambda m: m.server_timing(endpoint, "work")))
    return timed if timed is not None else median(_values(ms, lambda m: m.min_ms(endpoint)))


def _switch_interval_ms(ev: Evidence, variant: X.Variant) -> float | None:
    for m in ev.get(variant):
        found = [c.switch_interval_s for c in m.experiment_run.observed.contexts("/api") if c.switch_interval_s]
        if found:
            return 1000 * found[0]
    return None


def _c2_level(name: str, users: int, threads: list, inline: list, switch_ms: float | None,
              task_ms: float | None) -> Scope:
    """One level: each repeat's pair (threads, inline) falls on one side of the rule; the level's
    outcome is the side every repeat agrees on."""
    if switch_ms is None or task_ms is None:
        return Scope(name, INCONCLUSIVE, "the switch interval or the task length was not read", 0)
    pairs = paired(threads, inline)
    if not pairs:
        missing = "gthread" if not any(v is not None for v in threads) else "inline coroutines"
        return Scope(name, INCONCLUSIVE, f"no valid {missing} figure at this level", 0)
    near = min(C2_RULE["intervals"] * users * switch_ms, C2_RULE["far_below"] * task_ms)

    def side(pair: tuple[float, float]) -> str:
        t, i = pair
        if t >= i:
            return REFUTED
        return SUPPORTED if t <= near and i >= C2_RULE["reach"] * task_ms else PARTLY

    outcome, disagree, n = classify_repeats(list(range(len(pairs))), lambda k: side(pairs[k]))
    told = ", ".join(f"{t:.0f} vs {i:.0f} ms" for t, i in pairs)
    return Scope(name, outcome, f"probe p99, threads vs inline per repeat: {told} (near the switch interval: <= "
                                f"{near:.0f} ms)" + (f"; {disagree}" if disagree else ""), n)


def _cores_asked(ms: list[Measured]) -> float | None:
    """What the mixed load asks of the CPU: users x work / (sleep + work), with the work as the
    server timed it. Well above one core, any model keeps the core busy and the half cannot fail."""
    if not ms:
        return None
    sleep_ms = float(ms[0].experiment_run.params.get("ms", X.C2_MIXED_KNOBS["ms"]))
    work = median(_values(ms, lambda m: m.server_timing("mixed", "work")))
    return None if work is None else ms[0].step.users * work / (sleep_ms + work)


def _c2_utilisation(mixed: list[Measured], cpu: list[float | None], demand: float | None) -> Scope:
    name = "utilisation"
    if not mixed or median(cpu) is None:
        return Scope(name, INCONCLUSIVE, "no server CPU samples for the mixed load", 0)
    if demand is not None and demand >= C2_RULE["trivial_cores"]:
        return Scope(name, INCONCLUSIVE, f"the load asks for {demand:.1f} cores: any model keeps one core busy, "
                                         "so this half cannot fail here", in_scope=False)
    answered = all(m.answered("probe") for m in mixed)
    busy = versus_limit(cpu, C2_RULE["cpu"])
    outcome = REFUTED if not answered else busy
    return Scope(name, outcome, f"CPU per repeat {', '.join(f'{c:.0f} %' for c in cpu if c is not None)}, probe "
                                f"{'answered' if answered else 'failed or silent'}"
                                + (" (repeats on both sides of the limit)" if busy == INCONCLUSIVE else ""),
                 sum(1 for c in cpu if c is not None))


def judge_c2(ev: Evidence | None) -> Verdict:
    if ev is None:
        return _no_data("C2", C2_RULE, X.C2_FULL.name)
    switch_ms = _switch_interval_ms(ev, X.C2_THREADS)
    task_ms = _task_ms(ev.at(X.C2_INLINE, min(ev.users_levels(X.C2_INLINE), default=0)))
    figures = [Figure("switch interval (read in the gthread server)", [switch_ms], " ms", 1),
               Figure("task length (inline cpu, one heavy user)", [task_ms], " ms")]
    scopes, chart = [], {}
    # every level either side measured: a level the threads side lacks is missing data, not absent
    levels = sorted(set(ev.users_levels(X.C2_THREADS)) | set(ev.users_levels(X.C2_INLINE)))
    for users in levels:
        threads = _values(ev.at(X.C2_THREADS, users), _p99("probe"))
        inline = _values(ev.at(X.C2_INLINE, users), _p99("probe"))
        offloaded = _values(ev.at(X.C2_OFFLOADED, users), _p99("probe"))
        for name, values in (("gthread threads", threads), ("inline coroutines", inline),
                             ("offloaded coroutines", offloaded)):
            figures.append(Figure(f"{users} heavy: probe p99 under {name}", values, " ms"))
            chart.setdefault(name, []).append(median(values))
        scopes.append(_c2_level(f"{users} heavy user{'s' if users > 1 else ''}", users, threads, inline, switch_ms,
                                task_ms))
    mixed = ev.get(X.C2_MIXED_ASYNC)
    cpu = _values(mixed, _server_cpu)
    figures += [Figure("mixed load, async + offload: server CPU", cpu, " %"),
                Figure("mixed load, async + offload: probe p99", _values(mixed, _p99("probe")), " ms"),
                Figure("mixed load, gthread: server CPU", _values(ev.get(X.C2_MIXED_THREADS), _server_cpu), " %")]
    demand = _cores_asked(mixed)
    if demand is not None:
        figures.append(Figure("mixed load: cores the load asks for (users x work / (sleep + work))", [demand], "", 1))
    scopes.append(_c2_utilisation(mixed, cpu, demand))
    verdict, why = combine(scopes, "level")
    return Verdict("C2", verdict, C2_RULE.render(), why, figures, scopes=scopes,
                   chart=bar("Probe p99 beside CPU-heavy users", "ms", [f"{u} heavy" for u in levels], chart),
                   **_base(ev))


# --- FastAPI beside Django ------------------------------------------------------------------
# C3-C7 are also judged on FastAPI, the framework the source document reasons with: the same
# rule, the same thresholds, on FastAPI's own cells of the same experiment. The verdict stays
# Django's (the lab's subject); FastAPI's outcome is shown beside it, with its scopes.

SAME_RULE = (" FastAPI on the same Uvicorn is judged by the same rule on its own cells and shown beside "
             "the verdict, which is Django's.")


def _needs(claim: str, variants) -> str:
    """The command that produces ``variants``' data: the quick suite when it runs them all."""
    quick = {v for e in SUITES["quick"] for v in e.variants}
    return f"manage.py bench --suite {'quick' if set(variants) <= quick else 'full'} --only {claim}"


def _two_frameworks(claim: str, rule: Rule, ev: Evidence | None, django: Judged, fastapi: Judged,
                    fastapi_variants, **kw) -> Verdict:
    """The verdict from Django's outcome, FastAPI's beside it: a second badge, its scopes
    prefixed "FastAPI", its figures after Django's; missing data says what to run."""
    base = _base(ev) if ev else {}
    needs = f"manage.py bench --suite quick --only {claim}" if django.outcome == INCONCLUSIVE else ""
    verdict = Verdict(claim, django.outcome, rule.render(), django.why, django.figures + fastapi.figures,
                      scopes=list(django.scopes) or [Scope("Django", django.outcome, django.why)], needs=needs,
                      **kw, **base)
    fastapi_needs = _needs(claim, fastapi_variants) if fastapi.outcome == INCONCLUSIVE else ""
    verdict.beside.append(Beside("FastAPI", fastapi.outcome, fastapi.why, fastapi_needs))
    verdict.scopes.append(Scope("FastAPI", fastapi.outcome, fastapi.why + (f" (run: {fastapi_needs})"
                                                                          if fastapi_needs else "")))
    verdict.scopes += [Scope(f"FastAPI: {s.name}", s.outcome, s.why) for s in fastapi.scopes]
    return verdict


def _judge_both(claim: str, rule: Rule, experiment: X.Experiment, ev: Evidence | None, judge, cells,
                present) -> Verdict:
    """``judge(ev, cells, name)`` -> (Judged, what the chart needs) for Django's cells and FastAPI's
    (``cells``: the pair, FastAPI's with its variants for the command); ``present(django_extra,
    fastapi_extra)`` -> the Verdict's chart and note."""
    (django_cells, fastapi_cells, fastapi_variants) = cells
    if ev is None:
        return _nothing_yet(claim, rule, experiment, fastapi_variants)
    django, django_extra = judge(ev, django_cells, "Django")
    fastapi, fastapi_extra = judge(ev, fastapi_cells, "FastAPI")
    return _two_frameworks(claim, rule, ev, django, fastapi, fastapi_variants, **present(django_extra, fastapi_extra))


def _role(variant: X.Variant) -> str:
    """A variant's cell without its server: "uvicorn 1w io/sleep" and "fastapi 1w io/sleep" -> "io/sleep"."""
    return variant.label.split(" ", 2)[-1] if " 1w " in variant.label else variant.label.removeprefix("fastapi ")


def _nothing_yet(claim: str, rule: Rule, experiment: X.Experiment, fastapi_variants) -> Verdict:
    """No run holds the experiment: both frameworks inconclusive, each with what to run."""
    return _two_frameworks(claim, rule, None, Judged(INCONCLUSIVE, f"no valid data yet for {experiment.name}"),
                           Judged(INCONCLUSIVE, "no FastAPI data yet"), fastapi_variants)


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
    probe = {v: _values(ev.get(v), _p99("probe")) for v in cells.variants}
    figures = [Figure(f"probe p99: {v.label}", probe[v], " ms") for v in cells.variants]
    by_role = {_role(v): median(probe[v]) for v in cells.variants}
    baseline, blocked = probe[cells.unloaded], probe[cells.blocking]
    if median(baseline) is None or median(blocked) is None:
        return Judged(INCONCLUSIVE, "the run lacks the unloaded probe or io/blocking", figures), by_role
    ms_param = X.C3_MS
    blocking = ev.get(cells.blocking)
    expected = blocking[0].workers() * 1000 / ms_param
    rps = _values(blocking, _rps("io/blocking"))
    allowed = [max(C3_RULE["factor"] * b, b + C3_RULE["margin_ms"]) for b in baseline if b is not None]
    figures[:0] = [Figure(f"{name}: io/blocking RPS (expected workers x 1000/ms)", rps,
                          f" (expected {expected:.0f})", 1),
                   Figure(f"{name}: probe p99 allowed under a fix (per repeat)", allowed, " ms")]
    held = lambda ok: lambda v: SUPPORTED if ok(v) else REFUTED  # noqa: E731
    out, _, n = classify_repeats(blocked, held(lambda v: v >= ms_param))
    scopes = [Scope("io/blocking", out, f"probe p99 per repeat {_listed(blocked, ' ms')} vs a {ms_param} ms "
                                        "blocking call", n)]
    out, _, n = classify_repeats(rps, held(lambda v: abs(v - expected) <= C3_RULE["rps_tolerance"] * expected))
    scopes.append(Scope("throughput", out, f"io/blocking RPS per repeat {_listed(rps)} (expected {expected:.0f})", n))
    for fix in cells.fixes:
        pairs = paired(baseline, probe[fix])
        ok = [max(C3_RULE["factor"] * b, b + C3_RULE["margin_ms"]) - p for b, p in pairs]  # >= 0: within bounds
        out, disagree, n = classify_repeats(ok, held(lambda v: v >= 0))
        scopes.append(Scope(_role(fix), out, "no data" if not pairs else
                            f"probe p99 per repeat {_listed([p for _, p in pairs], ' ms')}"
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


def _listed(values: list[float | None], unit: str = "") -> str:
    return ", ".join("n/a" if v is None else f"{v:,.0f}{unit}" for v in values) or "none"


def _c3_chart(django_p99: dict, fastapi_p99: dict) -> dict:
    roles = list(django_p99)
    return {"chart": bar("Probe p99 while one worker serves each endpoint", "ms", roles,
                         {"Django": [django_p99[r] for r in roles], "FastAPI": [fastapi_p99.get(r) for r in roles]})}


def judge_c3(ev: Evidence | None) -> Verdict:
    return _judge_both("C3", C3_RULE, X.C3, ev, _c3, (X.C3_DJANGO, X.C3_FASTAPI, X.C3_FASTAPI.variants),
                       _c3_chart)


# --- C4, C7, C9: whoami observations ----------------------------------------------------------

C4_RULE = Rule(
    "Sampling whoami over fresh connections: supported if, for every ASGI deployment, the distinct (pid, event "
    "loop) pairs equal the worker count, each pid has one loop, and every async view ran on its process's main "
    "thread; refuted if any of these is violated; inconclusive if some worker never answered." + SAME_RULE, {})


def _c4(ev: Evidence, variants: tuple[X.Variant, ...], name: str) -> tuple[Judged, dict[str, float | None]]:
    """One framework's C4 outcome over its deployments, and the (pid, loop) pairs each showed. A
    deployment without samples (silent) and one some of whose workers never answered (short)
    leave it open, each said as what it is."""
    figures, pairs_count, problems, silent, short = [], {}, [], [], []
    for variant in variants:
        ms = ev.get(variant)
        contexts = [c for m in ms for c in m.experiment_run.observed.contexts("/api")]
        if not contexts:
            silent.append(variant.label)
            continue
        workers = ms[0].workers()
        pairs = {(c.pid, c.loop_id) for c in contexts}  # repeats run servers of their own: pids differ
        pairs_by_repeat = [{(c.pid, c.loop_id) for c in m.experiment_run.observed.contexts("/api")}
                           for m in ms if m.experiment_run.observed.whoami("/api")]
        loops_per_pid = max((sum(1 for p, _ in pairs if p == pid) for pid in {p for p, _ in pairs}), default=0)
        main = all(c.is_main_thread for c in contexts)
        pairs_count[variant.label] = median([len(p) for p in pairs_by_repeat])
        figures.append(Figure(f"{variant.label}: (pid, loop) pairs per repeat (workers {workers})",
                              [len(p) for p in pairs_by_repeat]))
        figures.append(text_figure(f"{variant.label}: max loops per pid / all on main thread",
                                   f"{loops_per_pid} / {'yes' if main else 'no'}"))
        if loops_per_pid > 1 or not main or any(len(p) > workers for p in pairs_by_repeat) \
                or any(c.loop_id is None for c in contexts):
            problems.append(variant.label)
        elif any(len(p) < workers for p in pairs_by_repeat):
            short.append(variant.label)
    if problems:
        return Judged(REFUTED, f"violated by {', '.join(problems)}", figures), pairs_count
    if silent or short:
        why = [f"some workers of {', '.join(short)} never answered the samples"] if short else []
        why += [f"no whoami samples from {', '.join(silent)}"] if silent else []
        return Judged(INCONCLUSIVE, "; ".join(why), figures), pairs_count
    return Judged(SUPPORTED, "one event loop per worker process, on its main thread, everywhere", figures), pairs_count


def _c4_chart(django_pairs: dict, fastapi_pairs: dict) -> dict:
    pairs = {**django_pairs, **fastapi_pairs}
    return {"chart": bar("Distinct (pid, event loop) pairs seen (3 workers each)", "pairs", list(pairs),
                         {"Django": [django_pairs.get(k) for k in pairs],
                          "FastAPI": [fastapi_pairs.get(k) for k in pairs]})}


def judge_c4(ev: Evidence | None) -> Verdict:
    fastapi = (X.C4_FASTAPI,)
    return _judge_both("C4", C4_RULE, X.C4, ev, _c4, (X.C4_DJANGO, fastapi, fastapi), _c4_chart)


C7_RULE = Rule(
    "Under Uvicorn, whoami from async views must report the main thread and a running loop, and from sync "
    "views a non-main thread and no loop: supported if every sample agrees, refuted if any disagrees, "
    "inconclusive without samples. For FastAPI the async views are async def endpoints and the sync views "
    "def endpoints (FastAPI runs them in its thread pool)." + SAME_RULE, {})


def _c7(ev: Evidence, variant: X.Variant, name: str) -> tuple[Judged, list[int]]:
    """One framework's C7 outcome, and how many async and sync samples ran on the main thread."""
    ms = ev.get(variant)
    a = [c for m in ms for c in m.experiment_run.observed.contexts("/async")]
    s = [c for m in ms for c in m.experiment_run.observed.contexts("/sync")]
    if not a or not s:
        return Judged(INCONCLUSIVE, f"no whoami samples from both kinds of view on {variant.label}"), [None, None]
    async_ok = all(c.is_main_thread and c.loop_id for c in a)
    sync_ok = all(not c.is_main_thread and c.loop_id is None for c in s)
    names = sorted({n for c in s for n in c.thread_names})[:4]
    figures = [text_figure(f"{name}: async views on the main thread with a loop",
                           f"{sum(c.count for c in a if c.is_main_thread and c.loop_id)} of "
                           f"{sum(c.count for c in a)}"),
               text_figure(f"{name}: sync views off the main thread without a loop",
                           f"{sum(c.count for c in s if not c.is_main_thread and c.loop_id is None)} of "
                           f"{sum(c.count for c in s)}"),
               text_figure(f"{name}: sync view thread names (sample)", ", ".join(names))]
    on_main = [sum(c.count for c in a if c.is_main_thread), sum(c.count for c in s if c.is_main_thread)]
    if async_ok and sync_ok:
        return Judged(SUPPORTED, "every sample agreed", figures), on_main
    return Judged(REFUTED, "some samples ran elsewhere than claimed", figures), on_main


def judge_c7(ev: Evidence | None) -> Verdict:
    return _judge_both("C7", C7_RULE, X.C7, ev, _c7, (X.C7_DJANGO, X.C7_FASTAPI, (X.C7_FASTAPI,)),
                       lambda django, fastapi: {"chart": bar("Samples on the main thread", "samples",
                                                             ["async views", "sync views"],
                                                             {"Django": django, "FastAPI": fastapi})})


C9_RULE = Rule("Covered by C4 and C7: supported if both are supported, refuted if either is refuted, "
               "inconclusive otherwise.", {})


def judge_c9(c4: Verdict, c7: Verdict) -> Verdict:
    """C9 from the C4 and C7 verdicts themselves (the cards it is covered by), not from their data."""
    figures = [text_figure("C4", c4.verdict), text_figure("C7", c7.verdict)]
    if SUPPORTED == c4.verdict == c7.verdict:
        verdict = SUPPORTED
    elif REFUTED in (c4.verdict, c7.verdict):
        verdict = REFUTED
    else:
        verdict = INCONCLUSIVE
    return Verdict("C9", verdict, C9_RULE.render(), f"C4 {c4.verdict}, C7 {c7.verdict}", figures,
                   run_id=c4.run_id, suite=c4.suite, repeats=min(c4.repeats, c7.repeats),
                   experiment_run_ids=c4.experiment_run_ids + c7.experiment_run_ids,
                   needs="" if verdict != INCONCLUSIVE else "manage.py bench --suite quick --only C4,C7")


# --- C5 -------------------------------------------------------------------------------------

C5_RULE = Rule(
    "Event-loop lag of the ASGI worker, median over the measured step of each sample's worst lag: supported if "
    "it stays <= {low_ms:.0f} ms under non-blocking load and reaches >= {high_fraction} x the blocking call's "
    "length under io/blocking; partly if both rise; refuted if blocking load leaves it low." + SAME_RULE,
    {"low_ms": 10, "high_fraction": 0.5})


def _c5(ev: Evidence, cells: tuple[X.Variant, X.Variant], name: str) -> tuple[Judged, list[float | None]]:
    """One framework's C5 outcome from its (non-blocking, blocking) cells, and their median lag."""
    lag = {v: _values(ev.get(v), Measured.median_loop_lag_ms) for v in cells}
    worst = {v: _values(ev.get(v), Measured.max_loop_lag_ms) for v in cells}
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
    return _judge_both("C5", C5_RULE, X.C5, ev, _c5, (X.C5_DJANGO, X.C5_FASTAPI, X.C5_FASTAPI),
                       lambda django, fastapi: {"chart": bar("Event-loop lag (median of per-sample worst)", "ms",
                                                             [_role(v) for v in X.C5_DJANGO],
                                                             {"Django": django, "FastAPI": fastapi})})


# --- C6 -------------------------------------------------------------------------------------

C6_RULE = Rule(
    "5 MB bodies on one Uvicorn worker, at each concurrency level. Three parts: orjson parses faster (the "
    "parse time the server measured, json / orjson inline, >= {orjson}x); offloading the parse frees the loop "
    "(probe p99 with the json parse inline / offloaded >= {offload}x); reading the body in chunks saves memory "
    "(peak USS buffered / chunked, each on a fresh server, >= {memory}x). At each level the ratio is taken "
    "repeat by repeat: the level holds when every repeat clears the line, fails when none does, and is "
    "inconclusive when they straddle it. A part holds if it holds at every level, fails if it fails at every "
    "level, holds partly otherwise. Supported if all three hold, refuted if none, partly if some do; "
    "missing or straddling data never decides." + SAME_RULE,
    {"orjson": 1.2, "offload": 1.5, "memory": 1.2})

C6_NOTE = ("Django's ASGI handler reads the whole request body into a spooled temporary file (memory up to "
           "2.5 MiB, then disk) before the view runs; the 'stream' variant reads that spool in 64 KiB chunks, "
           "not the socket. What it can save is the second, in-memory copy a buffered read makes. FastAPI's "
           "stream variant reads request.stream(): the socket, chunk by chunk, as the body arrives, with no copy "
           "made before the endpoint runs; the upload's first-chunk time (Server-Timing) shows the difference.")


def _c6(ev: Evidence, cells: X.C6Cells, name: str) -> tuple[Judged, dict[str, float | None]]:
    """One framework's C6 outcome over its three parts, and the probe p99 per cell at the top level."""
    json_inline, json_off = cells.json.get(("json", 0)), cells.json.get(("json", 1))
    orjson_inline = cells.json.get(("orjson", 0))
    at = lambda v, u: ev.at(v, u) if v else []  # noqa: E731  (a framework may omit a cell)
    parse = lambda m: m.server_timing("json", "parse")  # noqa: E731
    uss = lambda m: m.peak("uss_bytes")  # noqa: E731
    parts = {
        "orjson faster": (C6_RULE["orjson"], lambda u: (_values(at(json_inline, u), parse),
                                                        _values(at(orjson_inline, u), parse))),
        "offload frees the loop": (C6_RULE["offload"], lambda u: (_values(at(json_inline, u), _p99("probe")),
                                                                  _values(at(json_off, u), _p99("probe")))),
        "chunked read saves memory": (C6_RULE["memory"], lambda u: (_values(at(cells.upload_buffer, u), uss),
                                                                    _values(at(cells.upload_stream, u), uss))),
    }
    levels = sorted(set().union(*(ev.users_levels(v) for v in cells.variants)))
    figures, scopes = [], []
    for part, (needed, pair) in parts.items():
        at_levels = []
        for users in levels:
            ratios = [ratio(a, b) for a, b in paired(*pair(users))]
            figures.append(Figure(f"{name}: {part}, {users} users: ratio per repeat (needs >= {needed})", ratios,
                                  "x", 2))
            outcome, disagree, n = classify_repeats(ratios, banded(needed))
            at_levels.append(Scope(f"{users} users", outcome, f"{_listed_ratios(ratios)}"
                                   + (f" ({disagree})" if disagree else ""), n))
        outcome = combine(at_levels)[0]
        repeats = min((s.repeats for s in at_levels if s.outcome != INCONCLUSIVE), default=0)
        scopes.append(Scope(part, outcome, "; ".join(f"{s.name}: {s.why}" for s in at_levels) or "no data", repeats))
    for v in cells.variants:
        for users in ev.users_levels(v):
            ms = ev.at(v, users)
            figures.append(Figure(f"{v.label}, {users} users: RPS", _values(ms, _main_rps), "", 1))
            figures.append(Figure(f"{v.label}, {users} users: probe p99", _values(ms, _p99("probe")), " ms"))
            figures.append(Figure(f"{v.label}, {users} users: peak USS", _values(ms, uss), " MiB", 0, 1 / MiB))
            for endpoint, metric, what in (("json", "parse", "parse time in the server"),
                                           ("upload", "first-chunk", "first chunk in the view after"),
                                           ("upload", "body", "whole body read in the view in")):
                timed = _values(ms, lambda m: m.server_timing(endpoint, metric))
                if any(t is not None for t in timed):
                    figures.append(Figure(f"{v.label}, {users} users: {what} (p50)", timed, " ms", 1))
    top = max(levels, default=0)
    probe = {_role(v): median(_values(ev.at(v, top), _p99("probe"))) for v in cells.variants}
    return Judged(*combine(scopes, "part"), figures, scopes), probe


def _listed_ratios(ratios: list[float | None]) -> str:
    return ", ".join("n/a" if r is None else f"{r:.2f}x" for r in ratios) or "no data"


def _c6_present(django_probe: dict, fastapi_probe: dict) -> dict:
    cells = [("upload buffer", X.C6_UPLOAD_BUFFER, X.C6_FASTAPI.upload_buffer),
             ("upload stream", X.C6_UPLOAD_STREAM, X.C6_FASTAPI.upload_stream),
             *((_role(v), v, X.C6_FASTAPI.json.get(key)) for key, v in X.C6_JSON.items())]
    chart = bar("Probe p99 while 5 MB bodies are handled (highest level)", "ms", [c[0] for c in cells],
                {"Django": [django_probe[_role(d)] for _, d, _ in cells],
                 "FastAPI": [fastapi_probe.get(_role(f)) if f else None for _, _, f in cells]})
    return {"chart": chart, "note": C6_NOTE}


def judge_c6(ev: Evidence | None) -> Verdict:
    return _judge_both("C6", C6_RULE, X.C6, ev, _c6, (X.C6_DJANGO, X.C6_FASTAPI, X.C6_FASTAPI.variants),
                       _c6_present)


# --- C8 -------------------------------------------------------------------------------------
# At the scale the claim speaks of: the thousands-in-flight grid (judging.in_flight), plus the
# async ORM's part from the same run. (The 200-user experiment of the quick suite is shown on the
# run pages; at 200 in flight on one core it measures the framework's CPU, not concurrency.)

C8_RULE = Rule(
    G.GRID_RULE.text + " The async ORM keeps the loop free: the loop lag under Django's async ORM stays <= "
    "{lag_ms:.0f} ms in every repeat. Overall by the combine rule; every part from one run.",
    {**G.GRID_RULE.limits, "lag_ms": 10})


def _c8_async_orm(db: Evidence | None, ceiling: dict[str, float], run_id: int) -> tuple[Scope, list[Figure]]:
    figures = []
    name = "the async ORM keeps the loop free"
    if not db:
        return Scope(name, INCONCLUSIVE, f"no {X.C8_DB.name} data in run #{run_id}", 0), figures
    for v in X.C8_DB.variants:
        ms = db.get(v)
        figures += [Figure(f"db/read {v.label}: RPS", _values(ms, _rps("db/read"))),
                    Figure(f"db/read {v.label}: probe p99", _values(ms, _p99("probe")), " ms"),
                    Figure(f"db/read {v.label}: loop lag (median)", _values(ms, Measured.median_loop_lag_ms),
                           " ms", 1),
                    *ceiling_figures(v.label, ms, v.knobs["driver"], ceiling)]
    lags = _values(db.get(X.C8_DB_ASYNC_ORM), Measured.median_loop_lag_ms)
    outcome = versus_limit(lags, C8_RULE["lag_ms"], at_least=False)
    return Scope(name, outcome, "no loop-lag samples" if median(lags) is None else
                 f"loop lag per repeat {', '.join(f'{v:.1f}' for v in lags if v is not None)} ms under "
                 "the async ORM" + (" (repeats on both sides of the limit)" if outcome == INCONCLUSIVE else ""),
                 sum(1 for v in lags if v is not None)), figures


def _c8_note(grid: GridEvidence) -> str:
    """Where Django's async stack falls behind FastAPI's, and what it holds meanwhile."""
    parts = []
    for wait in X_GRID_WAITS:
        django_stack, django = G.best_django(grid, wait)
        fastapi = G.reach(grid, X_FASTAPI, wait)
        if fastapi.n > django.n:
            parts.append(f"at {wait} s waits FastAPI holds {fastapi.text()} where Django's best ASGI stack holds "
                         f"{django.text()}")
    threads = median(G.memory_slopes(grid, X_DJANGO_UVICORN, int(G.GRID_RULE["memory_wait"]), "threads"))
    if threads is not None and threads >= 0.5:
        parts.append(f"stock Django on Uvicorn holds about {threads:.2f} OS threads per request in flight (its "
                     "handler gives each request a thread-sensitive context whose thread lives until the "
                     "request ends)")
    return ("Where Django's async stack loses it: " + "; ".join(parts) + ".") if parts else ""


def judge_c8(grid: GridEvidence | None, db: Evidence | None, ceiling: dict[str, float],
             ladder: list[Figure]) -> Verdict:
    """``grid``: the thousands-in-flight grid of one run; ``db``: the async-ORM experiment and
    ``ceiling``: PostgreSQL alone (``pg_ceiling``), both from the grid's own run; ``ladder``: what
    keeping the loop free costs (``judging.ladders.async_orm_cost_figures``), shown beside."""
    if grid is None:
        return _no_data("C8", C8_RULE, "the thousands-in-flight grid", suite="concurrency")
    scopes = [G.wait_scope(grid, wait) for wait in X_GRID_WAITS]
    memory, ratios = G.memory_scope(grid)
    scopes.append(memory)
    orm, orm_figures = _c8_async_orm(db, ceiling, grid.run_id)
    scopes.append(orm)
    figures = [*G.grid_figures(grid),
               Figure("gthread / stock Django ASGI USS per request in flight, per repeat", ratios, "x", 2),
               *orm_figures, *ladder]
    verdict, why = combine(scopes, "part")
    ids = sorted({*(db.experiment_run_ids if db else [])})
    return Verdict("C8", verdict, C8_RULE.render(), why, figures, run_id=grid.run_id, suite=grid.suite,
                   experiment_run_ids=ids, repeats=grid.repeats, scopes=scopes, note=_c8_note(grid),
                   heatmap=G.heatmap(grid))


# --- the shell: read the store, call the core ---------------------------------------------------
# Every part of a card comes from the run of its main evidence ("one run per card"). The shell runs
# queries, so the unit tests cannot reach it and mutmut leaves it alone (the pragma below); the
# tests in tests/test_verdict_shells.py run it against PostgreSQL.
# pragma: no mutate start

def _one_run(ev: Evidence) -> QuerySet[Run]:
    return Run.objects.filter(id=ev.run.id)


def database_ceiling(runs: QuerySet[Run] | None = None) -> dict[str, float]:
    """``pg_ceiling`` of the newest run holding pgbench's measurement (or of the runs given)."""
    return pg_ceiling(latest_evidence(X.PG_ALONE, runs))


def verdict_c1(runs: QuerySet[Run] | None = None) -> Verdict:
    ev = latest_evidence(X.C1_FULL, runs)
    return judge_c1(ev, database_ceiling(_one_run(ev)) if ev else {})


def verdict_c2(runs: QuerySet[Run] | None = None) -> Verdict:
    return judge_c2(latest_evidence(X.C2_FULL, runs))


def verdict_c3(runs: QuerySet[Run] | None = None) -> Verdict:
    return judge_c3(latest_evidence(X.C3, runs))


def verdict_c4(runs: QuerySet[Run] | None = None) -> Verdict:
    return judge_c4(latest_evidence(X.C4, runs))


def verdict_c5(runs: QuerySet[Run] | None = None) -> Verdict:
    return judge_c5(latest_evidence(X.C5, runs))


def verdict_c6(runs: QuerySet[Run] | None = None) -> Verdict:
    return judge_c6(latest_evidence(X.C6, runs))


def verdict_c7(runs: QuerySet[Run] | None = None) -> Verdict:
    return judge_c7(latest_evidence(X.C7, runs))


def verdict_c8(runs: QuerySet[Run] | None = None) -> Verdict:
    """The grid of the fullest run holding it; the DB part and the ceiling from that same run; the
    ladder's figures from the ladder runs (or the runs given), as the ladders page reads them."""
    run = fullest_grid_run(verdict_runs(runs))
    grid = read_grid(run) if run else None
    if grid is None:
        return judge_c8(None, None, {}, [])
    same_run = Run.objects.filter(id=run.id)
    return judge_c8(grid, latest_evidence(X.C8_DB, same_run), database_ceiling(same_run),
                    async_orm_cost_figures(runs))


def verdict_c11(runs: QuerySet[Run] | None = None) -> Verdict:
    """The hand-over grid of the fullest run holding it; both pool-size sweeps from that same run."""
    ev = latest_evidence(HO.HANDOVER, runs)
    if ev is None:
        return judge_c11(None, None, None)
    same_run = _one_run(ev)
    return judge_c11(ev, latest_evidence(HO.POOL_BLOCKING, same_run), latest_evidence(HO.POOL_CPU, same_run))


def verdict_c12(runs: QuerySet[Run] | None = None) -> Verdict:
    """The curves' knees and the grid, both from the fullest run that holds the two (a full run)."""
    run = fullest_grid_run(verdict_runs(runs).filter(experiments__experiment="curves"))
    if run is None:
        return judge_c12(None, None)
    return judge_c12(run_knees(run, DEFAULT_SLO_MS), read_grid(run), run.id, run.suite)


def verdict_c14(runs: QuerySet[Run] | None = None) -> Verdict:
    """The staggered grid of the fullest run holding it; the burst row from that same run."""
    run = fullest_grid_run(verdict_runs(runs), PUSH)
    if run is None:
        return judge_c14(None)
    return judge_c14(read_grid(run, PUSH), read_grid(run, PUSH_BURST))


def verdict_c15(runs: QuerySet[Run] | None = None) -> Verdict:
    run = fullest_grid_run(verdict_runs(runs), UPSTREAM)
    return judge_c15(read_grid(run, UPSTREAM) if run else None)


def verdict_c10(runs: QuerySet[Run] | None = None) -> Verdict:
    return judge_c10(latest_evidence(C10_FULL, runs))


def verdict_c13(runs: QuerySet[Run] | None = None) -> Verdict:
    """The memory steps of the fullest run holding them; the two crash experiments from that same run."""
    ev = latest_evidence(W.C13_MEMORY, runs)
    if ev is None:
        return judge_c13(None)
    same = Run.objects.filter(id=ev.run.id)
    return judge_c13(ev, latest_evidence(W.C13_KILL, same), latest_evidence(W.C13_CRASH, same))


def verdict_c9(runs: QuerySet[Run] | None = None, c4: Verdict | None = None, c7: Verdict | None = None) -> Verdict:
    """``c4``/``c7``: those verdicts when already computed for the same runs (all_verdicts)."""
    return judge_c9(c4 or verdict_c4(runs), c7 or verdict_c7(runs))


VERDICTS: dict[str, Callable[..., Verdict]] = {
    "C1": verdict_c1, "C2": verdict_c2, "C3": verdict_c3, "C4": verdict_c4, "C5": verdict_c5,
    "C6": verdict_c6, "C7": verdict_c7, "C8": verdict_c8, "C9": verdict_c9, "C10": verdict_c10,
    "C11": verdict_c11, "C12": verdict_c12, "C13": verdict_c13, "C14": verdict_c14, "C15": verdict_c15,
}
RULES = {"C1": C1_RULE, "C2": C2_RULE, "C3": C3_RULE, "C4": C4_RULE, "C5": C5_RULE, "C6": C6_RULE,
         "C7": C7_RULE, "C8": C8_RULE, "C9": C9_RULE, "C10": C10_RULE, "C11": C11_RULE, "C12": C12_RULE,
         "C13": C13_RULE, "C14": C14_RULE, "C15": C15_RULE}


def all_verdicts(runs: QuerySet[Run] | None = None) -> list[Verdict]:
    done = {claim: f(runs) for claim, f in VERDICTS.items() if claim != "C9"}
    done["C9"] = verdict_c9(runs, done["C4"], done["C7"])
    return [done[claim] for claim in VERDICTS]
# pragma: no mutate end
