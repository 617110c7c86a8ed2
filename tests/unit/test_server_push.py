"""C14's judging on server-push grids built in memory: every outcome, and each rule's edge, from a
test that fails when the rule is broken."""
from __future__ import annotations

import pytest

from bench import server_push as P
from results.grid import INVALID, MEASURED, CellRepeat, GridEvidence
from judging.core import INCONCLUSIVE, PARTLY, REFUTED, SUPPORTED
from judging.in_flight import HELD, NOT_HELD, UNKNOWN
from judging.server_push import (DJANGO, PUSH_RULE, THREADS, judge_c14, memory_per_subscriber, n_scope, note,
                                 repeat_holds, state)

KiB, MiB = 2**10, 2**20
REUSE, FASTAPI = P.STACKS[2].name, P.STACKS[3].name
IDLE = 40 * MiB


def cell(stack: str, n: int, repeat: int = 0, share: float = 1.0, p99_ms: float = 20.0, lost: int = 0,
         own_lag_ms: float | None = 2.0, per_subscriber: float = 30 * KiB, threads: int | None = None,
         status: str = MEASURED) -> CellRepeat:
    rps = share * n / P.EVERY_S
    return CellRepeat(stack, n, P.EVERY_S, False, repeat, status, rps=rps, p50_ms=p99_ms / 2, p99_ms=p99_ms,
                      requests=int(rps * 10), failures=0, uss_bytes=IDLE + per_subscriber * n, uss_idle_bytes=IDLE,
                      threads=threads if threads is not None else 5, processes=1, server_cpu_pct=30.0, lost=lost,
                      generator_lag_p99_ms=own_lag_ms)


def grid(cells: list[CellRepeat]) -> GridEvidence:
    return GridEvidence(run_id=7, suite="push", cells=cells, generator_capacity_rps=8_000.0,
                        limits={"somaxconn": 4096})


def everywhere(repeats: int = 2, **per_stack) -> list[CellRepeat]:
    """Every stack at every N, each repeat; ``per_stack[name] = dict(**cell kwargs)`` or a callable of n."""
    cells = []
    for stack in P.STACKS:
        for n in P.PUSH_N:
            for r in range(repeats):
                kw = per_stack.get(stack.name, {})
                kw = kw(n, r) if callable(kw) else kw
                cells.append(cell(stack.name, n, r, **kw))
    return cells


# --- one repeat --------------------------------------------------------------------------------

def test_a_repeat_holds_at_the_rule_s_edges_and_not_past_them():
    held = PUSH_RULE["held_share"]
    assert repeat_holds(cell(DJANGO, 1_000, share=held))
    assert not repeat_holds(cell(DJANGO, 1_000, share=held - 0.001))
    assert repeat_holds(cell(DJANGO, 1_000, p99_ms=PUSH_RULE["lag_p99_ms"]))
    assert repeat_holds(cell(DJANGO, 1_000, p99_ms=PUSH_RULE["lag_p99_ms"] + 1)) is False
    lost_limit = int(PUSH_RULE["lost_share"] * 4_000)
    assert repeat_holds(cell(DJANGO, 4_000, lost=lost_limit))
    assert repeat_holds(cell(DJANGO, 4_000, lost=lost_limit + 1)) is False


def test_a_late_subscriber_process_or_an_unmeasured_step_decides_nothing():
    assert repeat_holds(cell(DJANGO, 1_000, own_lag_ms=PUSH_RULE["generator_lag_ms"])) is True
    assert repeat_holds(cell(DJANGO, 1_000, own_lag_ms=PUSH_RULE["generator_lag_ms"] + 1)) is None
    assert repeat_holds(cell(DJANGO, 1_000, own_lag_ms=None)) is None  # not measured: not assumed fine
    assert repeat_holds(cell(DJANGO, 1_000, share=0.2, own_lag_ms=200)) is None  # nor a miss blamed on the server
    assert repeat_holds(cell(DJANGO, 1_000, status=INVALID)) is None


# --- one N ------------------------------------------------------------------------------------

@pytest.mark.parametrize("django,threads,outcome", [
    ({}, {"share": 0.5}, SUPPORTED),  # Django ASGI holds N where gthread does not
    ({"share": 0.5}, {}, REFUTED),  # gthread holds N where Django ASGI does not
    ({"p99_ms": 400}, {"p99_ms": 400}, INCONCLUSIVE),  # neither holds it
    ({"own_lag_ms": 90}, {"share": 0.5}, INCONCLUSIVE),  # Django's cells unknown
])
def test_who_holds_n_decides_it(django, threads, outcome):
    g = grid(everywhere(**{DJANGO: django, THREADS: threads}))
    scope, _ = n_scope(g, 1_000)
    assert scope.outcome == outcome, scope.why


