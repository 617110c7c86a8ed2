"""The claims' judges fed synthetic evidence built in memory: every outcome of every claim from
data a real run could produce, the noise rule, missing data, and machine speed. No database: each
``judge_cX`` takes what the store's reader would hand it (tests/unit/evidence_builder.py), and
``test_no_judge_queries_the_database`` proves that none reaches for more.

What reads the store (which run a card reads, invalid steps, one run per card) is tested against
PostgreSQL in tests/integration/test_verdict_shells.py.

``speed`` scales every synthetic figure the way a slower machine would (RPS times speed,
durations divided by it): a verdict about a ratio must not move with it.
"""
from __future__ import annotations

import ast
import inspect
import json
import math
import os
from pathlib import Path
from typing import Callable

import pytest

from bench import experiments as X
from bench import in_flight as IF
from bench.evidence import Evidence
from bench.suites import SUITES
from judging import verdicts
from judging.core import (INCONCLUSIVE, OUTCOMES, PARTLY, REFUTED, SUPPORTED, Figure, Rule, Scope, Verdict, combine,
                          paired)
from judging.measures import per_repeat
from tests.unit.cells import (KiB, MiB, c1_variants, c2_variants, c3_variants, c5_variants, c6_variants, c7_obs,
                              c8_db_variants, merged, pgbench_variants, whoami_obs)
from tests.unit.evidence_builder import V, endpoint, evidence, new_run, sample
from tests.unit.grid_cells import (FASTAPI, GRANIAN, REUSE, THREADS, UVICORN_1W, UVICORN_2W, grid_of, missed_cell,
                                   replace_cells)
from tests.unit.test_server_push import DJANGO as PUSH_DJANGO, THREADS as PUSH_THREADS, everywhere, grid as push_grid
from tests.unit.test_upstream_calls import PER_REQUEST, POOLED, grid as upstream_grid
from tests.unit.test_cores import PROCESSES as C10_PROCESSES, THREADS as C10_THREADS, c10
from tests.unit import test_worker_memory as c13
from tests.unit import test_handover as TH

SLOW = 1 / 3  # a machine three times slower per core

JUDGES = {"C2": verdicts.judge_c2, "C3": verdicts.judge_c3, "C4": verdicts.judge_c4, "C5": verdicts.judge_c5,
          "C6": verdicts.judge_c6, "C7": verdicts.judge_c7, "C10": verdicts.judge_c10, "C13": verdicts.judge_c13, "C14": verdicts.judge_c14, "C15": verdicts.judge_c15}


def judge(claim: str, ev=None, *, db: Evidence | None = None, ceiling: dict | None = None,
          ladder: tuple = (), c4: Verdict | None = None, c7: Verdict | None = None) -> Verdict:
    """The claim's judge on what a shell would have read: ``ev`` its main evidence (None: no run
    holds it; for C8 the thousands-in-flight grid), and the other parts of the card where the claim has them."""
    if claim == "C1":
        verdict = verdicts.judge_c1(ev, ceiling or {})
    elif claim == "C8":
        verdict = verdicts.judge_c8(ev, db, ceiling or {}, list(ladder))
    elif claim == "C9":
        verdict = verdicts.judge_c9(c4 or verdicts.judge_c4(None), c7 or verdicts.judge_c7(None))
    elif claim == "C11":
        verdict = verdicts.judge_c11(*(ev or (None, None, None)))  # the hand-over grid and the two sweeps
    elif claim == "C12":
        verdict = verdicts.judge_c12(ev, db)  # the curves' knees, and the grid
    else:
        verdict = JUDGES[claim](ev)
    assert verdict.verdict in OUTCOMES
    return verdict


# --- the judges are pure ---------------------------------------------------------------------

def test_the_database_is_out_of_reach_here(no_database):
    """The guard the next test relies on: a query in a unit test fails, and is counted even when
    the failure is swallowed."""
    from bench.models import Run

    with pytest.raises(Exception):
        Run.objects.count()
    try:
        list(Run(id=1).experiments.all())  # a relation of an unsaved row with a key: a query
    except Exception:
        pass
    assert no_database == ["default", "default"]


def test_no_judge_queries_the_database(no_database):
    """Evidence in, verdict out: every judge, on evidence that reaches each of its parts (C8's
    baseline sample too), runs without a single attempt to reach the database."""
    run = new_run()
    c8_parts = {"ev": grid_of(C8_SUPPORTED, uss_per_request=C8_MEMORY_SUPPORTED),
                "db": evidence(X.C8_DB, merged(c8_db_variants(), c8_db_variants()), run),
                "ceiling": verdicts.pg_ceiling(evidence(X.PG_ALONE, pgbench_variants(20_000, 40_000), run))}
    c4 = judge("C4", evidence(X.C4, {v: V({"whoami": endpoint(1000, 5)}, deployment={"workers": 1},
                                          observations=whoami_obs([(1, 11, True)])) for v in X.C4.variants}))
    c7 = judge("C7", evidence(X.C7, {v: V({"async whoami": endpoint(300, 10)}, observations=c7_obs(False))
                                     for v in (X.C7_DJANGO, X.C7_FASTAPI)}))
    made = {
        "C1": judge("C1", evidence(X.C1_FULL, c1_variants({e: [(1000, 700)] * 2 for e in EVERY_C1})),
                    ceiling=c8_parts["ceiling"]),
        "C2": judge("C2", evidence(X.C2_FULL, c2_variants(9, 100))),
        "C3": judge("C3", evidence(X.C3, {**c3_variants(5, 400, 8), **c3_variants(5, 400, 8, cells=X.C3_FASTAPI)})),
        "C4": c4,
        "C5": judge("C5", evidence(X.C5, {**c5_variants(1.0, 300.0), **c5_variants(1.0, 300.0, X.C5_FASTAPI)})),
        "C6": judge("C6", evidence(X.C6, {**c6_variants(40, 20, 80, 80), **c6_variants(40, 20, 80, 80,
                                                                                     cells=X.C6_FASTAPI)})),
        "C7": c7,
        "C8": judge("C8", **c8_parts),
        "C9": judge("C9", c4=c4, c7=c7),
        "C11": judge("C11", TH.handover()),
        "C12": judge("C12", C12_SYNC_WINS, db=grid_of(C8_SUPPORTED)),
        "C14": judge("C14", push_grid(everywhere(**{PUSH_THREADS: {"per_subscriber": 40 * KiB},
                                                    PUSH_DJANGO: {"per_subscriber": 10 * KiB}}))),
        "C15": judge("C15", upstream_grid()),
        "C10": judge("C10", c10()),
        "C13": c13.judge(c13.memory()),
    }
    assert set(made) == set(verdicts.JUDGES)
    assert all(v.verdict == SUPPORTED for c, v in made.items() if c != "C12"), {c: (v.verdict, v.why) for c, v in made.items()}
    assert made["C12"].verdict == INCONCLUSIVE  # its mixed region needs a probe the curves do not have
    assert any("share of PostgreSQL alone" in f.label for f in made["C8"].figures)  # the ceiling was used
    assert no_database == []


# --- the catalogue and the rules ---------------------------------------------------------------

def test_every_variant_a_verdict_names_is_defined_by_the_catalogue():
    """Verdicts refer to variants through bench.experiments; each name they use must exist
    there, and every variant object they read must belong to an experiment of its name."""
    source = inspect.getsource(verdicts)
    names = {n.attr for n in ast.walk(ast.parse(source))
             if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and n.value.id == "X"}
    missing = sorted(n for n in names if not hasattr(X, n))
    assert not missing, missing
    for name in names:
        value = getattr(X, name)
        if isinstance(value, X.Variant):
            assert any(value in e.variants for suite in SUITES.values() for e in suite), name


def test_asking_evidence_for_an_undefined_variant_fails_loudly():
    ev = evidence(X.C3, {X.C3_BLOCKING: V({"probe": endpoint(5, 400)})})
    stranger = X.Variant("uvicorn 1w renamed", X.uvicorn())
    with pytest.raises(LookupError):
        ev.get(stranger)


@pytest.mark.parametrize("claim", list(verdicts.JUDGES))
def test_no_data_is_inconclusive_with_the_command_that_produces_it(claim):
    verdict = judge(claim)
    assert verdict.verdict == INCONCLUSIVE and "manage.py bench --suite" in verdict.needs
    assert not verdict.provisional


@pytest.mark.parametrize("claim", list(verdicts.JUDGES))
def test_every_rule_renders_its_thresholds(claim):
    """Every threshold reaches the card's text: moving any one of them changes what it says (a
    deleted placeholder would leave the text as it was, whatever digits appear elsewhere)."""
    rule = verdicts.RULES[claim]
    text = rule.render()
    assert "{" not in text
    for name, value in rule.limits.items():
        moved = Rule(rule.text, {**rule.limits, name: value + 7919}).render()
        assert moved != text, (claim, name)


def outcomes(*scope_outcomes: str) -> str:
    return combine([Scope(chr(97 + k), o, "") for k, o in enumerate(scope_outcomes)])[0]


def test_combine_adds_up_scopes():
    s, p, r, i = SUPPORTED, PARTLY, REFUTED, INCONCLUSIVE
    assert outcomes(s, s) == s and outcomes(r, r) == r and outcomes(p, p) == p
    assert combine([Scope("a", s, ""), Scope("b", r, "")]) == (p, "holds on a; not on b")
    assert outcomes(s, p) == p and outcomes(r, p) == p and outcomes(i) == i and outcomes() == i


