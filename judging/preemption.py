"""C2: on one core threads are preempted and coroutines are not. A probe's p99 beside CPU-heavy
users under gthread threads and inline coroutines, level by level, and the utilisation half."""
from __future__ import annotations

from bench import experiments as X
from bench.evidence import Evidence, Measured
from judging.core import (INCONCLUSIVE, PARTLY, REFUTED, SUPPORTED, Figure, Rule, Scope, Verdict, bar,
                          classify_repeats, combine, median, paired, versus_limit)
from judging.measures import no_data, p99_of, per_repeat, provenance, server_cpu


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
    timed = median(per_repeat(ms, lambda m: m.server_timing(endpoint, "work")))
    return timed if timed is not None else median(per_repeat(ms, lambda m: m.min_ms(endpoint)))


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
    work = median(per_repeat(ms, lambda m: m.server_timing("mixed", "work")))
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
        return no_data("C2", C2_RULE, X.C2_FULL.name)
    switch_ms = _switch_interval_ms(ev, X.C2_THREADS)
    task_ms = _task_ms(ev.at(X.C2_INLINE, min(ev.users_levels(X.C2_INLINE), default=0)))
    figures = [Figure("switch interval (read in the gthread server)", [switch_ms], " ms", 1),
               Figure("task length (inline cpu, one heavy user)", [task_ms], " ms")]
    scopes, chart = [], {}
    # every level either side measured: a level the threads side lacks is missing data, not absent
    levels = sorted(set(ev.users_levels(X.C2_THREADS)) | set(ev.users_levels(X.C2_INLINE)))
    for users in levels:
        threads = per_repeat(ev.at(X.C2_THREADS, users), p99_of("probe"))
        inline = per_repeat(ev.at(X.C2_INLINE, users), p99_of("probe"))
        offloaded = per_repeat(ev.at(X.C2_OFFLOADED, users), p99_of("probe"))
        for name, values in (("gthread threads", threads), ("inline coroutines", inline),
                             ("offloaded coroutines", offloaded)):
            figures.append(Figure(f"{users} heavy: probe p99 under {name}", values, " ms"))
            chart.setdefault(name, []).append(median(values))
        scopes.append(_c2_level(f"{users} heavy user{'s' if users > 1 else ''}", users, threads, inline, switch_ms,
                                task_ms))
    mixed = ev.get(X.C2_MIXED_ASYNC)
    cpu = per_repeat(mixed, server_cpu)
    figures += [Figure("mixed load, async + offload: server CPU", cpu, " %"),
                Figure("mixed load, async + offload: probe p99", per_repeat(mixed, p99_of("probe")), " ms"),
                Figure("mixed load, gthread: server CPU", per_repeat(ev.get(X.C2_MIXED_THREADS), server_cpu), " %")]
    demand = _cores_asked(mixed)
    if demand is not None:
        figures.append(Figure("mixed load: cores the load asks for (users x work / (sleep + work))", [demand], "", 1))
    scopes.append(_c2_utilisation(mixed, cpu, demand))
    verdict, why = combine(scopes, "level")
    return Verdict("C2", verdict, C2_RULE.render(), why, figures, scopes=scopes,
                   chart=bar("Probe p99 beside CPU-heavy users", "ms", [f"{u} heavy" for u in levels], chart),
                   **provenance(ev))
