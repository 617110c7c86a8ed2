"""Each claim's synthetic cells, driven by the few figures that decide it: Variant -> V (or a
list of V, one per repeat or load level), as ``evidence_builder.evidence`` builds in memory and
``tests.synthetic.make_run`` stores. The judges' unit tests (tests/unit/test_verdicts.py) and the
tests of the shell that reads the store (tests/integration/test_verdict_shells.py) share them.

``speed`` scales every figure the way a slower machine would (RPS times speed, durations
divided by it): a verdict about a ratio must not move with it.
"""
from __future__ import annotations

import dataclasses

from bench import experiments as X
from tests.unit.evidence_builder import V, endpoint, sample

MiB, KiB = 2**20, 2**10


def merged(*variant_sets: dict) -> dict:
    """Several repeats: each variant's Vs from each set, in order (repeat 0, 1, ...); a V that names
    its repeat (the levels of one repeat share one) is renumbered as the set's."""
    out: dict = {}
    for k, variants in enumerate(variant_sets):
        for v, vs in variants.items():
            out.setdefault(v, []).extend(x if x.repeat is None else dataclasses.replace(x, repeat=k)
                                         for x in (vs if isinstance(vs, list) else [vs]))
    return out


# --- C1 -------------------------------------------------------------------------------------

def c1_variants(drops: dict[str, list[tuple[float, float]]], speed: float = 1.0, cpu: float = 99.0,
                ci_pct: float | None = 0.5, ci_pct_four: float | None = None) -> dict:
    """drops: endpoint -> [(uvicorn 1w RPS, uvicorn 4w RPS) per repeat]; gthread beside it;
    ``cpu``: the server's CPU in every step (saturated by default, as the rule assumes);
    ``ci_pct``: each step's own throughput interval (None: a window too short to know it), the
    4-worker steps' ``ci_pct_four`` where given."""
    busy = [sample(cpu_percent=cpu)]
    quality = {} if ci_pct is None else {"rps_ci_pct": ci_pct}
    quality_four = quality if ci_pct_four is None else {"rps_ci_pct": ci_pct_four}
    variants = {}
    for e, repeats in drops.items():
        variants[X.c1_variant("uvicorn", 1, e)] = [V({e: endpoint(a * speed, 20 / speed)}, samples=busy,
                                                     quality=quality) for a, _ in repeats]
        variants[X.c1_variant("uvicorn", 4, e)] = [
            V({e: endpoint(b * speed, 30 / speed)}, deployment={"server": "uvicorn", "workers": 4}, samples=busy,
              quality=quality_four) for _, b in repeats]
        variants[X.c1_variant("gthread", 1, e)] = [V({e: endpoint(3000 * speed, 10 / speed)}, samples=busy)]
    return variants


# --- C2 -------------------------------------------------------------------------------------