@pytest.mark.parametrize("scopes,expected", [
    ((REFUTED, REFUTED, INCONCLUSIVE), INCONCLUSIVE),  # missing data never lifts a claim to partly
    ((SUPPORTED, SUPPORTED, INCONCLUSIVE), INCONCLUSIVE),  # ... nor does it count as support
    ((SUPPORTED, REFUTED, INCONCLUSIVE), PARTLY),  # partly whatever the unknown scope turns out to be
    ((PARTLY, INCONCLUSIVE), PARTLY),
    ((INCONCLUSIVE, INCONCLUSIVE), INCONCLUSIVE),
])
def test_combine_is_the_outcome_every_completion_of_the_unknown_scopes_agrees_on(scopes, expected):
    assert outcomes(*scopes) == expected
    completions = {outcomes(*[o if o != INCONCLUSIVE else fill for o in scopes]) for fill in (SUPPORTED, PARTLY, REFUTED)}
    assert expected == (completions.pop() if len(completions) == 1 else INCONCLUSIVE)


def test_combine_names_every_scopes_outcome():
    why = combine([Scope("ping", SUPPORTED, ""), Scope("cpu", REFUTED, ""), Scope("db", INCONCLUSIVE, "")])[1]
    assert why == "holds on ping; not on cpu; inconclusive on db"


# --- C1 -------------------------------------------------------------------------------------

def c1(drops: dict[str, list[tuple[float, float]]], speed: float = 1.0, cpu: float = 99.0,
       ci_pct: float | None = 0.5, ci_pct_four: float | None = None) -> Evidence:
    return evidence(X.C1_FULL, c1_variants(drops, speed, cpu, ci_pct, ci_pct_four))


EVERY_C1 = list(X.C1_WORKLOADS)


@pytest.mark.parametrize("one,four,expected", [
    (1000, 700, SUPPORTED), (1000, 880, PARTLY), (1000, 1050, REFUTED)])
@pytest.mark.parametrize("speed", [1.0, SLOW])
def test_c1_outcomes_on_every_workload_and_at_any_speed(one, four, expected, speed):
    verdict = judge("C1", c1({e: [(one, four)] for e in EVERY_C1}, speed))
    assert verdict.verdict == expected, verdict.why
    assert [s.name for s in verdict.scopes] == EVERY_C1 and verdict.provisional


def test_c1_says_where_the_claim_holds_and_where_not():
    verdict = judge("C1", c1({"ping": [(1000, 650)], "cpu": [(100, 99)], "io/sleep": [(900, 700)]}))
    assert verdict.verdict == PARTLY
    outcome = {s.name: s.outcome for s in verdict.scopes}
    assert outcome["ping"] == SUPPORTED and outcome["cpu"] == REFUTED and outcome["io/sleep"] == SUPPORTED
    assert outcome["mixed"] == INCONCLUSIVE and "mixed" in verdict.why


def test_c1_noise_makes_a_workload_inconclusive_and_repeats_make_it_final():
    noisy = judge("C1", c1({"ping": [(1000, 950), (800, 1150), (1200, 850)]}))
    assert {s.name: s.outcome for s in noisy.scopes}["ping"] == INCONCLUSIVE
    tight = judge("C1", c1({e: [(1000, 700), (990, 690), (1010, 710)] for e in EVERY_C1}))
    assert tight.verdict == SUPPORTED and not tight.provisional and tight.repeats == 3
    drop = next(f for f in tight.figures if f.label == "ping: Uvicorn RPS drop, 1 -> 4 workers (each repeat against its own)")
    assert drop.n == 3 and drop.text().startswith("30.0 % (range 29.7–30.3, n=3)")


@pytest.mark.parametrize("pairs,expected", [
    # three repeats of a 1 % drop against a claimed 20 %: refuted, not "within noise"
    ([(1000, 990), (1000, 991), (1000, 989)], REFUTED),
    # drops of 15, 21 and 22 %: one repeat misses the 20 % line, so not supported
    ([(1000, 850), (1000, 790), (1000, 780)], INCONCLUSIVE),
    ([(1000, 750), (1000, 790), (1000, 780)], SUPPORTED),
    ([(1000, 900), (1000, 880), (1000, 850)], PARTLY),  # 10, 12, 15 %: every repeat in the middle band
])
def test_c1_each_repeat_falls_in_a_band_and_the_band_every_repeat_agrees_on_decides(pairs, expected):
    scope = {s.name: s for s in judge("C1", c1({"ping": pairs})).scopes}["ping"]
    assert scope.outcome == expected, scope.why
    assert scope.repeats == 3


def test_c1_a_repeat_whose_own_interval_spans_a_band_edge_decides_nothing():
    """A 22 % drop between steps each known to +-3 %: its interval (about 18-26 %) spans the 20 %
    line. The same drop measured to +-0.5 % is a clear support."""
    loose = {s.name: s for s in judge("C1", c1({"ping": [(1000, 780)] * 2}, ci_pct=3.0)).scopes}["ping"]
    assert loose.outcome == INCONCLUSIVE and "spans a band edge" in loose.why
    tight = {s.name: s for s in judge("C1", c1({"ping": [(1000, 780)] * 2}, ci_pct=0.5)).scopes}["ping"]
    assert tight.outcome == SUPPORTED


def test_c1_steps_too_short_to_know_their_precision_make_the_verdict_provisional():
    verdict = judge("C1", c1({e: [(1000, 700)] * 3 for e in EVERY_C1}, ci_pct=None))
    assert verdict.verdict == SUPPORTED and verdict.provisional and verdict.repeats == 3
    assert "precision unknown" in verdict.scopes[0].why


def test_c1_a_server_that_was_not_saturated_decides_nothing():
    idle = judge("C1", c1({e: [(1000, 700)] for e in EVERY_C1}, cpu=60.0))
    assert idle.verdict == INCONCLUSIVE
    assert all("not saturated" in s.why for s in idle.scopes)
    assert judge("C1", c1({e: [(1000, 700)] for e in EVERY_C1}, cpu=90.0)).verdict == SUPPORTED


def ping(ev: Evidence) -> Scope:
    return {s.name: s for s in judge("C1", ev).scopes}["ping"]


def test_c1_a_drop_on_a_band_line_is_in_the_band_above_it():
    """The bands are ">= 20 %" and ">= 5 %", measured here with no interval: a drop exactly on a
    line is in the band above it, 0.1 % less is not."""
    assert ping(c1({"ping": [(1000, 800)]}, ci_pct=0.0)).outcome == SUPPORTED
    assert ping(c1({"ping": [(1000, 801)]}, ci_pct=0.0)).outcome == PARTLY
    assert ping(c1({"ping": [(1000, 950)]}, ci_pct=0.0)).outcome == PARTLY
    assert ping(c1({"ping": [(1000, 951)]}, ci_pct=0.0)).outcome == REFUTED


def test_c1_a_server_at_exactly_the_saturation_line_was_saturated():
    assert ping(c1({"ping": [(1000, 700)]}, cpu=85.0)).outcome == SUPPORTED


@pytest.mark.parametrize("reach,expected", [(0.995, SUPPORTED), (1.005, INCONCLUSIVE)])
def test_c1_a_drops_interval_adds_the_two_steps_intervals_in_quadrature(reach, expected):
    """The 4-worker rate over the 1-worker one is (1 - drop); independent steps known to +-1.5 %
    and +-2.5 % make it known to their quadrature sum, so the drop's half-width is (100 - drop) x
    hypot(1.5, 2.5) / 100. A drop whose interval ends 0.5 % short of the 20 % line supports the
    claim; one whose interval reaches 0.5 % past it decides nothing."""
    one, four = 1.5, 2.5
    spread = math.hypot(one, four) / 100
    drop = (100 * spread + 20 * reach) / (reach + spread)  # half-width = reach x (drop - 20)
    assert (100 - drop) * spread == pytest.approx(reach * (drop - 20))
    scope = ping(c1({"ping": [(1000, 1000 - 10 * drop)]}, ci_pct=one, ci_pct_four=four))
    assert scope.outcome == expected, scope.why


# --- C2 -------------------------------------------------------------------------------------

def c2(threads_probe: float, inline_probe: float, mixed_cpu: float = 97, **kw) -> Evidence:
    return evidence(X.C2_FULL, c2_variants(threads_probe, inline_probe, mixed_cpu, **kw))


@pytest.mark.parametrize("threads_probe,inline_probe,mixed_cpu,expected", [
    (9, 100, 97, SUPPORTED),  # 9 ms per heavy user: within 4 intervals each, and inline waits out the task
    (9, 100, 60, PARTLY),  # the utilisation half fails
    (25, 100, 97, PARTLY),  # threads help, but the probe is not near the switch interval
    (120, 100, 60, REFUTED),  # threads never help and the core is not kept busy
])
def test_c2_outcomes(threads_probe, inline_probe, mixed_cpu, expected):
    verdict = judge("C2", c2(threads_probe, inline_probe, mixed_cpu))
    assert verdict.verdict == expected, verdict.why
    assert {s.name for s in verdict.scopes} == {"1 heavy user", "2 heavy users", "4 heavy users", "utilisation"}


def test_c2_threads_no_better_than_inline_is_refuted_as_the_rule_says_not_inconclusive():
    scopes = {s.name: s for s in judge("C2", c2(100, 100, 97)).scopes}
    assert scopes["1 heavy user"].outcome == REFUTED, scopes["1 heavy user"].why


