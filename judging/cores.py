"""Judging threads, processes and the GIL on two cores (C10): pure functions, the evidence of one
run of ``bench.two_cores`` in, a verdict out.

Every figure is read repeat by repeat (repeat i of one cell against repeat i of another). The
server's CPU is the sampler's sum over its process tree; the load generator shares the two cores,
so the server is judged on the cores left to it: its CPU over (2 - the generator's CPU), times 2
("effective cores"). Parts, on WSGI (gthread, sync views) and on ASGI (Uvicorn, async views
handing the task to the thread pool) each:

- **GIL-holding threads**: one process with several threads doing pure Python uses one core;
- **processes**: two processes doing the same use both, and serve more;
- **GIL-releasing threads** (per C form: hashlib, Cython): threads doing C work that lets go of
  the GIL serve about as much as two processes.
"""
from __future__ import annotations

from typing import Callable

from bench import two_cores as T
from bench.evidence import Evidence, Measured, by_repeat
from judging.core import (INCONCLUSIVE, REFUTED, SUPPORTED, Figure, Rule, Scope, Verdict, classify_repeats, combine,
                          ratio)

CORES = 2  # the experiment's two CPUs
C10_RULE = Rule(
    "Two cores shared by the server and the load generator; 16 closed-loop users, one ~50 ms task per request "
    "over a fresh connection. Effective cores = the server's CPU (sum over its processes) / (2 - the generator's "
    "CPU) x 2. Per interface (gthread sync views; Uvicorn async views offloading to the thread pool) and repeat: "
    "pure Python on threads of one process supports the claim at <= {gil_cores:.1f} effective cores and refutes it "
    "at >= {free_cores:.1f}; two processes support it at >= {processes_cores:.1f} cores with >= "
    "{processes_speedup:.1f}x the threaded process's throughput, and refute it at <= {gil_cores:.1f} cores or <= "
    "{flat_speedup:.1f}x; threads doing C work that releases the GIL (hashlib, Cython) support it at >= "
    "{released_share:.0%} of two processes' throughput on the same work and refute it at <= {flat_speedup:.1f}x one "
    "thread's. In between, when a two-worker step's least busy worker did under {balanced_share:.0f} % of the "
    "workers' CPU (the connections did not spread), or when processes other than the server and the generator "
    "took more than {others_cores:.2f} of a core (the machine was not quiet), the repeat decides nothing. Per part: the outcome every repeat "
    "agrees on; overall by the combine rule.",
    {"gil_cores": 1.2, "free_cores": 1.6, "processes_cores": 1.7, "processes_speedup": 1.6, "flat_speedup": 1.2,
     "released_share": 0.85, "balanced_share": 25, "others_cores": 0.25})

INTERFACES = (("wsgi", "gthread, sync views"), ("asgi", "Uvicorn, async views + thread pool"))


def rps(m: Measured) -> float | None:
    main = m.main_endpoint()
    return main.rps if main is not None and main.rps else None


def effective_cores(m: Measured) -> float | None:
    """The server's CPU in cores of the two the generator left it (None without samples)."""
    server = m.mean("cpu_percent")
    if server is None:
        return None
    generator = (m.step.generator_cpu_total or 0.0) / 100
    return server / 100 / max(CORES - generator, 0.1) * CORES


def others_cores(m: Measured) -> float | None:
    """What processes other than the server and the generator took of the two cores (in cores):
    the cores' busy share less the server's CPU (recorded with the step) less the generator's."""
    foreign = (m.step.quality or {}).get("server_core_foreign_pct")
    if foreign is None:
        return None
    return max(0.0, foreign / 100 * CORES - (m.step.generator_cpu_total or 0.0) / 100)


def quiet(m: Measured) -> bool:
    others = others_cores(m)
    return others is None or others <= C10_RULE["others_cores"]


def balanced(m: Measured) -> bool:
    """Several workers shared the work (one worker, or no reading: nothing to doubt)."""
    least = (m.step.quality or {}).get("worker_cpu_least_share_pct")
    return least is None or least >= C10_RULE["balanced_share"]


def work_ms(m: Measured) -> float | None:
    main = m.main_endpoint()
    return m.server_timing(main.name, "work") if main is not None else None


def _cell(ev: Evidence, interface: str, role: str, form: T.TaskForm) -> dict[int, Measured]:
    """The cell's repeats by number; a repeat on a machine that was not quiet is left out (missing)."""
    stack = T.stack("wsgi" if role == "one-thread" else interface, role)
    return {r: m for r, m in by_repeat(ev.get(T.cell(stack.name, form.name))).items() if quiet(m)}


def gil_threads(cores: float | None) -> str | None:
    if cores is None:
        return None
    return SUPPORTED if cores <= C10_RULE["gil_cores"] else REFUTED if cores >= C10_RULE["free_cores"] else INCONCLUSIVE


def processes(cores: float | None, speedup: float | None) -> str | None:
    if cores is None or speedup is None:
        return None
    if cores <= C10_RULE["gil_cores"] or speedup <= C10_RULE["flat_speedup"]:
        return REFUTED
    if cores >= C10_RULE["processes_cores"] and speedup >= C10_RULE["processes_speedup"]:
        return SUPPORTED
    return INCONCLUSIVE