@pytest.mark.parametrize("django_kib,threads_kib,outcome", [
    (15, 30, SUPPORTED), (14, 30, SUPPORTED),  # half or less
    (16, 30, INCONCLUSIVE),  # between half and equal
    (30, 30, REFUTED), (45, 30, REFUTED),  # as much or more
])
def test_when_both_hold_memory_per_subscriber_decides(django_kib, threads_kib, outcome):
    g = grid(everywhere(**{DJANGO: {"per_subscriber": django_kib * KiB},
                           THREADS: {"per_subscriber": threads_kib * KiB}}))
    scope, ratios = n_scope(g, 4_000)
    assert scope.outcome == outcome, scope.why
    assert ratios == [pytest.approx(django_kib / threads_kib)] * 2


def test_memory_repeats_on_both_sides_of_a_line_decide_nothing():
    g = grid(everywhere(**{DJANGO: lambda n, r: {"per_subscriber": (10 if r == 0 else 40) * KiB},
                           THREADS: {"per_subscriber": 30 * KiB}}))
    scope, _ = n_scope(g, 4_000)
    assert scope.outcome == INCONCLUSIVE and "disagree" in scope.why


def test_repeats_that_disagree_on_holding_leave_the_cell_unknown():
    g = grid(everywhere(**{DJANGO: lambda n, r: {"share": 1.0 if r == 0 else 0.5}, THREADS: {"share": 0.5}}))
    assert state(g, DJANGO, 1_000)[0] == UNKNOWN
    assert state(g, THREADS, 1_000)[0] == NOT_HELD
    assert n_scope(g, 1_000)[0].outcome == INCONCLUSIVE


def test_memory_per_subscriber_is_the_growth_over_idle_divided_by_n():
    g = grid([cell(DJANGO, 1_000, 0, per_subscriber=20 * KiB), cell(DJANGO, 1_000, 1, status=INVALID)])
    assert memory_per_subscriber(g, DJANGO, 1_000) == [pytest.approx(20 * KiB), None]


# --- the card ------------------------------------------------------------------------------------

def test_the_card_combines_every_n_and_missing_data_never_lifts_it():
    # gthread misses 4,000 only; Django holds all with half the memory: supported at every N
    threads = lambda n, r: {"share": 0.5 if n == 4_000 else 1.0, "per_subscriber": 40 * KiB}  # noqa: E731
    g = grid(everywhere(**{THREADS: threads, DJANGO: {"per_subscriber": 10 * KiB}}))
    assert judge_c14(g).verdict == SUPPORTED
    # the quick slice has no 4,000 cell: supported where measured, unknown there: inconclusive, not supported
    quick = grid([c for c in g.cells if c.n < 4_000])
    v = judge_c14(quick)
    assert v.verdict == INCONCLUSIVE and "4,000 subscribers" in v.why
    # Django ASGI misses 4,000 where gthread holds it, and wins the rest: partly
    g2 = grid(everywhere(**{THREADS: {"per_subscriber": 40 * KiB},
                            DJANGO: lambda n, r: {"share": 0.5 if n == 4_000 else 1.0, "per_subscriber": 10 * KiB}}))
    assert judge_c14(g2).verdict == PARTLY
    # both hold everything, Django's memory as much as the threads': refuted at every N
    g3 = grid(everywhere(**{THREADS: {"per_subscriber": 30 * KiB}, DJANGO: {"per_subscriber": 47 * KiB}}))
    assert judge_c14(g3).verdict == REFUTED


def test_the_reference_and_the_explaining_variant_are_never_counted():
    base = {THREADS: {"per_subscriber": 30 * KiB}, DJANGO: {"per_subscriber": 47 * KiB}}
    worse = grid(everywhere(**base, **{FASTAPI: {"share": 0.1}, REUSE: {"share": 0.1}}))
    better = grid(everywhere(**base, **{FASTAPI: {"per_subscriber": 1 * KiB}, REUSE: {"per_subscriber": 1 * KiB}}))
    assert judge_c14(worse).verdict == judge_c14(better).verdict == REFUTED


def test_no_grid_is_inconclusive_and_says_how_to_get_one():
    v = judge_c14(None)
    assert v.verdict == INCONCLUSIVE and "--suite push" in v.needs


