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