def released_threads(share_of_processes: float | None, over_one_thread: float | None) -> str | None:
    if share_of_processes is None or over_one_thread is None:
        return None
    if over_one_thread <= C10_RULE["flat_speedup"]:
        return REFUTED
    return SUPPORTED if share_of_processes >= C10_RULE["released_share"] else INCONCLUSIVE


def _scope(name: str, outcomes: dict[int, str | None], shown: str) -> Scope:
    outcome, disagree, n = classify_repeats([o for _, o in sorted(outcomes.items())], lambda o: o, "outcome")
    listed = ", ".join(f"{o or 'missing'}" for _, o in sorted(outcomes.items())) or "no repeat"
    return Scope(name, outcome, f"per repeat: {listed} ({shown})" + (f"; {disagree}" if disagree else ""), n)


def _fmt(values: list[float | None], unit: str = "", digits: int = 2) -> str:
    return ", ".join("n/a" if v is None else f"{v:.{digits}f}{unit}" for v in values)


def interface_scopes(ev: Evidence, interface: str, label: str) -> list[Scope]:
    threads_py = _cell(ev, interface, "threads", T.PYTHON)
    procs_py = _cell(ev, interface, "processes", T.PYTHON)
    repeats = sorted(set(threads_py) | set(procs_py))
    cores = {r: effective_cores(threads_py[r]) if r in threads_py else None for r in repeats}
    scopes = [_scope(f"{label}: pure Python on threads", {r: gil_threads(c) for r, c in cores.items()},
                     f"effective cores {_fmt(list(cores.values()))}")]
    p_cores, speedups = {}, {}
    for r in repeats:
        p = procs_py.get(r)
        p_cores[r] = effective_cores(p) if p is not None and balanced(p) else None
        speedups[r] = ratio(rps(p), rps(threads_py[r])) if p is not None and r in threads_py else None
    scopes.append(_scope(f"{label}: pure Python on two processes",
                         {r: processes(p_cores[r], speedups[r]) for r in repeats},
                         f"effective cores {_fmt(list(p_cores.values()))}; throughput over the threaded process "
                         f"{_fmt(list(speedups.values()), 'x')}"))
    for form in (T.HASH, T.CYTHON):
        if form is T.CYTHON and ev.run.environment.get("native_module_built") is False:
            scopes.append(Scope(f"{label}: cython (releases the GIL) on threads", INCONCLUSIVE,
                                "the Cython module was not built on this machine (no C compiler at `make setup`)",
                                0, in_scope=False))
            continue
        threads, procs, one = (_cell(ev, interface, role, form) for role in ("threads", "processes", "one-thread"))
        outcomes, shown = {}, []
        for r in sorted(set(threads) | set(procs) | set(one)):
            t, p, o = threads.get(r), procs.get(r), one.get(r)
            share = ratio(rps(t), rps(p)) if t and p and balanced(p) else None
            over = ratio(rps(t), rps(o)) if t and o else None
            outcomes[r] = released_threads(share, over)
            shown.append(f"{_fmt([share], 'x')} of two processes, {_fmt([over], 'x')} one thread")
        scopes.append(_scope(f"{label}: {form.name} (releases the GIL) on threads", outcomes, "; ".join(shown)))
    return scopes


def c10_figures(ev: Evidence) -> list[Figure]:
    figures = []
    readers: tuple[tuple[str, Callable[[Measured], float | None], str, int], ...] = (
        ("throughput", rps, " req/s", 1), ("effective cores", effective_cores, "", 2),
        ("server CPU", lambda m: m.mean("cpu_percent"), " %", 0),
        ("load generator CPU", lambda m: m.step.generator_cpu_total, " %", 0),
        ("task's wall time in the server (p50; threads sharing a core stretch it)", work_ms, " ms", 1),
        ("least busy worker's share of the CPU", lambda m: (m.step.quality or {}).get("worker_cpu_least_share_pct"),
         " %", 0), ("other processes' CPU", others_cores, " cores", 2))
    for variant in T.cells():
        ms = ev.get(variant)
        for what, read, unit, digits in readers:
            values = [read(m) for m in ms]
            if any(v is not None for v in values):
                figures.append(Figure(f"{variant.label}: {what}", values, unit, digits))
    return figures


def judge_c10(ev: Evidence | None) -> Verdict:
    if ev is None:
        return Verdict("C10", INCONCLUSIVE, C10_RULE.render(), f"no valid data yet for {T.C10_FULL.name}",
                       needs="manage.py bench --suite cores")
    scopes = [s for interface, label in INTERFACES for s in interface_scopes(ev, interface, label)]
    verdict, why = combine(scopes, "part")
    note = ("The server and Locust share the two cores; the generator's CPU is taken out of what the server could "
            "use. Where the run's machine had no C compiler, the Cython parts are out of scope (hashlib stands "
            "for C work alone).")
    return Verdict("C10", verdict, C10_RULE.render(), why, c10_figures(ev), run_id=ev.run.id, suite=ev.run.suite,
                   experiment_run_ids=ev.experiment_run_ids, repeats=ev.repeats, scopes=scopes, note=note)
