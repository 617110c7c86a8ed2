"""C10's judging on two-core evidence built in memory: each part in both directions, the rule's
edges, unbalanced workers, repeats that disagree, a machine without a C compiler, and machine speed
(every figure here is CPU-bound, so a slower machine scales every rate alike and no outcome moves)."""
from __future__ import annotations

import pytest

from bench import two_cores as T
from judging import cores as J
from judging.core import INCONCLUSIVE, PARTLY, REFUTED, SUPPORTED
from tests.unit.evidence_builder import V, endpoint, evidence, new_run, sample

THREADS, PROCESSES = T.stack("wsgi", "threads").name, T.stack("wsgi", "processes").name
ATHREADS, APROCESSES = T.stack("asgi", "threads").name, T.stack("asgi", "processes").name
ONE = T.stack("wsgi", "one-thread").name
WORKERS = {THREADS: 1, PROCESSES: 2, ATHREADS: 1, APROCESSES: 2, ONE: 1}

# (stack, form) -> (req/s, server CPU %): what the claim expects, on a machine where a task is 50 ms
AS_CLAIMED = {
    **{(s, "python"): (19.0, 100.0) for s in (THREADS, ATHREADS)},
    **{(s, "python"): (37.0, 185.0) for s in (PROCESSES, APROCESSES)},
    **{(s, f): (36.0, 180.0) for s in (THREADS, ATHREADS) for f in ("hash", "cython")},
    **{(s, f): (37.0, 185.0) for s in (PROCESSES, APROCESSES) for f in ("hash", "cython")},
    **{(ONE, f): (19.5, 98.0) for f in ("hash", "cython")},
}


def c10(changes: dict | None = None, repeats: int = 2, speed: float = 1.0, per_repeat=None, least_share: float = 48.0,
        native_built: bool = True, leave_out=()):
    """``changes``: (stack, form) -> (rps, cpu%); ``per_repeat(stack, form, r)`` -> (rps, cpu%) or None."""
    figures = {**AS_CLAIMED, **(changes or {})}
    run = new_run("cores")
    run.environment = {"native_module_built": native_built}
    variants = {}
    for variant in T.cells():
        stack, form = variant.label.split(" · ")
        if (stack, form) in leave_out:
            continue
        vs = []
        for r in range(repeats):
            rps, cpu = (per_repeat and per_repeat(stack, form, r)) or figures[(stack, form)]
            quality = {"worker_cpu_least_share_pct": least_share} if WORKERS[stack] > 1 else {}
            vs.append(V({variant.knobs["endpoint"]: endpoint(rps * speed, 60.0 / speed, timing={"work": 50 / speed})},
                        samples=[sample(cpu_percent=cpu, t=t) for t in (1.0, 2.0)], quality=quality, repeat=r,
                        users=T.USERS))
        variants[variant] = vs
    return evidence(T.C10_FULL, variants, run)


def scope(verdict, name: str):
    return next(s for s in verdict.scopes if s.name == name)


def test_as_the_claim_says_every_part_holds():
    verdict = J.judge_c10(c10())
    assert verdict.verdict == SUPPORTED, verdict.why
    assert len(verdict.scopes) == 8 and not verdict.provisional


def test_threads_running_python_on_both_cores_refute_that_part():
    """A build without the GIL (free-threaded Python) would show this."""
    verdict = J.judge_c10(c10({(THREADS, "python"): (36.0, 180.0)}))
    assert scope(verdict, "gthread, sync views: pure Python on threads").outcome == REFUTED
    assert verdict.verdict == PARTLY


def test_everything_the_other_way_refutes_the_claim():
    flat = {(s, f): (19.0, 180.0) for s in (THREADS, ATHREADS, PROCESSES, APROCESSES) for f in ("python", "hash",
                                                                                               "cython")}
    verdict = J.judge_c10(c10(flat))
    assert [s.outcome for s in verdict.scopes] == [REFUTED] * 8
    assert verdict.verdict == REFUTED


def test_processes_that_served_no_more_refute_it_even_at_two_cores():
    verdict = J.judge_c10(c10({(PROCESSES, "python"): (21.0, 190.0)}))
    assert scope(verdict, "gthread, sync views: pure Python on two processes").outcome == REFUTED


def test_unbalanced_workers_decide_nothing():
    verdict = J.judge_c10(c10(least_share=10.0))
    assert scope(verdict, "gthread, sync views: pure Python on two processes").outcome == INCONCLUSIVE
    assert scope(verdict, "gthread, sync views: hash (releases the GIL) on threads").outcome == INCONCLUSIVE
    assert scope(verdict, "gthread, sync views: pure Python on threads").outcome == SUPPORTED  # one worker: no doubt
    assert verdict.verdict == INCONCLUSIVE