def c2_variants(threads_probe: float, inline_probe: float, mixed_cpu: float = 97, probe_failures: int = 0,
                speed: float = 1.0, levels=(1, 2, 4), threads_levels=None, inline_levels=None,
                mixed_work: float | None = None, mixed_sleep_ms: float | None = None, timed_task: bool = True,
                repeat: int = 0) -> dict:
    """``threads_levels``, ``inline_levels``: the levels gthread and inline coroutines reached
    (default: all of ``levels``); ``mixed_work``: the mixed load's work as the server timed it (ms;
    None: not timed); ``mixed_sleep_ms``: its sleep, as the experiment run's parameter (None: not
    recorded, the catalogue's); ``timed_task``: whether the server timed the CPU task (its fastest
    response is 2 ms longer, the round trip); ``repeat``: which repeat the levels are."""
    task = 80 / speed
    whoami = {"/api": {"contexts": [{"pid": 1, "loop_id": None, "is_main_thread": False, "switch_interval_s": 0.005,
                                     "thread_names": ["T"], "count": 5}]}}
    timing = None if mixed_work is None else {"work": mixed_work}
    return {
        X.C2_THREADS: [V({"cpu": endpoint(12 * speed, 2 * task), "probe": endpoint(10, threads_probe * u)},
                         users=u, repeat=repeat, observations=whoami) for u in threads_levels or levels],
        X.C2_INLINE: [V({"cpu": endpoint(12 * speed, 2 * task + 10, fastest=task + 2, timing={"work": task} if timed_task
                                         else None),
                         "probe": endpoint(10, inline_probe / speed)}, users=u, repeat=repeat)
                      for u in inline_levels or levels],
        X.C2_OFFLOADED: [V({"cpu/offload": endpoint(12 * speed, 2 * task), "probe": endpoint(10, 20)}, users=u,
                           repeat=repeat) for u in levels],
        X.C2_MIXED_ASYNC: V({"mixed": endpoint(200 * speed, 50 / speed, timing=timing),
                             "probe": endpoint(10, 30, failures=probe_failures)},
                            params={} if mixed_sleep_ms is None else {"ms": mixed_sleep_ms},
                            users=16, samples=[sample(cpu_percent=mixed_cpu), sample(t=1.5, cpu_percent=mixed_cpu)]),
    }


# --- C3 -------------------------------------------------------------------------------------

def c3_variants(unloaded: float, blocking_probe: float, fix_probe: float, blocking_rps: float = 19.5,
                speed: float = 1.0, cells: X.C3Cells = X.C3_DJANGO) -> dict:
    variants = {cells.unloaded: V({"probe": endpoint(20, unloaded / speed)}, users=0),
                cells.blocking: V({"io/blocking": endpoint(blocking_rps, 500), "probe": endpoint(20, blocking_probe)})}
    for shown in cells.shown_only:
        variants[shown] = V({"io/background": endpoint(100, 5), "probe": endpoint(20, fix_probe / speed)})
    for fix in cells.fixes:
        variants[fix] = V({fix.knobs["endpoint"]: endpoint(100, 60), "probe": endpoint(20, fix_probe / speed)})
    return variants


# --- C4, C7 ---------------------------------------------------------------------------------

def whoami_obs(pairs: list[tuple[int, int, bool]], prefix: str = "/api") -> dict:
    return {prefix: {"samples": 100, "answered": 100, "contexts": [
        {"pid": pid, "loop_id": loop, "loop_class": "uvloop.Loop" if loop else None, "is_main_thread": main,
         "view": "async", "interface": "asgi", "thread_names": ["MainThread"], "count": 10}
        for pid, loop, main in pairs]}}


def c7_obs(sync_on_main: bool) -> dict:
    return {**whoami_obs([(1, 11, True)], "/async"),
            "/sync": {"contexts": [{"pid": 1, "loop_id": None, "loop_class": None, "is_main_thread": sync_on_main,
                                    "view": "sync", "interface": "asgi", "thread_names": ["T1"], "count": 10}]}}


# --- C5 -------------------------------------------------------------------------------------

def c5_variants(sleep_lag: float, blocking_lag: float, cells=X.C5_DJANGO) -> dict:
    sleeping, blocking = cells
    return {sleeping: V({"io/sleep": endpoint(90, 110)},
                        samples=[sample(t=t, loop_lag_ms={"7": sleep_lag}) for t in (1, 1.5, 2)]),
            blocking: V({"io/blocking": endpoint(10, 900)},
                        samples=[sample(t=t, loop_lag_ms={"7": blocking_lag}) for t in (1, 1.5, 2)])}


# --- C6 -------------------------------------------------------------------------------------

