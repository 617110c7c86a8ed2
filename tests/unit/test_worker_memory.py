"""C13's judging on evidence built in memory: each memory scope's bands in both directions and at
their edges, the isolation faults both ways, missing and in-between figures, repeats that
disagree, and machine speed (memory does not scale with a machine's speed: nothing moves)."""
from __future__ import annotations

import pytest

from bench import worker_memory as W
from judging import worker_memory as J
from judging.core import INCONCLUSIVE, PARTLY, REFUTED, SUPPORTED
from tests.unit.evidence_builder import V, endpoint, evidence, new_run, sample

MiB = 2**20
ONE_PSS = 60 * MiB
# variant -> its total PSS (bytes) idle and under load, as the claim expects: four processes, four apps
AS_CLAIMED = {W.GTHREAD_ONE: ONE_PSS, W.GTHREAD_FOUR: 4 * ONE_PSS, W.GTHREAD_PRELOAD: 3 * ONE_PSS,
              W.GTHREAD_FREEZE: 2.5 * ONE_PSS, W.UVICORN_ONE: ONE_PSS, W.UVICORN_FOUR: 4 * ONE_PSS}


def memory(changes: dict | None = None, repeats: int = 2, per_repeat=None, speed: float = 1.0, run=None):
    """``changes``: variant -> PSS; ``per_repeat(variant, r)`` -> PSS or None (the default)."""
    figures = {**AS_CLAIMED, **(changes or {})}
    variants = {}
    for v, pss in figures.items():
        steps = []
        for r in range(repeats):
            value = (per_repeat and per_repeat(v, r)) or pss
            for users in (0, W.USERS):
                steps.append(V({"db/read": endpoint(500 * speed, 20 / speed)} if users else {"probe": endpoint(10, 5)},
                               samples=[sample(pss_bytes=int(value), uss_bytes=int(value * 0.8), t=t, processes=5)
                                        for t in (1.0, 2.0, 3.0)], users=users, repeat=r))
        variants[v] = steps
    return evidence(W.C13_MEMORY, variants, run or new_run("memory"))


def fault(failed: int, held: int | None, served_after: int = 50) -> dict:
    return {"failed_requests": failed, "victim_connections": held, "served_after_fault": served_after, "requests": 200}


def faults(kill: list[dict | None], crash: list[dict | None], run=None):
    run = run or new_run("memory")
    kills = evidence(W.C13_KILL, {W.KILL_ONE_OF_FOUR: [V({"io/blocking": endpoint(16, 600)}, repeat=r,
                                                         observations={"fault": f} if f else {}, users=8)
                                                       for r, f in enumerate(kill)]}, run)
    crashes = evidence(W.C13_CRASH, {W.THREAD_CRASH: [V({"io/blocking": endpoint(16, 600)}, repeat=r,
                                                        observations={"fault": f} if f else {}, users=8)
                                                      for r, f in enumerate(crash)]}, run)
    return kills, crashes


CONTAINED = [fault(2, 2), fault(1, 2)]
WHOLE = [fault(8, 8), fault(7, 8)]


def judge(ev=None, kill=CONTAINED, crash=WHOLE):
    if ev is None:
        return J.judge_c13(None)
    return J.judge_c13(ev, *faults(kill, crash))


def scope(verdict, name):
    return next(s for s in verdict.scopes if s.name == name)


def test_no_run():
    verdict = judge()
    assert verdict.verdict == INCONCLUSIVE and "--suite memory" in verdict.needs


def test_as_the_claim_says():
    verdict = judge(memory())
    assert verdict.verdict == SUPPORTED, verdict.why
    assert len(verdict.scopes) == 9 and not verdict.provisional


def test_preloading_that_shares_the_app_refutes_that_scope_only():
    verdict = judge(memory({W.GTHREAD_FREEZE: 1.1 * ONE_PSS}))
    assert scope(verdict, "gthread --preload + gc.freeze, idle").outcome == REFUTED
    assert scope(verdict, "gthread --preload + gc.freeze, under load").outcome == REFUTED
    assert scope(verdict, "gthread, idle").outcome == SUPPORTED
    assert verdict.verdict == PARTLY


def test_a_middle_ratio_is_partly():
    verdict = judge(memory({W.UVICORN_FOUR: 1.3 * ONE_PSS}))
    assert scope(verdict, "uvicorn, under load").outcome == PARTLY