def test_c2_a_level_the_threads_side_lacks_is_missing_data_not_absent():
    scopes = {s.name: s for s in judge("C2", c2(9, 100, threads_levels=(1, 2))).scopes}
    assert scopes["4 heavy users"].outcome == INCONCLUSIVE and "gthread" in scopes["4 heavy users"].why


@pytest.mark.parametrize("work_ms,in_scope", [(200, False), (2, True)])
def test_c2_utilisation_is_out_of_scope_when_the_load_asks_for_several_cores(work_ms, in_scope):
    """16 users of 20 ms sleep + work: 200 ms of work asks for 14.5 cores (any model is busy),
    2 ms for 1.5 (a model that cannot overlap CPU with sleeps would leave the core idle)."""
    verdict = judge("C2", c2(9, 100, 60, mixed_work=work_ms))
    utilisation = {s.name: s for s in verdict.scopes}["utilisation"]
    assert utilisation.in_scope is in_scope
    assert verdict.verdict == (PARTLY if in_scope else SUPPORTED), verdict.why


def test_c2_probes_exactly_on_the_rules_lines_meet_them():
    """At one heavy user the bounds are 4 switch intervals (20 ms) for threads and 0.8 of the
    80 ms task (64 ms) for inline coroutines: a probe exactly on each holds."""
    assert {s.name: s.outcome for s in judge("C2", c2(20, 64)).scopes}["1 heavy user"] == SUPPORTED


def test_c2_a_mixed_load_asking_for_exactly_two_cores_is_out_of_scope():
    """16 users of 14 ms sleep and 2 ms of work ask for 16 x 2 / 16 = 2 cores, the rule's line."""
    verdict = judge("C2", c2(9, 100, 60, mixed_work=2, mixed_sleep_ms=14))
    assert {s.name: s for s in verdict.scopes}["utilisation"].in_scope is False


def test_c2_a_failing_probe_fails_the_utilisation_half():
    verdict = judge("C2", c2(9, 100, 97, probe_failures=3))
    assert {s.name: s.outcome for s in verdict.scopes}["utilisation"] == REFUTED


def test_c2_without_the_server_read_switch_interval_is_inconclusive_per_level():
    ev = evidence(X.C2_FULL, {X.C2_THREADS: V({"probe": endpoint(10, 9)}, users=1),
                              X.C2_INLINE: V({"cpu": endpoint(12, 160, fastest=80), "probe": endpoint(10, 100)},
                                             users=1)})
    verdict = judge("C2", ev)
    assert verdict.verdict == INCONCLUSIVE


# --- C3 -------------------------------------------------------------------------------------

def c3(unloaded: float, blocking_probe: float, fix_probe: float, blocking_rps: float = 19.5,
       speed: float = 1.0) -> Evidence:
    return evidence(X.C3, c3_variants(unloaded, blocking_probe, fix_probe, blocking_rps, speed))


@pytest.mark.parametrize("unloaded,blocking_probe,fix_probe,rps,expected", [
    (5, 400, 8, 19.5, SUPPORTED),
    (5, 400, 60, 19.5, PARTLY),  # under a fix the probe waited far beyond its unloaded p99
    (5, 400, 8, 60, PARTLY),  # throughput is not workers x 1000/ms
    (5, 20, 8, 19.5, REFUTED),  # the probe never waited a whole blocking call
])
def test_c3_outcomes(unloaded, blocking_probe, fix_probe, rps, expected):
    verdict = judge("C3", c3(unloaded, blocking_probe, fix_probe, rps))
    assert verdict.verdict == expected, verdict.why


def test_c3_unaffected_is_measured_against_the_unloaded_probe_of_the_same_run():
    # 58 ms under the fixes: fine when the probe took 40 ms unloaded (a slow machine), not when it took 5
    assert judge("C3", c3(40, 400, 58)).verdict == SUPPORTED
    assert judge("C3", c3(5, 400, 58)).verdict == PARTLY


def test_c3_figures_exactly_on_the_rules_lines_meet_them():
    """A probe held up exactly one 50 ms blocking call, io/blocking's RPS exactly 25 % below
    workers x 1000/ms (15 of 20), and every fix's probe exactly at its bound (the unloaded 5 ms
    plus the 20 ms margin): each condition holds."""
    scopes = {s.name: s.outcome for s in judge("C3", c3(5, 50, 25, 15.0)).scopes}
    assert scopes == {"io/blocking": SUPPORTED, "throughput": SUPPORTED, "io/sleep": SUPPORTED,
                      "io/threadpool": SUPPORTED, "io/background (blocking call)": SUPPORTED,
                      "FastAPI": INCONCLUSIVE}  # no FastAPI cells here


def test_c3_without_the_unloaded_baseline_is_inconclusive():
    ev = evidence(X.C3, {X.C3_BLOCKING: V({"io/blocking": endpoint(19.5, 500), "probe": endpoint(20, 400)})})
    verdict = judge("C3", ev)
    assert verdict.verdict == INCONCLUSIVE and verdict.needs


@pytest.mark.parametrize("blocking_probes,expected", [((400, 450), SUPPORTED), ((400, 20), INCONCLUSIVE),
                                                      ((20, 30), REFUTED)])
def test_c3_io_blocking_is_decided_repeat_by_repeat(blocking_probes, expected):
    ev = evidence(X.C3, merged(*(c3_variants(5, b, 8) for b in blocking_probes)))
    assert judge("C3", ev).verdict == expected


def test_c3_a_fix_is_held_to_the_unloaded_probe_of_its_own_repeat():
    """Repeat 0 ran on a fast stretch (5 ms unloaded), repeat 1 on a slow one (50 ms): a 60 ms fix
    probe is within bounds of repeat 1 only, so the fix is inconclusive, not a pass on the median."""
    ev = evidence(X.C3, merged(c3_variants(5, 400, 60), c3_variants(50, 400, 60)))
    scopes = {s.name: s.outcome for s in judge("C3", ev).scopes}
    assert scopes["io/sleep"] == INCONCLUSIVE


# --- C4, C7, C9 -------------------------------------------------------------------------------

@pytest.mark.parametrize("pairs,expected", [
    ([(1, 11, True), (2, 22, True), (3, 33, True)], SUPPORTED),
    ([(1, 11, True), (1, 12, True), (2, 22, True), (3, 33, True)], REFUTED),  # two loops in one process
    ([(1, 11, True), (2, 22, False), (3, 33, True)], REFUTED),  # off the main thread
    ([(1, 11, True), (2, 22, True)], INCONCLUSIVE),  # a worker never answered
])
def test_c4_outcomes(pairs, expected):
    three = {"server": "uvicorn", "workers": 3}
    ev = evidence(X.C4, {v: V({"whoami": endpoint(1000, 5)}, deployment=three, observations=whoami_obs(pairs))
                         for v in X.C4.variants})
    assert judge("C4", ev).verdict == expected


def test_c4_says_which_deployments_were_silent_and_which_lacked_a_worker():
    """A deployment some of whose workers never answered did answer: the card must not say it gave
    no samples (it did, until this was fixed, whenever every deployment was left open)."""
    three = {"server": "uvicorn", "workers": 3}
    two_of_three = whoami_obs([(1, 11, True), (2, 22, True)])
    mixed = evidence(X.C4, {X.C4_DJANGO[0]: V({"whoami": endpoint(1000, 5)}, deployment=three, observations=two_of_three),
                            X.C4_DJANGO[1]: V({"whoami": endpoint(1000, 5)}, deployment=three)})
    verdict = judge("C4", mixed)
    assert verdict.verdict == INCONCLUSIVE
    assert verdict.why == ("some workers of uvicorn 3w never answered the samples; "
                           "no whoami samples from gunicorn+uvicorn 3w")
    short = judge("C4", evidence(X.C4, {v: V({"whoami": endpoint(1000, 5)}, deployment=three,
                                             observations=two_of_three) for v in X.C4_DJANGO}))
    assert short.verdict == INCONCLUSIVE
    assert short.why == "some workers of uvicorn 3w, gunicorn+uvicorn 3w never answered the samples"


def test_c7_and_c9_outcomes():
    c4 = judge("C4", evidence(X.C4, {v: V({"whoami": endpoint(1000, 5)}, deployment={"server": "uvicorn", "workers": 1},
                                          observations=whoami_obs([(1, 11, True)])) for v in X.C4.variants}))
    c7 = evidence(X.C7, {X.C7.variants[0]: V({"async whoami": endpoint(300, 10)}, observations=c7_obs(False))})
    assert judge("C7", c7).verdict == SUPPORTED
    assert judge("C9", c4=c4, c7=judge("C7", c7)).verdict == SUPPORTED
    c7_bad = evidence(X.C7, {X.C7.variants[0]: V({"async whoami": endpoint(300, 10)}, observations=c7_obs(True))})
    assert judge("C7", c7_bad).verdict == REFUTED
    assert judge("C9", c4=c4, c7=judge("C7", c7_bad)).verdict == REFUTED
    assert judge("C9", c4=c4).verdict == INCONCLUSIVE  # C7 has no data: C9 cannot be decided


def test_c7_without_samples_is_inconclusive_not_refuted():
    ev = evidence(X.C7, {X.C7.variants[0]: V({"async whoami": endpoint(300, 10)})})
    assert judge("C7", ev).verdict == INCONCLUSIVE


# --- C5 -------------------------------------------------------------------------------------

@pytest.mark.parametrize("sleep_lag,blocking_lag,expected", [
    (1.0, 300.0, SUPPORTED), (40.0, 300.0, PARTLY), (1.0, 3.0, REFUTED)])