def c6_variants(json_parse: float, orjson_parse: float, inline_probe: float, uss_buffer: int, speed: float = 1.0,
                cells: X.C6Cells = X.C6_DJANGO, upload_timing: dict | None = None) -> dict:
    """``upload_timing``: the uploads' Server-Timing metrics (ms), as ``endpoint`` takes them."""
    def json_v(parser, offload, users):
        parse = (json_parse if parser == "json" else orjson_parse) / speed
        probe = (inline_probe if not offload else 20) / speed
        return V({"json": endpoint(20 * speed, 200 / speed, timing={"parse": parse}), "probe": endpoint(10, probe)},
                 users=users, repeat=0)

    variants = {v: [json_v(*key, u) for u in (2, 6)] for key, v in cells.json.items()}
    variants[cells.upload_buffer] = [V({"upload": endpoint(100, 40, timing=upload_timing)}, users=u, repeat=0,
                                       samples=[sample(uss_bytes=uss_buffer * MiB)]) for u in (2, 6)]
    variants[cells.upload_stream] = [V({"upload": endpoint(100, 40, timing=upload_timing)}, users=u, repeat=0,
                                       samples=[sample(uss_bytes=50 * MiB)]) for u in (2, 6)]
    return variants


# --- C8 -------------------------------------------------------------------------------------

def c8_variants(asgi_rps: float, uss_per_thread: float, coroutine_bytes: float = 1200, speed: float = 1.0,
                threads_rps=(80, 320, 1200, 1500, 1400), second_asgi_share: float = 0.9,
                sweep: tuple = X.C8_THREADS_FULL, asgi_cpu: float = 99, held_per_request: float = 100 * KiB) -> dict:
    """The sleep sweep: gthread's thread sweep (the full suite's unless ``sweep``), Uvicorn 1w
    at ``asgi_cpu`` % of its core holding ``held_per_request`` bytes per request in flight over
    its primed sample, and a second ASGI configuration serving ``second_asgi_share`` of Uvicorn
    1w's RPS."""
    variants = {}
    for v, rps in zip(sweep, threads_rps):
        t = v.deployment.threads * v.deployment.workers + 5
        variants[v] = V({"io/sleep": endpoint(rps * speed, 300 / speed)},
                        deployment={"server": "gunicorn", "workers": v.deployment.workers},
                        samples=[sample(threads=t, uss_bytes=int(60 * MiB + t * uss_per_thread),
                                        vms_bytes=300 * MiB + t * 8 * MiB)])
    coroutines = [{"n": n, "uss_before": 50 * MiB, "uss_during": int(50 * MiB + n * coroutine_bytes)}
                  for n in X.C8_COROUTINE_COUNTS]
    variants[X.C8_UVICORN_1W] = V({"io/sleep": endpoint(asgi_rps * speed, 400 / speed)},
                                  observations={"coroutines": coroutines},
                                  samples=[sample(t=0, uss_bytes=50 * MiB, step_index=None),
                                           sample(cpu_percent=asgi_cpu,
                                                  uss_bytes=50 * MiB + X.C8_USERS * held_per_request)])
    variants[X.C8_ASGI_FULL[1]] = V({"io/sleep": endpoint(asgi_rps * second_asgi_share * speed, 500 / speed)})
    return variants


def c8_db_variants(async_orm_lag: float = 2.0, speed: float = 1.0) -> dict:
    """The database part, in the same run as the sleep sweep: ``async_orm_lag`` ms of loop lag
    under Django's async ORM."""
    lag = {X.C8_DB_ASYNC_ORM: async_orm_lag, X.C8_DB_NATIVE: 1.0}
    return {v: V({"db/read": endpoint(800 * speed, 30 / speed), "probe": endpoint(10, 5)},
                 samples=[sample(t=t, loop_lag_ms={"9": lag.get(v, 0.0)}) for t in (1, 1.5)])
            for v in X.C8_DB.variants}


def pgbench_variants(simple: float, prepared: float) -> dict:
    """PostgreSQL alone (pgbench) serving db/read's query, simple and prepared protocol."""
    return {X.PG_ALONE_SIMPLE: V({X.PGBENCH_ENDPOINT: endpoint(simple, 1)}),
            X.PG_ALONE_PREPARED: V({X.PGBENCH_ENDPOINT: endpoint(prepared, 1)})}