def test_the_card_shows_both_maps_and_the_note_names_what_django_holds():
    g = grid(everywhere(**{DJANGO: lambda n, r: {"threads": n + 5, "share": 0.5 if n == 4_000 else 1.0}}))
    burst = grid([cell(s.name, P.BURST_N, 0, p99_ms=300) for s in P.STACKS])
    v = judge_c14(g, burst)
    assert [m["caption"] for m in v.heatmap][1].startswith("an event a second, every stream on one beat")
    states = {r["stack"]: [c["state"] for c in r["cells"]] for r in v.heatmap[0]["rows"]}
    assert states[DJANGO] == [HELD, HELD, NOT_HELD]
    assert "FastAPI holds 4,000 subscribers" in note(g) and "1.00 OS threads per subscriber" in note(g)
    lag = next(f for f in v.figures if f.label.endswith("on one beat (burst, shown): lag p99") and DJANGO in f.label)
    assert lag.values == [300]


def test_an_n_beyond_the_load_generator_is_out_of_scope_and_never_counted():
    from results.grid import OUT_OF_SCOPE

    cells = [c if c.n != 4_000 else CellRepeat(c.stack, c.n, c.wait_s, False, c.repeat, OUT_OF_SCOPE, "out of scope: test")
             for c in everywhere(**{THREADS: {"per_subscriber": 30 * KiB}, DJANGO: {"per_subscriber": 47 * KiB}})]
    v = judge_c14(grid(cells))
    scope = next(s for s in v.scopes if s.name == "4,000 subscribers")
    assert scope.in_scope is False
    assert v.verdict == REFUTED  # decided by the N in scope, not held back by the one beyond the generator


def test_a_step_with_no_event_delivered_is_a_miss_not_unknown():
    """What the grid reader makes of a valid step with no delivery at all: measured, nothing served."""
    silent = CellRepeat(DJANGO, 1_000, P.EVERY_S, False, 0, MEASURED, rps=0.0, generator_lag_p99_ms=2.0)
    assert repeat_holds(silent) is False


# --- what the card shows beside the outcome ------------------------------------------------------

def test_a_decided_n_says_what_each_side_did_and_how_many_repeats_decided_it():
    scope, ratios = n_scope(grid(everywhere(**{DJANGO: {"share": 0.5}})), 1_000)
    assert (scope.outcome, scope.repeats, ratios) == (REFUTED, 2, [])
    assert scope.why == ("Django ASGI: not held (missed in 2 of 2 repeats); "
                         "gthread: held (held in 2 of 2 repeats)")


def test_django_holding_where_gthread_is_unknown_decides_nothing_not_even_by_memory():
    g = grid(everywhere(**{THREADS: {"own_lag_ms": 90, "per_subscriber": 90 * KiB}}))
    scope, ratios = n_scope(g, 1_000)
    assert (scope.outcome, scope.repeats, ratios) == (INCONCLUSIVE, 0, [])
    assert scope.why.startswith("Django ASGI: held") and "gthread: unknown" in scope.why


def test_a_repeat_without_memory_shows_n_a_and_the_others_decide():
    g = grid(everywhere(**{DJANGO: {"per_subscriber": 10 * KiB}, THREADS: {"per_subscriber": 30 * KiB}}))
    g.cells = [c if not (c.stack == DJANGO and c.repeat == 1) else
               CellRepeat(**{**c.__dict__, "uss_bytes": None}) for c in g.cells]
    scope, ratios = n_scope(g, 1_000)
    assert ratios == [pytest.approx(1 / 3), None]
    assert (scope.outcome, scope.repeats) == (SUPPORTED, 1)
    assert "memory per subscriber is 0.33x, n/a gthread's" in scope.why


def test_both_holding_with_no_memory_measured_says_so():
    g = grid(everywhere(**{DJANGO: {"per_subscriber": 10 * KiB}}))
    g.cells = [CellRepeat(**{**c.__dict__, "uss_idle_bytes": None}) for c in g.cells]
    scope, _ = n_scope(g, 1_000)
    assert scope.outcome == INCONCLUSIVE and "no repeat gave the memory ratio" in scope.why


def test_an_n_out_of_scope_is_inconclusive_with_no_repeat_and_says_what_each_side_was():
    from results.grid import OUT_OF_SCOPE

    cells = [c if c.n != 4_000 else CellRepeat(c.stack, c.n, c.wait_s, False, c.repeat, OUT_OF_SCOPE, "beyond: test")
             for c in everywhere()]
    scope, _ = n_scope(grid(cells), 4_000)
    assert (scope.outcome, scope.repeats, scope.in_scope) == (INCONCLUSIVE, 0, False)
    assert scope.why.startswith("Django ASGI: out of scope") and "; gthread: out of scope" in scope.why