def test_c5_outcomes(sleep_lag, blocking_lag, expected):
    assert judge("C5", evidence(X.C5, c5_variants(sleep_lag, blocking_lag))).verdict == expected


@pytest.mark.parametrize("repeats,expected", [
    ([(1.0, 300.0), (1.0, 280.0)], SUPPORTED),
    ([(1.0, 300.0), (1.0, 3.0)], INCONCLUSIVE),  # one repeat's blocking load left the loop calm: no verdict
    ([(1.0, 3.0), (1.0, 4.0)], REFUTED),
])
def test_c5_is_decided_repeat_by_repeat(repeats, expected):
    verdict = judge("C5", evidence(X.C5, merged(*(c5_variants(a, b) for a, b in repeats))))
    assert verdict.verdict == expected, verdict.why
    assert verdict.deciding_repeats == 2 and not verdict.provisional or expected == INCONCLUSIVE


def test_c5_lags_exactly_on_the_rules_lines_meet_them():
    """Blocking calls of 100 ms: a lag of exactly half of one is high enough, and a lag of exactly
    10 ms under the non-blocking load low enough."""
    assert judge("C5", evidence(X.C5, c5_variants(10.0, 50.0))).verdict == SUPPORTED


def test_c5_without_lag_samples_is_inconclusive():
    ev = evidence(X.C5, {v: V({"probe": endpoint(10, 5)}) for v in X.C5.variants})
    assert judge("C5", ev).verdict == INCONCLUSIVE


# --- C6 -------------------------------------------------------------------------------------

def c6(json_parse: float, orjson_parse: float, inline_probe: float, uss_buffer: int, speed: float = 1.0) -> Evidence:
    return evidence(X.C6, c6_variants(json_parse, orjson_parse, inline_probe, uss_buffer, speed))


@pytest.mark.parametrize("json_parse,orjson_parse,inline_probe,uss_buffer,expected", [
    (40, 20, 80, 80, SUPPORTED),
    (40, 38, 80, 50, PARTLY),  # only the offload part holds
    (40, 38, 20, 50, REFUTED),  # nothing holds
])
@pytest.mark.parametrize("speed", [1.0, SLOW])
def test_c6_outcomes_at_any_speed(json_parse, orjson_parse, inline_probe, uss_buffer, expected, speed):
    verdict = judge("C6", c6(json_parse, orjson_parse, inline_probe, uss_buffer, speed))
    assert verdict.verdict == expected, verdict.why
    assert "spool" in verdict.note


def test_c6_orjson_is_decided_by_the_server_timed_parse_not_by_latency():
    # end-to-end latencies are equal in c6; only the server-timed parse differs
    verdict = judge("C6", c6(40, 20, 20, 50))
    assert {s.name: s.outcome for s in verdict.scopes}["orjson faster"] == SUPPORTED
    no_timing = evidence(X.C6, {v: V({"json": endpoint(20, 200), "probe": endpoint(10, 20)})
                                for v in X.C6_JSON.values()})
    assert {s.name: s.outcome for s in judge("C6", no_timing).scopes}["orjson faster"] == INCONCLUSIVE


# --- FastAPI beside Django: C3-C7 judged by the same rule, shown beside the verdict -----------

def fastapi_beside(verdict) -> str:
    """FastAPI's outcome on the card, which must never change the verdict (Django's)."""
    (beside,) = verdict.beside
    assert beside.framework == "FastAPI"
    rows = [s for s in verdict.scopes if s.name == "FastAPI"]
    assert len(rows) == 1 and rows[0].outcome == beside.outcome  # the scope row says the same
    return beside.outcome


def test_fastapi_cells_are_in_the_full_suite_and_quick_runs_a_subset():
    full = {v for e in SUITES["full"] for v in e.variants}
    quick = {v for e in SUITES["quick"] for v in e.variants}
    cells = (*X.C3_FASTAPI.variants, X.C4_FASTAPI, *X.C5_FASTAPI, *X.C6_FASTAPI.variants, X.C7_FASTAPI)
    assert set(cells) <= full and all(v.deployment.server == "fastapi" for v in cells)
    assert set(cells) & quick == {X.C4_FASTAPI, X.C6_FASTAPI.upload_buffer, X.C6_FASTAPI.upload_stream}
    assert X.C6_FASTAPI.upload_stream.knobs == X.C6_UPLOAD_STREAM.knobs  # the same cell, on the other framework


@pytest.mark.parametrize("unloaded,blocking_probe,fix_probe,rps,expected", [
    (5, 400, 8, 19.5, SUPPORTED),
    (5, 400, 60, 19.5, PARTLY),  # a fix let the probe wait
    (5, 20, 8, 19.5, REFUTED),  # the probe never waited a whole blocking call
])
@pytest.mark.parametrize("speed", [1.0, SLOW])
def test_c3_fastapi_is_judged_by_the_same_rule_beside_django(unloaded, blocking_probe, fix_probe, rps, expected,
                                                             speed):
    ev = evidence(X.C3, {**c3_variants(5, 400, 8, speed=speed),
                         **c3_variants(unloaded, blocking_probe, fix_probe, rps, speed, X.C3_FASTAPI)})
    verdict = judge("C3", ev)
    assert verdict.verdict == SUPPORTED and fastapi_beside(verdict) == expected, verdict.scopes
    fastapi_rows = {s.name for s in verdict.scopes if s.name.startswith("FastAPI: ")}
    assert fastapi_rows == {"FastAPI: io/blocking", "FastAPI: throughput", "FastAPI: io/sleep",
                            "FastAPI: io/threadpool", "FastAPI: io/background (blocking call)"}
    assert [d["label"] for d in verdict.chart["datasets"]] == ["Django", "FastAPI"]
    assert all(v is not None for v in verdict.chart["datasets"][1]["data"][:5])  # FastAPI has no asyncio.sleep cell


@pytest.mark.parametrize("pairs,expected", [
    ([(1, 11, True), (2, 22, True), (3, 33, True)], SUPPORTED),
    ([(1, 11, True), (1, 12, True), (2, 22, True), (3, 33, True)], REFUTED),  # two loops in one process
    ([(1, 11, True), (2, 22, True)], INCONCLUSIVE),  # a worker never answered
])
@pytest.mark.parametrize("speed", [1.0, SLOW])
def test_c4_fastapi_is_judged_by_the_same_rule_beside_django(pairs, expected, speed):
    three = {"server": "uvicorn", "workers": 3}
    django = {v: V({"whoami": endpoint(1000 * speed, 5 / speed)}, deployment=three,
                   observations=whoami_obs([(1, 11, True), (2, 22, True), (3, 33, True)])) for v in X.C4_DJANGO}
    fastapi = V({"whoami": endpoint(1000 * speed, 5 / speed)}, deployment={"server": "fastapi", "workers": 3},
                observations=whoami_obs(pairs))
    verdict = judge("C4", evidence(X.C4, {**django, X.C4_FASTAPI: fastapi}))
    assert verdict.verdict == SUPPORTED and fastapi_beside(verdict) == expected
    assert verdict.chart["labels"] == [*(v.label for v in X.C4_DJANGO), X.C4_FASTAPI.label]


@pytest.mark.parametrize("sleep_lag,blocking_lag,expected", [
    (1.0, 300.0, SUPPORTED), (40.0, 300.0, PARTLY), (1.0, 3.0, REFUTED)])
@pytest.mark.parametrize("speed", [1.0, SLOW])
def test_c5_fastapi_is_judged_by_the_same_rule_beside_django(sleep_lag, blocking_lag, expected, speed):
    # a slower machine lags longer between awaits; the blocking call's length does not move
    ev = evidence(X.C5, {**c5_variants(1.0 / speed, 300.0), **c5_variants(sleep_lag / speed, blocking_lag, X.C5_FASTAPI)})
    verdict = judge("C5", ev)
    assert verdict.verdict == SUPPORTED and fastapi_beside(verdict) == expected, verdict.beside
    assert [d["label"] for d in verdict.chart["datasets"]] == ["Django", "FastAPI"]


@pytest.mark.parametrize("json_parse,orjson_parse,inline_probe,uss_buffer,expected", [
    (40, 20, 80, 80, SUPPORTED),
    (40, 38, 80, 50, PARTLY),  # only the offload part holds
    (40, 38, 20, 50, REFUTED),  # nothing holds
])
@pytest.mark.parametrize("speed", [1.0, SLOW])
def test_c6_fastapi_is_judged_by_the_same_rule_beside_django(json_parse, orjson_parse, inline_probe, uss_buffer,
                                                             expected, speed):
    ev = evidence(X.C6, {**c6_variants(40, 38, 20, 50, speed),  # Django: nothing holds
                         **c6_variants(json_parse, orjson_parse, inline_probe, uss_buffer, speed, X.C6_FASTAPI)})
    verdict = judge("C6", ev)
    assert verdict.verdict == REFUTED and fastapi_beside(verdict) == expected, verdict.scopes
    assert {s.name for s in verdict.scopes} >= {"FastAPI: chunked read saves memory", "FastAPI: orjson faster"}
    assert "request.stream()" in verdict.note and "spool" in verdict.note
    django_series, fastapi_series = (d["data"][2:] for d in verdict.chart["datasets"])  # the json cells
    assert None not in django_series and fastapi_series.count(None) == 1  # FastAPI has no orjson offloaded cell


