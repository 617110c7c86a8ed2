"""C4, C7 and C9, from ``whoami`` samples: N ASGI workers are N processes with one event loop
each (C4); async views run on the worker's main thread, sync views under ASGI on another (C7);
a process runs coroutines (C9, decided by the C4 and C7 verdicts themselves)."""
from __future__ import annotations

from bench import experiments as X
from bench.evidence import Evidence
from judging.core import (INCONCLUSIVE, REFUTED, SUPPORTED, Figure, Judged, Rule, Verdict, bar, median,
                          text_figure)
from judging.beside_fastapi import SAME_RULE, judge_both


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
    return judge_both("C4", C4_RULE, X.C4, ev, _c4, (X.C4_DJANGO, fastapi, fastapi), _c4_chart)


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
    return judge_both("C7", C7_RULE, X.C7, ev, _c7, (X.C7_DJANGO, X.C7_FASTAPI, (X.C7_FASTAPI,)),
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