def test_repeats_that_disagree_decide_nothing_either_way():
    def second_frees_the_threads(stack, form, r):
        return (36.0, 180.0) if (stack, form, r) == (THREADS, "python", 1) else None

    verdict = J.judge_c10(c10(per_repeat=second_frees_the_threads))
    part = scope(verdict, "gthread, sync views: pure Python on threads")
    assert part.outcome == INCONCLUSIVE and "disagree" in part.why


def test_one_repeat_is_provisional():
    verdict = J.judge_c10(c10(repeats=1))
    assert verdict.verdict == SUPPORTED and verdict.provisional


def test_without_a_c_compiler_the_cython_parts_are_out_of_scope_not_missing():
    verdict = J.judge_c10(c10(native_built=False, leave_out={(s, "cython") for s in WORKERS}))
    outside = [s for s in verdict.scopes if not s.in_scope]
    assert [s.name for s in outside] == ["gthread, sync views: cython (releases the GIL) on threads",
                                         "Uvicorn, async views + thread pool: cython (releases the GIL) on threads"]
    assert verdict.verdict == SUPPORTED, verdict.why


def test_missing_cython_data_on_a_machine_that_built_it_is_missing_data():
    verdict = J.judge_c10(c10(leave_out={(s, "cython") for s in WORKERS}))
    assert verdict.verdict == INCONCLUSIVE


@pytest.mark.parametrize("speed", [1 / 3, 3.0])
def test_a_slower_or_faster_machine_moves_no_outcome(speed):
    """Every rate here is CPU-bound: it scales with the machine, the CPU shares do not."""
    for changes in ({}, {(THREADS, "python"): (36.0, 180.0)}, {(PROCESSES, "python"): (21.0, 190.0)}):
        base, scaled = J.judge_c10(c10(changes)), J.judge_c10(c10(changes, speed=speed))
        assert [s.outcome for s in scaled.scopes] == [s.outcome for s in base.scopes]


def test_the_generators_cpu_is_taken_out_of_the_cores_left_to_the_server():
    m = c10().get(T.cell(THREADS, "python"))[0]
    # the builder's generator used 20 % of a core: 1.0 server cores of the 1.8 left, in cores of two
    assert J.effective_cores(m) == pytest.approx(1.0 / 1.8 * 2)


@pytest.mark.parametrize("cores, outcome", [(1.2, SUPPORTED), (1.21, INCONCLUSIVE), (1.59, INCONCLUSIVE),
                                            (1.6, REFUTED), (None, None)])
def test_gil_threads_edges(cores, outcome):
    assert J.gil_threads(cores) == outcome


@pytest.mark.parametrize("cores, speedup, outcome", [
    (1.7, 1.6, SUPPORTED), (1.69, 1.6, INCONCLUSIVE), (1.7, 1.59, INCONCLUSIVE), (1.2, 2.0, REFUTED),
    (1.21, 1.21, INCONCLUSIVE), (1.9, 1.2, REFUTED), (None, 2.0, None), (1.9, None, None)])
def test_processes_edges(cores, speedup, outcome):
    assert J.processes(cores, speedup) == outcome


@pytest.mark.parametrize("share, over_one, outcome", [
    (0.85, 1.3, SUPPORTED), (0.84, 1.3, INCONCLUSIVE), (0.99, 1.2, REFUTED), (0.99, 1.21, SUPPORTED),
    (None, 1.5, None), (0.9, None, None)])
def test_released_threads_edges(share, over_one, outcome):
    assert J.released_threads(share, over_one) == outcome


def test_balanced_edge():
    m = c10(least_share=25.0).get(T.cell(PROCESSES, "python"))[0]
    assert J.balanced(m)
    assert not J.balanced(c10(least_share=24.9).get(T.cell(PROCESSES, "python"))[0])


def test_the_card_shows_each_cells_figures():
    verdict = J.judge_c10(c10())
    labels = [f.label for f in verdict.figures]
    assert f"{THREADS} · python: effective cores" in labels
    assert f"{PROCESSES} · hash: least busy worker's share of the CPU" in labels
    assert f"{ONE} · cython: task's wall time in the server (p50; threads sharing a core stretch it)" in labels


def test_a_repeat_on_a_busy_machine_decides_nothing():
    """Processes other than the server and Locust took half a core in every repeat: nothing is decided."""
    ev = c10()
    for ms in ev.variants.values():
        for m in ms:
            m.step.quality = {**m.step.quality, "server_core_foreign_pct": 40.0}  # 0.8 cores, 0.2 of them Locust's
    verdict = J.judge_c10(ev)
    assert verdict.verdict == INCONCLUSIVE and all(s.outcome == INCONCLUSIVE for s in verdict.scopes)
    m = ev.get(T.cell(THREADS, "python"))[0]
    assert J.others_cores(m) == pytest.approx(0.6)