def test_c6_a_level_whose_repeats_straddle_the_line_is_never_dropped():
    """Repeat 0 parses 2x faster with orjson, repeat 1 not at all (1.0x): that level is
    inconclusive, so the part cannot be said to hold "at every level"."""
    ev = evidence(X.C6, merged(c6_variants(40, 20, 80, 80), c6_variants(40, 40, 80, 80)))
    scopes = {s.name: s for s in judge("C6", ev).scopes}
    assert scopes["orjson faster"].outcome == INCONCLUSIVE, scopes["orjson faster"].why
    assert "disagree" in scopes["orjson faster"].why
    assert scopes["offload frees the loop"].outcome == SUPPORTED


def test_c6_a_part_refuted_at_one_level_cannot_hold_so_the_claim_is_partly_whatever_the_other_level_does():
    """orjson 2x then 1x at 2 users (straddles), 1x in both repeats at 6 users (refuted): the part is
    inconclusive but can no longer hold at every level. The other two parts hold, so the claim is
    partly supported however the straddling level settles (the combine rule), not inconclusive."""
    fast, flat = c6_variants(40, 20, 80, 80), c6_variants(40, 40, 80, 80)
    orjson = X.C6_JSON[("orjson", 0)]
    first = {**fast, orjson: [fast[orjson][0], flat[orjson][1]]}  # 2 users fast, 6 users flat
    verdict = judge("C6", evidence(X.C6, merged(first, flat)))
    scopes = {s.name: s for s in verdict.scopes}
    assert scopes["orjson faster"].outcome == INCONCLUSIVE
    assert scopes["orjson faster"].why.endswith("it cannot hold at every level")
    assert scopes["offload frees the loop"].outcome == scopes["chunked read saves memory"].outcome == SUPPORTED
    assert verdict.verdict == PARTLY, verdict.why


def test_c6_fastapi_quick_subset_judges_the_upload_and_says_what_runs_the_rest():
    """The quick suite runs FastAPI's uploads only: memory is judged, the parse parts are not, and
    the two missing parts keep FastAPI's badge inconclusive (they could go either way)."""
    uploads = {v: vs for v, vs in c6_variants(40, 20, 80, 80, cells=X.C6_FASTAPI).items()
               if v in (X.C6_FASTAPI.upload_buffer, X.C6_FASTAPI.upload_stream)}
    verdict = judge("C6", evidence(X.C6, {**c6_variants(40, 20, 80, 80), **uploads}))
    outcome = {s.name: s.outcome for s in verdict.scopes}
    assert outcome["FastAPI: chunked read saves memory"] == SUPPORTED
    assert outcome["FastAPI: orjson faster"] == outcome["FastAPI: offload frees the loop"] == INCONCLUSIVE
    assert verdict.verdict == SUPPORTED and fastapi_beside(verdict) == INCONCLUSIVE


@pytest.mark.parametrize("sync_on_main,expected", [(False, SUPPORTED), (True, REFUTED)])
@pytest.mark.parametrize("speed", [1.0, SLOW])
def test_c7_fastapi_def_endpoints_are_judged_by_the_same_rule_beside_django(sync_on_main, expected, speed):
    ev = evidence(X.C7, {
        X.C7_DJANGO: V({"async whoami": endpoint(300 * speed, 10 / speed)}, observations=c7_obs(False)),
        X.C7_FASTAPI: V({"async whoami": endpoint(300 * speed, 10 / speed)}, observations=c7_obs(sync_on_main))})
    verdict = judge("C7", ev)
    assert verdict.verdict == SUPPORTED and fastapi_beside(verdict) == expected
    assert verdict.chart["datasets"][1]["data"] == [10, 10 if sync_on_main else 0]


DJANGO_ONLY = {
    "C3": lambda: evidence(X.C3, c3_variants(5, 400, 8)),
    "C4": lambda: evidence(X.C4, {v: V({"whoami": endpoint(1000, 5)}, deployment={"workers": 3},
                                       observations=whoami_obs([(1, 11, True), (2, 22, True), (3, 33, True)]))
                                  for v in X.C4_DJANGO}),
    "C5": lambda: evidence(X.C5, c5_variants(1.0, 300.0)),
    "C6": lambda: evidence(X.C6, c6_variants(40, 20, 80, 80)),
    "C7": lambda: evidence(X.C7, {X.C7_DJANGO: V({"async whoami": endpoint(300, 10)}, observations=c7_obs(False))}),
}


@pytest.mark.parametrize("claim", list(DJANGO_ONLY))
def test_missing_fastapi_data_is_inconclusive_with_the_command_never_refuted(claim):
    verdict = judge(claim, DJANGO_ONLY[claim]())
    assert verdict.verdict == SUPPORTED and fastapi_beside(verdict) == INCONCLUSIVE
    (beside,) = verdict.beside
    suite = "quick" if claim == "C4" else "full"  # the quick suite runs FastAPI's C4 (and C6's uploads only)
    assert beside.needs == f"manage.py bench --suite {suite} --only {claim}"
    assert beside.needs in next(s.why for s in verdict.scopes if s.name == "FastAPI")


@pytest.mark.parametrize("claim", list(DJANGO_ONLY))
def test_no_run_at_all_shows_both_frameworks_inconclusive(claim):
    verdict = judge(claim)
    assert verdict.verdict == INCONCLUSIVE and fastapi_beside(verdict) == INCONCLUSIVE
    assert {s.name for s in verdict.scopes} == {"Django", "FastAPI"}


# --- C8 -------------------------------------------------------------------------------------
# The grid's own rules are tested in tests/unit/test_in_flight.py; here the card as a whole.

C8_SUPPORTED = {THREADS: {1: 1_000, 5: 1_000, 30: 4_000}, UVICORN_1W: 10_000, UVICORN_2W: 4_000, GRANIAN: 4_000,
                REUSE: 10_000, FASTAPI: 10_000}
C8_MEMORY_SUPPORTED = {THREADS: 64 * KiB, UVICORN_1W: 16 * KiB}


def c8(reach: dict | None = None, uss: dict | None = None, lag_ms: float = 2.0, repeats: int = 2, db: dict | None = None,
       **grid) -> dict:
    """The C8 card's parts from one run: the grid (``reach``: the largest N each stack holds) and the
    database part (``db``: its cells, else ``c8_db_variants`` on as many repeats), as ``judge``'s keywords."""
    cells = db or merged(*(c8_db_variants(lag_ms) for _ in range(repeats)))
    return {"ev": grid_of(reach or C8_SUPPORTED, repeats=repeats, uss_per_request=uss or C8_MEMORY_SUPPORTED, **grid),
            "db": evidence(X.C8_DB, cells, new_run())}


def test_repeats_on_both_sides_of_a_limit_decide_nothing():
    from judging.core import versus_limit

    assert versus_limit([12.0, 14.0, 13.0], 10, at_least=False) == REFUTED
    assert versus_limit([4.0, 17.0, 6.0], 10, at_least=False) == INCONCLUSIVE  # two runs, two answers
    assert versus_limit([4.0], 10, at_least=False) == SUPPORTED  # one repeat: provisional, not noise-proof
    assert versus_limit([], 10) == INCONCLUSIVE
    db = {**c8_db_variants(), X.C8_DB_ASYNC_ORM: [V({"db/read": endpoint(800, 30)}, samples=[
        sample(t=t, loop_lag_ms={"9": lag}) for t in (1, 1.5)]) for lag in (4.0, 17.0, 5.0)]}
    verdict = judge("C8", **c8(db=db))
    assert {s.name: s.outcome for s in verdict.scopes}["the async ORM keeps the loop free"] == INCONCLUSIVE


def test_db_read_is_shown_as_a_share_of_postgresql_alone_with_the_matching_protocol():
    parts = c8(db=c8_db_variants(speed=2.5))  # db/read at 800 x 2.5 = 2,000 RPS
    ceiling = verdicts.pg_ceiling(evidence(X.PG_ALONE, pgbench_variants(20_000, 40_000), parts["db"].run))
    assert ceiling == {"orm": 20_000, "native": 40_000}
    shares = {f.label.split(":")[0]: f.median for f in judge("C8", **parts, ceiling=ceiling).figures
              if "share of PostgreSQL alone" in f.label}
    assert shares == {X.C8_DB_SYNC_ORM.label: 10.0, X.C8_DB_ASYNC_ORM.label: 10.0,
                      X.C8_DB_SYNC_RAW.label: 5.0, X.C8_DB_NATIVE.label: 5.0}
    assert verdicts.pg_ceiling(None) == {}  # a run without pgbench


# --- what each card shows ---------------------------------------------------------------------
# The tests above pin outcomes; these pin everything else a card shows for the same evidence: the
# why, every scope and figure (label, rendered value, the values behind it), the chart, the table
# of a sweep, the note, FastAPI beside. tests/unit/cards/<claim>.txt holds the cards as they were
# reviewed; a change to what a card says fails here and shows the difference. After a deliberate
# change, rewrite them with LAB_WRITE_CARDS=1 and read the diff before committing it.

CARDS_DIR = Path(__file__).resolve().parent / "cards"