def test_the_heat_map_as_the_card_draws_it():
    from django.template.loader import render_to_string

    from dashboard.claims import painted

    # Django ASGI misses 4,000 (half delivered), its lag p99 20 / 40 ms and threads 4,005 / 4,007 over repeats
    django = lambda n, r: {"share": 0.5 if n == 4_000 else 1.0, "p99_ms": 20.0 + 20 * r,  # noqa: E731
                           "threads": n + 5 + 2 * r}
    v = judge_c14(grid(everywhere(**{DJANGO: django})))
    html = render_to_string("dashboard/_heatmap.html", {"maps": painted(v.heatmap)})
    assert ('<p class="legend">Colour: events delivered over the N a second owed (median over repeats; red at half '
            "or less, green at all; grey: not measured). Text: that share, then the delivery lag p99. held / missed "
            "by the rule.</p>") in html
    assert f'data-wait="{P.EVERY_S}"' in html and "<caption>an event a second, sends staggered</caption>" in html
    assert "<th>N = 100</th><th>N = 1000</th><th>N = 4000</th>" in html and "neighbour" not in html
    assert '<tr class="role-threads"><th>gthread' in html and "(reference, not counted)" in html
    # USS: 40 MiB idle + 30 KiB x 4,000 subscribers = 157 MiB
    missed = ('<td class="shade-0" title="not held: missed in 2 of 2 repeats; USS 157 MiB; 4006 threads" '
              'data-state="not held">\n        50% · p99 30 ms')
    assert missed in html


def test_a_measured_step_without_a_delivery_rate_shows_no_share():
    g = grid(everywhere())
    g.cells = [c if not (c.stack == DJANGO and c.n == 100) else CellRepeat(**{**c.__dict__, "rps": None})
               for c in g.cells]
    v = judge_c14(g)
    owed = next(f for f in v.figures if f.label == f"{DJANGO}, 100 subscribers: events delivered / owed")
    assert owed.values == [None, None] and owed.text() == "n/a"
    cell = next(r for r in v.heatmap[0]["rows"] if r["stack"] == DJANGO)["cells"][0]
    assert cell["share"] is None and cell["state"] == UNKNOWN


def test_the_burst_lag_is_in_ms_and_the_machine_limits_are_listed():
    g = grid(everywhere())
    g.limits = {"somaxconn": 4096, "nofile": 65536}
    burst = grid([cell(s.name, P.BURST_N, 0, p99_ms=300) for s in P.STACKS])
    v = judge_c14(g, burst)
    label = f"{DJANGO}, {P.BURST_N:,} subscribers on one beat (burst, shown): lag p99"
    lag = next(f for f in v.figures if f.label == label)
    assert lag.text() == "300 ms"
    limits = next(f for f in v.figures if f.label == "the machine's limits (read by the runner)")
    assert limits.text() == "somaxconn 4096, nofile 65536"
    g.limits = {}
    assert next(f for f in judge_c14(g).figures if f.label.startswith("the machine's limits")).text() == "not recorded"


def test_the_note_joins_its_parts_and_counts_only_measured_repeats_threads():
    at = max(P.PUSH_N)
    cells = everywhere(1, **{DJANGO: lambda n, r: {"share": 0.5 if n == at else 1.0, "threads": n // 2}})
    # a second repeat not measured: its threads do not count (and Django's cell is unknown for want of it)
    cells.append(cell(DJANGO, at, 1, threads=3 * at, status=INVALID))
    assert note(grid(cells)) == (
        f"FastAPI holds {at:,} subscribers where stock Django ASGI does not (unknown); stock Django on Uvicorn runs "
        "about 0.50 OS threads per subscriber (each stream keeps the thread of its request's thread-sensitive "
        "context until it ends).")


def test_the_heat_map_applies_c14s_rule_not_the_waits_grid_rule():
    """A repeat whose subscriber process ran late is unknown on the map too, as in the verdict."""
    v = judge_c14(grid(everywhere(**{DJANGO: {"own_lag_ms": 90}})))
    django = next(r for r in v.heatmap[0]["rows"] if r["stack"] == DJANGO)
    assert [c["state"] for c in django["cells"]] == [UNKNOWN] * len(P.PUSH_N)


def test_every_n_beyond_the_load_generator_tests_nothing_and_says_so():
    from results.grid import OUT_OF_SCOPE

    cells = [CellRepeat(c.stack, c.n, c.wait_s, False, c.repeat, OUT_OF_SCOPE, "out of scope: test")
             for c in everywhere()]
    v = judge_c14(grid(cells))
    assert v.verdict == INCONCLUSIVE
    assert v.why == "no N was tested (100 subscribers, 1,000 subscribers, 4,000 subscribers: out of scope)"