@pytest.mark.parametrize("ratio, outcome", [(1.5, SUPPORTED), (1.499, PARTLY), (1.2, PARTLY), (1.199, REFUTED)])
def test_memory_band_edges(ratio, outcome):
    verdict = judge(memory({W.GTHREAD_FOUR: ratio * ONE_PSS}))
    assert scope(verdict, "gthread, idle").outcome == outcome


def test_repeats_that_fall_in_two_bands_decide_nothing():
    verdict = judge(memory(per_repeat=lambda v, r: 1.3 * ONE_PSS if (v, r) == (W.GTHREAD_FOUR, 1) else None))
    assert scope(verdict, "gthread, idle").outcome == INCONCLUSIVE
    assert "disagree" in scope(verdict, "gthread, idle").why


def test_everything_the_other_way_refutes_it():
    shared = {v: 1.1 * ONE_PSS for v in (W.GTHREAD_FOUR, W.GTHREAD_PRELOAD, W.GTHREAD_FREEZE, W.UVICORN_FOUR)}
    verdict = judge(memory(shared), kill=[fault(6, 2), fault(5, 2)], crash=[fault(1, 8), fault(0, 8)])
    assert [s.outcome for s in verdict.scopes] == [REFUTED] * 9
    assert verdict.verdict == REFUTED


def test_one_repeat_is_provisional():
    verdict = J.judge_c13(memory(repeats=1), *faults(CONTAINED[:1], WHOLE[:1]))
    assert verdict.verdict == SUPPORTED and verdict.provisional


def test_without_the_faults_isolation_is_missing_and_lifts_nothing():
    verdict = J.judge_c13(memory())
    assert scope(verdict, "isolation").outcome == INCONCLUSIVE
    assert verdict.verdict == INCONCLUSIVE


@pytest.mark.parametrize("kill, crash, outcome", [
    (fault(2, 2), fault(8, 8), SUPPORTED),
    (fault(3, 2), fault(8, 8), REFUTED),  # the kill took others' requests
    (fault(2, 2), fault(1, 8), REFUTED),  # the crash took its own request only: threads isolated
    (fault(2, 2, served_after=0), fault(8, 8), INCONCLUSIVE),  # nobody served after: not contained
    (fault(2, 2), fault(5, 8), INCONCLUSIVE),  # 5 of 8: under three quarters, more than one
    (fault(2, 2), fault(6, 8), SUPPORTED),  # exactly three quarters
    (fault(2, None), fault(8, 8), None),  # the victim's connections were not read
    (None, fault(8, 8), None),
    (fault(2, 2), None, None),
])
def test_isolation_outcomes(kill, crash, outcome):
    assert J.isolation_outcome(kill, crash) == outcome


def test_an_in_between_repeat_is_not_missing_data():
    """One repeat supports, the other is in between: the scope is inconclusive, not supported."""
    verdict = judge(memory(), crash=[fault(8, 8), fault(5, 8)])
    assert scope(verdict, "isolation").outcome == INCONCLUSIVE


@pytest.mark.parametrize("speed", [1 / 3, 3.0])
def test_machine_speed_moves_nothing(speed):
    for changes in ({}, {W.GTHREAD_FREEZE: 1.1 * ONE_PSS}):
        base, other = judge(memory(changes)), judge(memory(changes, speed=speed))
        assert [s.outcome for s in other.scopes] == [s.outcome for s in base.scopes]


def test_the_card_shows_pss_and_uss_of_each_deployment_and_each_fault():
    verdict = judge(memory())
    labels = [f.label for f in verdict.figures]
    assert "gthread 4w x 2t --preload, under load: total PSS" in labels
    assert "uvicorn 1w, idle: total USS" in labels
    assert "crashed thread, repeat 2" in labels
    pss = next(f for f in verdict.figures if f.label == "gthread 4w x 2t, idle: total PSS")
    assert pss.median == pytest.approx(240.0)


# --- what a scope says when figures are missing ----------------------------------------------------

def drop(ev, variant, users: int, repeat: int):
    """``ev`` without ``variant``'s step at ``users`` in ``repeat`` (that step was not valid)."""
    ev.levels[variant.key][users] = [m for m in ev.at(variant, users) if m.experiment_run.repeat != repeat]
    return ev