def rounded(value):
    """Floats to 6 significant digits (a 1 % change shows, float noise does not), recursively."""
    if isinstance(value, float):
        return float(f"{value:.6g}")
    if isinstance(value, dict):
        return {k: rounded(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [rounded(v) for v in value]
    return value


def card(verdict: Verdict) -> str:
    """What the card shows, one line per item; the run's and experiment runs' ids (numbered by
    the builder in the order the tests ran) are said by presence and count only."""
    run = f"run #{verdict.run_id}"
    lines = [f"{verdict.claim}: {verdict.verdict}{' (provisional)' if verdict.provisional else ''}; "
             f"suite {verdict.suite or '-'}; {verdict.repeats} repeats, {verdict.deciding_repeats} deciding; "
             f"{'a run' if verdict.run_id else 'no run'}, {len(verdict.experiment_run_ids)} experiment runs",
             f"why: {verdict.why}"]
    lines += [f"needs: {verdict.needs}"] if verdict.needs != "" else []
    lines += [f"note: {verdict.note}"] if verdict.note != "" else []
    lines += [f"scope {s.name}: {s.outcome}, repeats {s.repeats}"
              f"{'' if s.in_scope is True else ', out of scope' if s.in_scope is False else f', in scope {s.in_scope!r}'}"
              f": {s.why}" for s in verdict.scopes]
    lines += [f"figure {f.label} = {f.text()}  {rounded(f.values)} {f.unit!r} {f.digits} {rounded(f.scale)}"
              for f in verdict.figures]
    lines += [f"compared {json.dumps(rounded(row), sort_keys=True)}" for row in verdict.compared]
    lines += [f"beside {b.framework}: {b.outcome}: {b.why}; needs {b.needs or '-'}" for b in verdict.beside]
    lines += [f"chart {json.dumps(rounded(verdict.chart), sort_keys=True)}"] if verdict.chart is not None else []
    return "\n".join(lines).replace(run, "run #<the card's run>")


def c1_every_stack(**kw) -> Evidence:
    """Every stack at 1, 2 and 4 workers on ping and db/read, three repeats each."""
    variants = {}
    for stack, base in (("gthread", 3000), ("uvicorn", 1000), ("gunicorn+uvicorn", 900)):
        for e in ("ping", "db/read"):
            for workers, share in ((1, 1.0), (2, 0.85), (4, 0.7)):
                variants[X.c1_variant(stack, workers, e)] = [
                    V({e: endpoint(base * share * k, 20 * workers)}, quality={"rps_ci_pct": 0.5},
                      samples=[sample(cpu_percent=95 + k, ctx_voluntary=1000),
                               sample(t=3.0, cpu_percent=97, ctx_voluntary=1000 + int(5000 * k * workers))])
                    for k in (0.99, 1.0, 1.01)]
    return evidence(X.C1_FULL, variants, **kw)


def c2_straddling_cpu() -> Evidence:
    mixed = [V({"mixed": endpoint(200, 50), "probe": endpoint(10, 30)}, users=16, samples=[sample(cpu_percent=c)])
             for c in (97, 60)]
    return evidence(X.C2_FULL, {**c2_variants(9, 100), X.C2_MIXED_ASYNC: mixed})


def c4_cells(pairs, fastapi_pairs=None, workers=3) -> Evidence:
    deployment = {"server": "uvicorn", "workers": workers}
    cells = {v: V({"whoami": endpoint(1000, 5)}, deployment=deployment, observations=whoami_obs(pairs))
             for v in X.C4_DJANGO}
    if fastapi_pairs is not None:
        cells[X.C4_FASTAPI] = V({"whoami": endpoint(1000, 5)}, deployment=deployment,
                                observations=whoami_obs(fastapi_pairs))
    return evidence(X.C4, cells)


THREE = [(1, 11, True), (2, 22, True), (3, 33, True)]


def c7_cells(django_sync_on_main=False, fastapi_sync_on_main=None) -> Evidence:
    cells = {X.C7_DJANGO: V({"async whoami": endpoint(300, 10)}, observations=c7_obs(django_sync_on_main))}
    if fastapi_sync_on_main is not None:
        cells[X.C7_FASTAPI] = V({"async whoami": endpoint(300, 10)}, observations=c7_obs(fastapi_sync_on_main))
    return evidence(X.C7, cells)


def c1_gaps() -> Evidence:
    """Uvicorn's ping without RPS figures; db/read with a repeat that lacks its own, and a second
    repeat whose server was not saturated."""
    busy, idle = [sample(cpu_percent=99)], [sample(cpu_percent=60)]
    one, four = (X.c1_variant("uvicorn", w, "db/read") for w in (1, 4))
    return evidence(X.C1_FULL, {
        X.c1_variant("uvicorn", 1, "ping"): V({}, samples=busy), X.c1_variant("uvicorn", 4, "ping"): V({}, samples=busy),
        one: [V({"db/read": endpoint(1000, 20)}, samples=busy), V({}, samples=busy), V({"db/read": endpoint(1000, 20)},
                                                                                      samples=idle)],
        four: [V({"db/read": endpoint(700, 30)}, samples=busy), V({"db/read": endpoint(700, 30)}, samples=busy),
               V({"db/read": endpoint(700, 30)}, samples=idle)]})


def c2_two_repeats() -> Evidence:
    """Two repeats that disagree at every level: threads help in one and not in the other."""
    return evidence(X.C2_FULL, merged(c2_variants(9, 100), c2_variants(100, 100, repeat=1)))


def c3_gaps() -> Evidence:
    """No io/threadpool cell, and a second repeat whose io/blocking step lacks its own figures."""
    variants = merged(c3_variants(5, 400, 8), c3_variants(5, 400, 8))
    del variants[X.C3_DJANGO.fixes[1]]
    variants[X.C3_BLOCKING][1] = V({"probe": endpoint(20, 400)})
    return evidence(X.C3, variants)


# --- C12 ------------------------------------------------------------------------------------
# The curves' knees per (stack, workload) and repeat, as bench.knees.run_knees reads them.

def knees(sync: list[float], asyn: list[float], workloads=("ping", "db/read", "db/queries")) -> dict:
    out = {}
    for w in workloads:
        out[("gthread", w)] = sync
        out[("granian-wsgi", w)] = [k * 0.9 for k in sync]
        out[("uvicorn", w)] = asyn
        out[("gunicorn+uvicorn", w)] = [k * 0.8 for k in asyn]
    return out


C12_SYNC_WINS = knees([3000, 3100], [2000, 2100])


def test_c12_low_band_cuts_both_ways_and_ties_on_overlapping_ranges():
    from judging.advice import low_band_scope

    assert low_band_scope(knees([3000, 3100], [2000, 2100]), "ping").outcome == SUPPORTED
    assert low_band_scope(knees([2000, 2100], [3000, 3100]), "ping").outcome == REFUTED
    tie = low_band_scope(knees([3000, 2000], [2500, 2600]), "ping")
    assert tie.outcome == INCONCLUSIVE and "overlap" in tie.why
    # the best stack of each side decides: Granian WSGI above gthread counts for the sync side
    mixed = {**knees([1000, 1000], [2000, 2100]), ("granian-wsgi", "ping"): [3000, 3000]}
    assert low_band_scope(mixed, "ping").outcome == SUPPORTED
    assert low_band_scope({}, "ping").outcome == INCONCLUSIVE


def test_c12_low_band_edges():
    from judging.advice import low_band_scope, side_best
    from judging.core import Scope

    # equal knees are a tie, not a win, in either direction
    assert low_band_scope(knees([3000, 3000], [2000, 3000]), "ping").outcome == INCONCLUSIVE
    assert low_band_scope(knees([2000, 3000], [3000, 3000]), "ping").outcome == INCONCLUSIVE
    # a repeat that lacks one side is left out, never filled in
    only_sync = {("gthread", "ping"): [3000, 3100]}
    assert low_band_scope(only_sync, "ping") == Scope("low band, ping: sync views", INCONCLUSIVE,
                                                      "no repeat has a knee on both sides", 0)
    gaps = {("gthread", "ping"): [3000, None], ("granian-wsgi", "ping"): [None, None, 2500],
            ("uvicorn", "ping"): [2000, 2000, None]}
    assert side_best(gaps, ("gthread", "granian-wsgi"), "ping") == [3000, None, 2500]
    assert side_best({}, ("gthread",), "ping") == []
    scope = low_band_scope(gaps, "ping")
    assert scope.outcome == SUPPORTED and scope.repeats == 1  # only the first repeat has both sides


def test_c12_high_band_beyond_the_generator_is_out_of_scope():
    everything = tuple((n, 1) for n in IF.GRID_N)
    verdict = judge("C12", C12_SYNC_WINS, db=grid_of(C8_SUPPORTED, out_of_scope=everything))
    (scope,) = [s for s in verdict.scopes if s.name == "high band, io/sleep 1 s: async views"]
    assert not scope.in_scope


def test_c12_high_band_is_c8_s_grid_and_the_map_adds_up():
    verdict = judge("C12", C12_SYNC_WINS, db=grid_of(C8_SUPPORTED))
    outcomes = {s.name: s.outcome for s in verdict.scopes}
    assert outcomes["low band, ping: sync views"] == SUPPORTED
    assert outcomes["high band, io/sleep 5 s: async views"] == SUPPORTED
    assert outcomes["mixed: a thread pool for the CPU part"] == INCONCLUSIVE
    assert verdict.verdict == INCONCLUSIVE  # mixed is unknown and nothing fails: the combine rule
    refuting = grid_of({THREADS: 10_000, UVICORN_1W: 1_000})
    verdict = judge("C12", C12_SYNC_WINS, db=refuting)
    assert verdict.verdict == PARTLY and verdict.run_id is None



def test_c12_names_the_run_it_read_and_counts_the_most_repeats_of_curves_or_grid():
    one_repeat = knees([3000], [2000])
    verdict = verdicts.judge_c12(one_repeat, grid_of(C8_SUPPORTED), run_id=7, suite="full")
    assert (verdict.run_id, verdict.suite, verdict.repeats) == (7, "full", 2)  # the grid had two repeats
    assert verdicts.judge_c12(one_repeat, None, run_id=7, suite="full").repeats == 1

LADDER = (Figure("DB ladder db/read, async ORM: CPU per request", [250.0, 260.0], " µs"),)

CARDS: dict[str, dict[str, Callable[[], Verdict]]] = {
    "C1": {
        "no run": lambda: judge("C1"),
        "every stack and worker count, three repeats, PostgreSQL alone beside db/read":
            lambda: judge("C1", c1_every_stack(), ceiling={"orm": 20_000, "native": 40_000}),
        "where the claim holds and where not": lambda: judge("C1", c1({"ping": [(1000, 650)], "cpu": [(100, 99)],
                                                                      "io/sleep": [(900, 700)]})),
        "noisy repeats": lambda: judge("C1", c1({"ping": [(1000, 950), (800, 1150), (1200, 850)]})),
        "the middle band": lambda: judge("C1", c1({"ping": [(1000, 900), (1000, 880), (1000, 850)]})),
        "a server not saturated": lambda: judge("C1", c1({"ping": [(1000, 700), (1000, 700)]}, cpu=60.0)),
        "an interval across a band edge": lambda: judge("C1", c1({"ping": [(1000, 780)] * 2}, ci_pct=3.0)),
        "precision unknown": lambda: judge("C1", c1({"ping": [(1000, 700)] * 3}, ci_pct=None)),
        "no RPS figures, a repeat missing, a server idle in one repeat, PostgreSQL alone beside db/read":
            lambda: judge("C1", c1_gaps(), ceiling={"orm": 20_000}),
        "only one worker measured": lambda: judge("C1", evidence(X.C1_FULL, {
            X.c1_variant("uvicorn", 1, "ping"): V({"ping": endpoint(1000, 20)}, samples=[sample(cpu_percent=99)])})),
    },
    "C2": {
        "no run": lambda: judge("C2"),
        "supported": lambda: judge("C2", c2(9, 100, 97)),
        "threads not near the switch interval": lambda: judge("C2", c2(25, 100, 97)),
        "threads no better, the core idle": lambda: judge("C2", c2(120, 100, 60)),
        "a failing probe": lambda: judge("C2", c2(9, 100, 97, probe_failures=3)),
        "the mixed load asks for many cores": lambda: judge("C2", c2(9, 100, 60, mixed_work=200)),
        "the mixed load asks for 1.5 cores": lambda: judge("C2", c2(9, 100, 60, mixed_work=2)),
        "gthread missing a level": lambda: judge("C2", c2(9, 100, threads_levels=(1, 2))),
        "CPU on both sides of the limit": lambda: judge("C2", c2_straddling_cpu()),
        "inline coroutines missing a level": lambda: judge("C2", c2(9, 100, inline_levels=(1, 2))),
        "inline coroutines not held up a whole task": lambda: judge("C2", c2(9, 50)),
        "two repeats that disagree": lambda: judge("C2", c2_two_repeats()),
        "the task untimed, the mixed load's sleep recorded, gthread's mixed load beside": lambda: judge(
            "C2", evidence(X.C2_FULL, {**c2_variants(9, 100, 60, timed_task=False, mixed_work=2, mixed_sleep_ms=40),
                                      X.C2_MIXED_THREADS: V({"mixed": endpoint(150, 80)}, users=16,
                                                            samples=[sample(cpu_percent=55)])})),
        "only the mixed load, asking for many cores": lambda: judge("C2", evidence(X.C2_FULL, {
            X.C2_MIXED_ASYNC: c2_variants(9, 100, mixed_work=200)[X.C2_MIXED_ASYNC]})),
        "no CPU samples, no switch interval": lambda: judge("C2", evidence(X.C2_FULL, {
            X.C2_THREADS: V({"probe": endpoint(10, 9)}, users=1),
            X.C2_INLINE: V({"cpu": endpoint(12, 160, fastest=80), "probe": endpoint(10, 100)}, users=1),
            X.C2_MIXED_ASYNC: V({"mixed": endpoint(200, 50), "probe": endpoint(10, 30)}, users=16)})),
    },
    "C3": {
        "no run": lambda: judge("C3"),
        "supported, FastAPI partly": lambda: judge("C3", evidence(X.C3, {
            **c3_variants(5, 400, 8), **c3_variants(5, 400, 60, cells=X.C3_FASTAPI)})),
        "a fix let the probe wait": lambda: judge("C3", c3(5, 400, 60)),
        "throughput off": lambda: judge("C3", c3(5, 400, 8, 60)),
        "refuted": lambda: judge("C3", c3(5, 20, 8)),
        "repeats disagree on blocking": lambda: judge("C3", evidence(X.C3, merged(c3_variants(5, 400, 8),
                                                                                 c3_variants(5, 20, 8)))),
        "fixes judged on their own repeat": lambda: judge("C3", evidence(X.C3, merged(c3_variants(5, 400, 60),
                                                                                     c3_variants(50, 400, 60)))),
        "a slow machine: the bound is twice the unloaded probe": lambda: judge("C3", c3(40, 400, 70)),
        "a fast machine: the bound is the unloaded probe and the margin": lambda: judge("C3", c3(5, 400, 20)),
        "a fix missing, a repeat without io/blocking's figures": lambda: judge("C3", c3_gaps()),
        "no unloaded probe": lambda: judge("C3", evidence(X.C3, {X.C3_BLOCKING: V(
            {"io/blocking": endpoint(19.5, 500), "probe": endpoint(20, 400)})})),
    },
    "C4": {
        "no run": lambda: judge("C4"),
        "supported, FastAPI too": lambda: judge("C4", c4_cells(THREE, THREE)),
        "two loops in one process, FastAPI missing": lambda: judge("C4", c4_cells([(1, 11, True), (1, 12, True),
                                                                                  (2, 22, True), (3, 33, True)])),
        "two loops in one process of three": lambda: judge("C4", c4_cells([(1, 11, True), (1, 12, True),
                                                                           (2, 22, True)])),
        "off the main thread": lambda: judge("C4", c4_cells([(1, 11, True), (2, 22, False), (3, 33, True)])),
        "no loop at all": lambda: judge("C4", c4_cells([(1, None, True), (2, 22, True), (3, 33, True)])),
        "more pairs than workers": lambda: judge("C4", c4_cells(THREE, workers=2)),
        "a worker never answered": lambda: judge("C4", c4_cells([(1, 11, True), (2, 22, True)], [(1, 11, True)])),
        "no samples": lambda: judge("C4", evidence(X.C4, {v: V({"whoami": endpoint(1000, 5)})
                                                          for v in X.C4.variants})),
    },
    "C5": {
        "no run": lambda: judge("C5"),
        "supported, FastAPI partly": lambda: judge("C5", evidence(X.C5, {
            **c5_variants(1.0, 300.0), **c5_variants(40.0, 300.0, X.C5_FASTAPI)})),
        "refuted": lambda: judge("C5", evidence(X.C5, c5_variants(1.0, 3.0))),
        "repeats disagree": lambda: judge("C5", evidence(X.C5, merged(c5_variants(1.0, 300.0),
                                                                      c5_variants(1.0, 3.0)))),
        "no lag samples": lambda: judge("C5", evidence(X.C5, {v: V({"probe": endpoint(10, 5)})
                                                              for v in X.C5.variants})),
        "lag sampled under blocking only": lambda: judge("C5", evidence(X.C5, {
            **c5_variants(1.0, 300.0), X.C5_DJANGO[0]: V({"io/sleep": endpoint(90, 110)})})),
    },
    "C6": {
        "no run": lambda: judge("C6"),
        "supported, FastAPI partly, the uploads timed": lambda: judge("C6", evidence(X.C6, {
            **c6_variants(40, 20, 80, 80, upload_timing={"first-chunk": 3.0, "body": 12.5}),
            **c6_variants(40, 38, 80, 50, cells=X.C6_FASTAPI, upload_timing={"first-chunk": 0.5, "body": 11.0})})),
        "refuted": lambda: judge("C6", c6(40, 38, 20, 50)),
        "a level straddling the line": lambda: judge("C6", evidence(X.C6, merged(c6_variants(40, 20, 80, 80),
                                                                                 c6_variants(40, 40, 80, 80)))),
        "orjson's parse timed at 0 ms": lambda: judge("C6", c6(40, 0, 80, 80)),
        "no server timing": lambda: judge("C6", evidence(X.C6, {
            v: V({"json": endpoint(20, 200), "probe": endpoint(10, 20)}) for v in X.C6_JSON.values()})),
    },
    "C7": {
        "no run": lambda: judge("C7"),
        "supported, FastAPI refuted": lambda: judge("C7", c7_cells(False, True)),
        "refuted, FastAPI missing": lambda: judge("C7", c7_cells(True)),
        "no samples": lambda: judge("C7", evidence(X.C7, {X.C7_DJANGO: V({"async whoami": endpoint(300, 10)})})),
        "async views sampled, sync views not": lambda: judge("C7", evidence(X.C7, {X.C7_DJANGO: V(
            {"async whoami": endpoint(300, 10)}, observations=whoami_obs([(1, 11, True)], "/async"))})),
        "an async view on the main thread without a loop, five thread names": lambda: judge("C7", evidence(X.C7, {
            X.C7_DJANGO: V({"async whoami": endpoint(300, 10)}, observations={
                **whoami_obs([(1, None, True), (1, 11, False)], "/async"),
                "/sync": {"contexts": [{"pid": 1, "loop_id": None, "is_main_thread": False, "thread_names": [name],
                                        "count": 2} for name in ("T5", "T4", "T3", "T2", "T1")]}})})),
    },
    "C8": {
        "no run": lambda: judge("C8"),
        "supported, PostgreSQL alone and the DB ladder beside": lambda: judge(
            "C8", **c8(), ceiling={"orm": 20_000, "native": 40_000}, ladder=LADDER),
        "refuted": lambda: judge("C8", **c8({THREADS: 10_000, UVICORN_1W: {1: 1_000, 5: 1_000, 30: 4_000}},
                                            uss={THREADS: 32 * KiB, UVICORN_1W: 80 * KiB}, lag_ms=30.0)),
        "partly: coroutines hold more at 30 s waits only": lambda: judge("C8", **c8(
            {THREADS: {1: 4_000, 5: 4_000, 30: 1_000}, UVICORN_1W: {1: 1_000, 5: 1_000, 30: 10_000}})),
        "the 1 s waits beyond the generator, CPU-bound cells marked": lambda: judge("C8", **c8(
            out_of_scope=tuple((n, 1) for n in IF.GRID_N), ping_rps={UVICORN_1W: 1_000.0, THREADS: 2_500.0})),
        "repeats that disagree at 4,000": lambda: judge("C8", ev=replace_cells(
            grid_of(C8_SUPPORTED, uss_per_request=C8_MEMORY_SUPPORTED),
            *(missed_cell(UVICORN_1W, 4_000, w, 1) for w in IF.GRID_WAITS_S)), db=c8()["db"]),
        "one repeat: provisional": lambda: judge("C8", **c8(repeats=1)),
        "Django holds less than FastAPI, a thread per request": lambda: judge("C8", **c8(
            {THREADS: 4_000, UVICORN_1W: 1_000, UVICORN_2W: 1_000, GRANIAN: 1_000, FASTAPI: 10_000},
            threads_per_request={UVICORN_1W: 1.0, UVICORN_2W: 1.0, GRANIAN: 1.0})),
        "no database part in the run": lambda: judge("C8", c8()["ev"]),
    },
    "C12": {
        "no run": lambda: judge("C12"),
        "sync wins the low band, async the high band": lambda: judge("C12", C12_SYNC_WINS, db=grid_of(C8_SUPPORTED)),
        "async wins the low band, the threads the high band": lambda: judge(
            "C12", knees([2000, 2100], [3000, 3100]), db=grid_of({THREADS: 10_000, UVICORN_1W: 1_000})),
        "curves without a grid": lambda: judge("C12", knees([3000, 2000], [2500, 2600])),
    },
    "C14": {
        "no run": lambda: judge("C14"),
        "both hold, Django ASGI's memory per subscriber above the threads'": lambda: judge("C14", push_grid(everywhere(
            **{PUSH_THREADS: {"per_subscriber": 30 * KiB},
               PUSH_DJANGO: lambda n, r: {"per_subscriber": 47 * KiB, "threads": n + 5}}))),
        "gthread misses 4,000, Django ASGI holds it with a quarter of the memory": lambda: judge("C14", push_grid(
            everywhere(**{PUSH_THREADS: lambda n, r: {"share": 0.6 if n == 4_000 else 1.0, "p99_ms": 900.0,
                                                      "per_subscriber": 40 * KiB},
                          PUSH_DJANGO: {"per_subscriber": 10 * KiB}}))),
        "the quick slice (no 4,000)": lambda: judge("C14", push_grid(
            [c for c in everywhere(**{PUSH_DJANGO: {"per_subscriber": 10 * KiB}}) if c.n < 4_000], )),
    },
    "C15": {
        "no run": lambda: judge("C15"),
        "supported": lambda: judge("C15", upstream_grid()),
        "a client per request costs no more": lambda: judge("C15", upstream_grid({PER_REQUEST.name: 90.0})),
        "the repeats disagree": lambda: judge("C15", upstream_grid(
            per_repeat=lambda stack, r: 500.0 if stack == POOLED.name and r == 1 else None)),
    },
    "C10": {
        "no run": lambda: judge("C10"),
        "as the claim says": lambda: judge("C10", c10()),
        "threads run Python on both cores (no GIL)": lambda: judge("C10", c10({(C10_THREADS, "python"): (36.0, 180.0)})),
        "two processes served no more": lambda: judge("C10", c10({(C10_PROCESSES, "python"): (21.0, 190.0)})),
        "the connections stayed on one worker": lambda: judge("C10", c10(least_share=10.0)),
        "no C compiler, one repeat": lambda: judge("C10", c10(repeats=1, native_built=False, leave_out={
            (s, "cython") for s in ("gthread 1w x 4t", "gthread 2w x 2t", "uvicorn 1w (thread pool)",
                                    "uvicorn 2w (thread pool)", "gthread 1w x 1t")})),
    },
    "C13": {
        "no run": lambda: c13.judge(),
        "as the claim says": lambda: c13.judge(c13.memory()),
        "preload + gc.freeze shares the app": lambda: c13.judge(c13.memory({c13.W.GTHREAD_FREEZE: 1.1 * c13.ONE_PSS})),
        "a crashed thread took only its own request": lambda: c13.judge(c13.memory(), crash=[c13.fault(1, 8)] * 2),
    },
    "C11": {
        "no run": lambda: judge("C11"),
        "supported": lambda: judge("C11", TH.handover()),
        "per request fine, cores enough for CPU work, not for waiting: partly": lambda: judge("C11", TH.handover(
            fine={TH.HO.CPU: [(0.97, 8.0), (0.99, 6.0)]}, gains={TH.HO.BLOCKING: [27.0, 26.5], TH.HO.CPU: [0.01, -0.02]})),
        "refuted": lambda: judge("C11", TH.handover(fine={TH.HO.BLOCKING: [(0.5, 2.0)] * 2, TH.HO.CPU: [(1.0, 80.0)] * 2},
                                                   gains={TH.HO.BLOCKING: [1.0] * 2, TH.HO.CPU: [0.5] * 2})),
        "repeats that disagree, the blocking sweep missing": lambda: judge("C11", TH.handover(
            fine={TH.HO.BLOCKING: [(0.95, 2.0), (0.70, 2.0)]},
            leave_out=tuple(TH.HO.SWEEP[TH.HO.BLOCKING].values()))),
        "one repeat: provisional": lambda: judge("C11", TH.handover(
            fine={w: [(1.0, 2.0)] for w in TH.HO.WORKS}, gains={w: [0.0] for w in TH.HO.WORKS})),
    },
    "C9": {
        "no run": lambda: judge("C9"),
        "supported": lambda: judge("C9", c4=judge("C4", c4_cells(THREE, THREE)), c7=judge("C7", c7_cells(False, False))),
        "C7 refuted": lambda: judge("C9", c4=judge("C4", c4_cells(THREE)), c7=judge("C7", c7_cells(True))),
        "C4 refuted, C7 without data": lambda: judge("C9", c4=judge("C4", c4_cells([(1, None, True)]))),
        "C4 inconclusive, C7 supported": lambda: judge("C9", c4=judge("C4", c4_cells(THREE[:2])),
                                                      c7=judge("C7", c7_cells())),
    },
}


@pytest.mark.parametrize("claim", list(CARDS))
def test_every_card_shows_what_was_reviewed(claim):
    made = {name: make() for name, make in CARDS[claim].items()}
    assert all(v.rule == verdicts.RULES[claim].render() for v in made.values())  # the rule the card applied
    shown = "".join(f"=== {name}\n{card(verdict)}\n\n" for name, verdict in made.items())
    path = CARDS_DIR / f"{claim}.txt"
    if os.environ.get("LAB_WRITE_CARDS") == "1":
        path.parent.mkdir(exist_ok=True)
        path.write_text(shown)
    assert path.exists(), f"{path} is missing: write it with LAB_WRITE_CARDS=1 and review it"
    assert shown == path.read_text()


def test_a_missing_figure_reads_as_none_but_a_misspelt_attribute_fails_loudly():
    """A typo in a verdict must not turn a card quietly inconclusive."""
    class Step:
        experiment_run = type("Run", (), {"repeat": 0})

        def rps(self, name):
            return None  # the step lacks the figure

    assert per_repeat([Step()], lambda m: m.rps("ping") * 2) == [None]
    with pytest.raises(AttributeError):
        per_repeat([Step()], lambda m: m.rsp("ping"))


def test_each_repeats_figure_sits_at_its_repeat_number_so_pairs_never_shift():
    """Repeat 1 of one cell was invalid (left out by the reader): its place stays empty, so repeat 2
    meets repeat 2 of the other cell (C2, C3, C5 and C6 pair their figures so)."""
    def step(repeat: int, rps: float):
        return type("Step", (), {"experiment_run": type("Run", (), {"repeat": repeat}), "rps": lambda self, n: rps})()

    thin = per_repeat([step(0, 10.0), step(2, 30.0)], lambda m: m.rps("ping"))
    full = per_repeat([step(0, 1.0), step(1, 2.0), step(2, 3.0)], lambda m: m.rps("ping"))
    assert thin == [10.0, None, 30.0]
    assert paired(thin, full) == [(10.0, 1.0), (30.0, 3.0)]