@pytest.mark.parametrize("foreign_pct, quiet", [(22.5, True), (22.6, False), (None, True)])
def test_quiet_edge(foreign_pct, quiet):
    m = c10().get(T.cell(THREADS, "python"))[0]
    m.step.quality = {**m.step.quality, "server_core_foreign_pct": foreign_pct}
    assert J.quiet(m) is quiet  # 22.5 % of two cores = 0.45, less Locust's 0.2 = 0.25


# --- missing readings, and what the card says about them ---------------------------------------------

def test_without_the_generators_reading_the_server_had_both_cores():
    m = c10().get(T.cell(THREADS, "python"))[0]
    m.step.generator_cpu_total = None
    assert J.effective_cores(m) == pytest.approx(1.0)  # 100 % of a core, of two
    m.step.quality = {"server_core_foreign_pct": 10.0}
    assert J.others_cores(m) == pytest.approx(0.2)  # 10 % of two cores, none of it Locust's


def test_a_generator_on_a_whole_core_leaves_the_server_one():
    m = c10().get(T.cell(THREADS, "python"))[0]
    m.step.generator_cpu_total = 100.0
    for s in m.samples:
        s.cpu_percent = 80.0
    assert J.effective_cores(m) == pytest.approx(1.6)  # 0.8 of the one core left, in cores of two


def test_a_step_that_served_nothing_has_no_throughput_nor_task_length():
    served_nothing = c10({(THREADS, "python"): (0.0, 100.0)}).get(T.cell(THREADS, "python"))[0]
    assert J.rps(served_nothing) is None
    served_nothing.endpoints = {}
    assert J.rps(served_nothing) is None and J.work_ms(served_nothing) is None


def test_repeats_in_between_are_inconclusive_not_a_side():
    verdict = J.judge_c10(c10({(THREADS, "python"): (19.0, 140.0)}))  # 1.4 effective cores: between the edges
    threads = scope(verdict, "gthread, sync views: pure Python on threads")
    assert (threads.outcome, threads.repeats) == (INCONCLUSIVE, 2)
    assert threads.why == "per repeat: inconclusive, inconclusive (effective cores 1.56, 1.56)"


def test_a_repeat_missing_from_one_cell_is_missing_there_and_the_others_decide():
    ev = c10(repeats=2)
    for cell in (T.cell(THREADS, "python"), T.cell(ONE, "hash")):
        ev.levels[cell.key][T.USERS] = ev.get(cell)[:1]
    verdict = J.judge_c10(ev)
    threads = scope(verdict, "gthread, sync views: pure Python on threads")
    assert (threads.outcome, threads.repeats) == (SUPPORTED, 1)
    assert threads.why.startswith("per repeat: supported, missing (effective cores 1.11, n/a)")
    procs = scope(verdict, "gthread, sync views: pure Python on two processes")
    assert procs.why.endswith("throughput over the threaded process 1.95x, n/a)")
    hashed = scope(verdict, "gthread, sync views: hash (releases the GIL) on threads")
    assert (hashed.outcome, hashed.repeats) == (SUPPORTED, 1)
    assert hashed.why.endswith("0.97x of two processes, n/a one thread)")


def test_an_interface_never_measured_says_no_repeat():
    ev = c10(leave_out=[(s, f) for s in (ATHREADS, APROCESSES) for f in ("python", "hash", "cython")])
    asgi = scope(J.judge_c10(ev), "Uvicorn, async views + thread pool: pure Python on threads")
    assert asgi.outcome == INCONCLUSIVE and asgi.why.startswith("per repeat: no repeat (")


def test_the_card_shows_what_other_processes_took():
    ev = c10()
    for m in ev.get(T.cell(THREADS, "python")):
        m.step.quality = {"server_core_foreign_pct": 15.0}
    others = next(f for f in J.judge_c10(ev).figures if f.label == f"{THREADS} · python: other processes' CPU")
    assert others.text() == "0.10 cores (n=2)"  # 15 % of two cores, less Locust's 0.2


@pytest.mark.parametrize("kept_by", [THREADS, PROCESSES, ONE])
def test_a_repeat_only_one_hash_cell_measured_is_still_listed(kept_by):
    ev = c10(repeats=2)
    for stack in {THREADS, PROCESSES, ONE} - {kept_by}:
        cell = T.cell(stack, "hash")
        ev.levels[cell.key][T.USERS] = ev.get(cell)[:1]
    hashed = scope(J.judge_c10(ev), "gthread, sync views: hash (releases the GIL) on threads")
    assert hashed.why.startswith("per repeat: supported, missing (")
    assert hashed.why.endswith("; n/a of two processes, n/a one thread)")