def test_a_repeat_measured_on_one_side_only_shows_n_a_and_the_others_decide():
    ev = drop(memory(repeats=3), W.GTHREAD_FOUR, 0, 2)
    gthread = scope(judge(drop(ev, W.UVICORN_ONE, 0, 0)), "gthread, idle")
    assert (gthread.outcome, gthread.repeats) == (SUPPORTED, 2)
    assert gthread.why == "four workers' PSS over one's, per repeat: 4.00x, 4.00x, n/a"
    assert scope(judge(ev), "uvicorn, idle").why == "four workers' PSS over one's, per repeat: n/a, 4.00x, 4.00x"


def test_a_step_whose_pss_was_not_read_shows_n_a_not_zero():
    ev = memory()
    for m in ev.at(W.GTHREAD_ONE, 0):
        for s in m.samples:
            s.pss_bytes, s.uss_bytes = None, 0
    verdict = judge(ev)
    gthread = scope(verdict, "gthread, idle")
    assert gthread.outcome == INCONCLUSIVE
    assert gthread.why == "four workers' PSS over one's, per repeat: n/a, n/a; no repeat gave the PSS ratio"
    figures = {f.label: f.text() for f in verdict.figures}
    assert figures["gthread 1w x 8t, idle: total PSS"] == figures["gthread 1w x 8t, idle: total USS"] == "n/a"


def test_a_pair_never_measured_at_a_level_says_no_repeat():
    ev = memory()
    for v in (W.UVICORN_ONE, W.UVICORN_FOUR):
        del ev.levels[v.key][W.USERS]
    uvicorn = scope(judge(ev), "uvicorn, under load")
    assert uvicorn.outcome == INCONCLUSIVE
    assert uvicorn.why.startswith("four workers' PSS over one's, per repeat: no repeat")


# --- the faults' edges and what the isolation scope says --------------------------------------------

def test_a_kill_needs_someone_served_after_it_one_request_is_enough():
    assert J.kill_outcome(fault(2, 2, served_after=1)) == SUPPORTED
    assert J.kill_outcome({"failed_requests": 2, "victim_connections": 2}) == INCONCLUSIVE  # not recorded: not shown


def test_a_crash_failing_two_of_two_supports_and_a_process_holding_nothing_tells_nothing():
    assert J.crash_outcome(fault(2, 2)) == SUPPORTED  # more than one request, all it held
    assert J.crash_outcome(fault(5, 0)) is None  # held no connection: no share to compare
    assert J.crash_outcome({"victim_connections": 8}) is None  # failures not read


def test_isolation_scope_says_what_each_fault_did_per_repeat_and_leaves_a_missing_fault_out():
    verdict = judge(memory(), kill=[fault(2, 2), fault(1, 2)], crash=[{"victim_connections": 8}])
    isolation = scope(verdict, "isolation")
    assert (isolation.outcome, isolation.repeats) == (INCONCLUSIVE, 0)
    assert isolation.why == ("killed worker: 2 failed of 2 connections held; crashed thread: n/a; "
                             "killed worker: 1 failed of 2 connections held; crashed thread: n/a; "
                             "no repeat gave the isolation")
    figures = {f.label: f.text() for f in verdict.figures}
    assert figures["crashed thread, repeat 1"] == "n/a"


def test_a_kill_without_its_crash_in_a_repeat_leaves_that_repeat_out():
    isolation = scope(judge(memory(), crash=WHOLE[:1]), "isolation")
    assert (isolation.outcome, isolation.repeats) == (SUPPORTED, 1)
    assert isolation.why.endswith("killed worker: 1 failed of 2 connections held; crashed thread: n/a")


def test_repeats_where_nobody_served_after_the_kill_are_inconclusive_not_refuted():
    kill = [fault(2, 2, served_after=0), fault(1, 2, served_after=0)]
    assert scope(judge(memory(), kill=kill), "isolation").outcome == INCONCLUSIVE


def test_isolation_repeats_that_disagree_say_so():
    isolation = scope(judge(memory(), kill=[fault(2, 2), fault(3, 2)]), "isolation")
    assert isolation.outcome == INCONCLUSIVE and isolation.why.endswith("; the repeats disagree (1 supported, "
                                                                         "1 refuted)")


def test_no_fault_injected_says_so():
    assert scope(J.judge_c13(memory()), "isolation").why == "the run holds neither crash experiment"


def test_a_crash_without_its_kill_in_a_repeat_leaves_that_repeat_out():
    isolation = scope(judge(memory(), kill=CONTAINED[:1]), "isolation")
    assert (isolation.outcome, isolation.repeats) == (SUPPORTED, 1)
    assert isolation.why.endswith("killed worker: n/a; crashed thread: 7 failed of 8 connections held")
