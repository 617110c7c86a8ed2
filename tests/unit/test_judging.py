"""The judging core alone: evidence in, verdict out, no database and no Django.

``judging.core`` imports only the standard library, so these tests need none of the
session set-up in ``tests/conftest.py`` (PostgreSQL, ``django.setup()``). Run them on their own
with ``pytest tests/unit --confcutdir=tests/unit`` (``make unit``): conftest files above
``tests/unit`` are then not loaded. ``make mutation`` runs them the same way under mutmut.
In the whole suite (``make test``) they run as well, beside the database set-up they ignore.
"""
from __future__ import annotations

import pytest

from judging.core import (INCONCLUSIVE, OUTCOMES, PARTLY, REFUTED, SUPPORTED, Beside, Figure, Judged, Rule,
                          Scope, Verdict, banded, bar, classify_repeats, combine, median, outcome_by_threshold,
                          paired, possible_outcomes, ratio, spread, text_figure, versus_limit)

S, P, R, I = SUPPORTED, PARTLY, REFUTED, INCONCLUSIVE


def test_outcomes_are_four_distinct_words_in_order_of_strength():
    assert OUTCOMES == ("supported", "partly supported", "refuted", "inconclusive")


# --- Rule ---------------------------------------------------------------------------------------

def test_rule_renders_its_text_from_its_own_limits_and_reads_them_by_name():
    rule = Rule("supported if the drop is >= {supported:.0%}, partly if >= {partly:.0%}",
                {"supported": 0.2, "partly": 0.05})
    assert rule.render() == "supported if the drop is >= 20%, partly if >= 5%"
    assert rule["supported"] == 0.2 and rule["partly"] == 0.05
    with pytest.raises(KeyError):
        rule["missing"]


# --- median, spread, ratio, paired -------------------------------------------------------------

def test_median_ignores_missing_repeats():
    assert median([3.0, None, 1.0, 2.0]) == 2.0
    assert median([4.0, 1.0, None, 2.0, 3.0]) == 2.5  # an even count: the mean of the middle two
    assert median([None, None]) is None and median([]) is None
    assert median(iter([5.0])) == 5.0  # any iterable, read once


def test_spread_needs_two_repeats():
    assert spread([5.0, None, 2.0, 3.0]) == 3.0
    assert spread([5.0, 2.0]) == 3.0  # two repeats are enough
    assert spread([5.0, None]) is None and spread([]) is None  # one repeat: the noise is unknown
    assert spread(iter([1.0, 4.0])) == 3.0


def test_ratio_is_none_when_either_side_is_missing_or_the_divisor_is_zero():
    assert ratio(3.0, 2.0) == 1.5
    assert ratio(0.0, 2.0) == 0.0  # a zero numerator is a ratio, not missing data
    assert ratio(None, 2.0) is None and ratio(3.0, None) is None and ratio(3.0, 0.0) is None


def test_paired_keeps_the_repeat_index_and_leaves_out_pairs_with_a_missing_side():
    assert paired([1.0, None, 3.0, 4.0], [10.0, 20.0, None, 40.0]) == [(1.0, 10.0), (4.0, 40.0)]
    assert paired([0.0, 2.0], [5.0, 0.0]) == [(0.0, 5.0), (2.0, 0.0)]  # zero is present, not missing
    assert paired([1.0, 2.0, 3.0], [10.0]) == [(1.0, 10.0)]  # a repeat without a partner is not invented
    assert paired([], []) == []


# --- classify_repeats, banded, versus_limit, outcome_by_threshold ------------------------------

def positive(value: float) -> str:
    return SUPPORTED if value > 0 else REFUTED


def test_repeats_that_agree_decide_with_their_count():
    assert classify_repeats([1.0, 2.0, None, 3.0], positive) == (S, "", 3)
    assert classify_repeats([-1.0, -2.0], positive) == (R, "", 2)
    assert classify_repeats([5.0], positive) == (S, "", 1)


def test_repeats_that_disagree_are_inconclusive_with_the_count_per_outcome():
    # counts follow OUTCOMES' order, whatever the repeats' order
    assert classify_repeats([-1.0, 1.0, None, 2.0], positive) == (I, "the repeats disagree (2 supported, 1 refuted)", 3)
    three_bands = banded(0.2, 0.05)
    assert classify_repeats([0.0, 0.1, 0.3, 0.1], three_bands) == (
        I, "the repeats disagree (1 supported, 2 partly supported, 1 refuted)", 4)


def test_a_repeat_classified_inconclusive_is_counted_too():
    def unknown_when_zero(value: float) -> str:
        return INCONCLUSIVE if value == 0 else SUPPORTED
    assert classify_repeats([0.0, 1.0], unknown_when_zero) == (I, "the repeats disagree (1 supported, 1 inconclusive)", 2)
    assert classify_repeats([0.0, 0.0], unknown_when_zero) == (I, "", 2)


def test_no_repeat_decides_nothing_and_says_what_was_missing():
    assert classify_repeats([], positive) == (I, "no repeat gave the effect", 0)
    assert classify_repeats([None, None], positive, what="drop") == (I, "no repeat gave the drop", 0)


def test_the_effect_is_classified_as_given_not_rounded_or_shifted():
    seen = []
    classify_repeats([0.25, None, -3.0], lambda v: seen.append(v) or SUPPORTED)
    assert seen == [0.25, -3.0]


@pytest.mark.parametrize("value,expected", [
    (0.3, S), (0.2, S),  # the supported threshold itself supports (>=)
    (0.19999, P), (0.05, P),  # ... and so does the partly threshold for the middle band
    (0.04999, R), (0.0, R), (-0.5, R),
])
def test_banded_with_a_middle_band(value, expected):
    assert banded(0.2, 0.05)(value) == expected


@pytest.mark.parametrize("value,expected", [(0.2, S), (0.21, S), (0.19999, R), (0.0, R), (-1.0, R)])
def test_banded_without_a_middle_band_never_says_partly(value, expected):
    assert banded(0.2)(value) == expected


def test_banded_middle_band_at_zero_is_a_band_not_a_missing_one():
    assert banded(0.2, 0.0)(0.0) == P  # partly_at=0 is a limit, unlike partly_at=None
    assert banded(0.2, 0.0)(-0.01) == R


@pytest.mark.parametrize("values,limit,at_least,expected", [
    ([10.0, 12.0], 10.0, True, S),  # exactly at the limit meets an "at least"
    ([9.99, 9.0], 10.0, True, R),
    ([10.0, 9.99], 10.0, True, I),  # straddling the limit decides nothing
    ([10.0, 8.0], 10.0, False, S),  # exactly at the limit meets an "at most"
    ([10.01, 11.0], 10.0, False, R),
    ([10.0, 10.01], 10.0, False, I),
    ([None, 12.0, None], 10.0, True, S),  # missing repeats are left out
    ([None], 10.0, True, I),
    ([], 10.0, False, I),
])
def test_versus_limit_repeat_by_repeat(values, limit, at_least, expected):
    assert versus_limit(values, limit, at_least=at_least) == expected


def test_versus_limit_is_at_least_by_default():
    assert versus_limit([10.0], 10.0) == S and versus_limit([9.0], 10.0) == R


@pytest.mark.parametrize("value,expected", [
    (None, I), (2.0, S), (1.5, S), (1.49, P), (1.2, P), (1.19, R), (0.0, R)])
def test_outcome_by_threshold(value, expected):
    assert outcome_by_threshold(value, 1.5, 1.2) == expected


# --- Figure ---------------------------------------------------------------------------------------

def test_figure_median_range_and_count_over_present_repeats():
    f = Figure("RPS", [300.0, None, 100.0, 200.0], unit=" req/s")
    assert (f.median, f.low, f.high, f.n) == (200.0, 100.0, 300.0, 3)


def test_figure_scale_applies_to_median_low_and_high_not_to_n():
    f = Figure("USS", [2.0 * 2**20, 4.0 * 2**20, 3.0 * 2**20], unit=" MiB", scale=1 / 2**20)
    assert (f.median, f.low, f.high, f.n) == (3.0, 2.0, 4.0, 3)
    assert f.text() == "3 MiB (range 2–4, n=3)"


def test_figure_without_values():
    f = Figure("RPS", [None, None])
    assert (f.median, f.low, f.high, f.n) == (None, None, None, 0)
    assert f.text() == "n/a"


def test_figure_zero_is_a_value_not_missing():
    f = Figure("errors", [0.0, 0.0])
    assert (f.median, f.low, f.high, f.n) == (0.0, 0.0, 0.0, 2)
    assert f.text() == "0 (n=2)"


@pytest.mark.parametrize("values,digits,unit,expected", [
    ([1234.5], 0, "", "1,234"),  # one repeat: no range, no count (and banker's rounding of .5)
    ([1234.56], 1, " ms", "1,234.6 ms"),
    ([1.0, 3.0], 0, "", "2 (range 1–3, n=2)"),  # two repeats already show their range
    ([5.0, 5.0], 0, "", "5 (n=2)"),  # repeats that agree: the count, no empty range
    ([1000.0, 2000.0, 3500.0], 2, " req/s", "2,000.00 req/s (range 1,000.00–3,500.00, n=3)"),
    ([0.5, None, 0.25], 3, "", "0.375 (range 0.250–0.500, n=2)"),
])
def test_figure_text(values, digits, unit, expected):
    assert Figure("x", values, unit=unit, digits=digits).text() == expected


def test_a_statement_figure_is_its_sentence():
    f = text_figure("strongest threads", "gthread 1w x 64t")
    assert (f.label, f.values, f.statement) == ("strongest threads", [], "gthread 1w x 64t")
    assert f.text() == "gthread 1w x 64t"
    assert Figure("x", [1.0, 2.0], statement="").text() == ""  # an empty statement is still a statement


def test_figure_defaults():
    f = Figure("x", [1.0])
    assert (f.unit, f.digits, f.scale, f.statement) == ("", 0, 1.0, None)


def test_figure_as_dict():
    f = Figure("p99", [10.0, 30.0, 20.0], unit=" ms ", digits=1)
    assert f.as_dict() == {"label": "p99", "value": "20.0 ms  (range 10.0–30.0, n=3)", "median": 20.0, "low": 10.0,
                           "high": 30.0, "n": 3, "unit": "ms"}
    assert text_figure("winner", "granian").as_dict() == {
        "label": "winner", "value": "granian", "median": None, "low": None, "high": None, "n": 0, "unit": ""}


# --- combine ----------------------------------------------------------------------------------------

def outcome_of(*outcomes: str) -> str:
    return combine([Scope(f"s{i}", o, "") for i, o in enumerate(outcomes)])[0]


@pytest.mark.parametrize("outcomes,expected", [
    ((S,), S), ((S, S, S), S),  # supported only if every scope is
    ((R,), R), ((R, R), R),  # refuted only if every scope is
    ((P,), P), ((P, P), P),
    ((S, R), P), ((R, S), P),  # one holds, one does not
    ((S, P), P), ((R, P), P),  # a partly scope holds and fails at once
    ((S, R, I), P), ((P, I), P), ((P, I, I), P),  # partly whatever the unknown scopes turn out to be
    ((S, I), I), ((S, S, I), I),  # unknown data never lifts ...
    ((R, I), I), ((R, R, I), I),  # ... nor sinks a claim
    ((I,), I), ((I, I), I), ((), I),
])
def test_combine_rule(outcomes, expected):
    assert outcome_of(*outcomes) == expected


@pytest.mark.parametrize("outcomes", [(S, I), (R, I), (S, R, I), (P, I), (S, S, I), (I,)])
def test_combine_is_what_every_completion_of_the_unknown_scopes_agrees_on(outcomes):
    completions = {outcome_of(*(fill if o == I else o for o in outcomes)) for fill in (S, P, R)}
    assert outcome_of(*outcomes) == (completions.pop() if len(completions) == 1 else I)


def test_a_part_added_up_from_levels_keeps_what_its_unknown_levels_can_still_become():
    """A part refuted at one level and unknown at another cannot hold at every level: it is partly
    or refuted, never supported. Handed up as such, two supported parts beside it make the claim
    partly whatever the unknown level turns out to be (found on a real C6 run, where the part's
    bare "inconclusive" made the whole claim inconclusive)."""
    levels = [Scope("2 users", I, ""), Scope("6 users", R, "")]
    could = possible_outcomes(levels)
    assert combine(levels)[0] == I and could == {P, R}
    part = Scope("offload", I, "", could_be=could)
    assert combine([Scope("orjson", S, ""), Scope("memory", S, ""), part])[0] == P
    # every completion agrees: the unknown level supported (part partly) or refuted (part refuted)
    for fill in (S, P, R):
        filled = Scope("offload", combine([Scope("2 users", fill, ""), levels[1]])[0], "")
        assert combine([Scope("orjson", S, ""), Scope("memory", S, ""), filled])[0] == P
    # a bare unknown part (it could still be supported) leaves the claim open, as before
    assert combine([Scope("orjson", S, ""), Scope("memory", S, ""), Scope("offload", I, "")])[0] == I
    # ... and so does a restricted one that could still go either way at the claim's level
    assert combine([Scope("orjson", R, ""), Scope("offload", I, "", could_be=frozenset({P, R}))])[0] == I


@pytest.mark.parametrize("options, expected", [
    ([{S}], {S}), ([{R}], {R}), ([{P}], {P}), ([{S}, {R}], {P}), ([{S, R}], {S, R}),
    ([{S}, {S, R}], {S, P}), ([{R}, {S, P, R}], {R, P}), ([], set())])
def test_possible_outcomes_of_each_mix(options, expected):
    scopes = [Scope(str(k), next(iter(o)) if len(o) == 1 else I, "", could_be=frozenset(o))
              for k, o in enumerate(options)]
    assert possible_outcomes(scopes) == expected


def test_combine_names_every_outcome_in_a_fixed_order():
    scopes = [Scope("db", I, ""), Scope("cpu", R, ""), Scope("io", P, ""), Scope("ping", S, ""),
              Scope("mixed", S, ""), Scope("sleep", I, "")]
    assert combine(scopes) == (P, "holds on ping, mixed; partly on io; not on cpu; inconclusive on db, sleep")


def test_combine_ignores_out_of_scope_cells_but_names_them():
    outside = [Scope("10k/1s", R, "beyond the generator", in_scope=False),
               Scope("10k/5s", I, "every stack CPU-bound", in_scope=False)]
    assert combine([Scope("1k/1s", S, "")] + outside) == (S, "holds on 1k/1s (10k/1s, 10k/5s: out of scope)")
    assert combine([Scope("1k/1s", R, ""), outside[0]]) == (R, "not on 1k/1s (10k/1s: out of scope)")
    # an out-of-scope refutation does not make a supported claim partly, nor an unknown one inconclusive
    assert combine([Scope("a", S, ""), Scope("b", S, "", in_scope=False)])[0] == S


def test_combine_with_nothing_in_scope_is_inconclusive_and_says_so():
    assert combine([]) == (I, "no scope was tested")
    assert combine([], what="workload") == (I, "no workload was tested")
    assert combine([Scope("a", S, "", in_scope=False)], what="cell") == (I, "no cell was tested (a: out of scope)")


# --- Verdict --------------------------------------------------------------------------------------

def verdict(outcome: str = S, repeats: int = 3, scopes: list[Scope] | None = None, **kw) -> Verdict:
    return Verdict("C1", outcome, "rule", "why", repeats=repeats, scopes=scopes or [], **kw)


def test_deciding_repeats_is_the_thinnest_deciding_cell():
    scopes = [Scope("a", S, "", repeats=5), Scope("b", R, "", repeats=2), Scope("c", P, "", repeats=4)]
    assert verdict(P, repeats=5, scopes=scopes).deciding_repeats == 2


def test_deciding_repeats_falls_back_on_the_verdicts_own_count():
    assert verdict(repeats=3).deciding_repeats == 3  # no scopes
    assert verdict(repeats=3, scopes=[Scope("a", S, "")]).deciding_repeats == 3  # a scope that does not say
    assert verdict(repeats=3, scopes=[Scope("a", S, ""), Scope("b", S, "", repeats=4)]).deciding_repeats == 3
    assert verdict(repeats=1, scopes=[Scope("a", S, "", repeats=0)]).deciding_repeats == 0  # zero is a count


def test_inconclusive_and_out_of_scope_cells_do_not_decide_the_count():
    scopes = [Scope("a", S, "", repeats=3), Scope("b", I, "", repeats=1), Scope("c", R, "", repeats=1, in_scope=False)]
    v = verdict(S, repeats=3, scopes=scopes)
    assert v.deciding_repeats == 3 and not v.provisional
    # with no deciding cell left, the verdict's own count applies
    assert verdict(S, repeats=4, scopes=[Scope("b", I, "", repeats=1)]).deciding_repeats == 4


@pytest.mark.parametrize("outcome,repeats,scope_repeats,expected", [
    (S, 1, None, True),  # one repeat behind the whole verdict
    (S, 2, None, False),  # two repeats: the spread is known
    (R, 3, 1, True),  # one deciding cell on one repeat is enough to make it provisional
    (P, 1, 2, False),  # ... and a cell that says it had two is firm whatever the run's count
    (S, 0, None, True),  # no repeats at all
    (I, 1, 1, False),  # an inconclusive verdict claims nothing to be provisional about
])
def test_provisional_is_judged_per_deciding_cell(outcome, repeats, scope_repeats, expected):
    scopes = [Scope("a", outcome, "", repeats=scope_repeats), Scope("b", outcome, "", repeats=5)]
    assert verdict(outcome, repeats=repeats, scopes=scopes).provisional is expected


def test_verdict_as_dict():
    figure = Figure("RPS", [1.0, 3.0])
    scope = Scope("ping", S, "drop 25 %", repeats=1)
    beside = Beside("FastAPI", R, "no drop", needs="manage.py bench --suite full")
    v = Verdict("C1", S, "rule text", "holds on ping", figures=[figure], run_id=7, suite="quick",
                experiment_run_ids=[7, 8], chart={"type": "bar"}, needs="manage.py bench", repeats=3,
                scopes=[scope], compared=[{"label": "uvicorn 4w", "strongest": True}], note="one core",
                beside=[beside], heatmap=[{"wait_s": 5}])
    assert v.as_dict() == {
        "claim": "C1", "verdict": S, "provisional": True, "repeats": 3, "deciding_repeats": 1,
        "rule": "rule text", "why": "holds on ping", "note": "one core", "figures": [figure.as_dict()],
        "run_id": 7, "suite": "quick",
        "scopes": [{"name": "ping", "outcome": S, "why": "drop 25 %", "repeats": 1, "in_scope": True}],
        "compared": [{"label": "uvicorn 4w", "strongest": True}], "experiment_run_ids": [7, 8],
        "chart": {"type": "bar"}, "needs": "manage.py bench",
        "beside": [{"framework": "FastAPI", "outcome": R, "why": "no drop", "needs": "manage.py bench --suite full"}],
        "heatmap": [{"wait_s": 5}]}


def test_verdict_defaults():
    v = Verdict("C4", I, "rule", "why")
    assert v.as_dict() == {
        "claim": "C4", "verdict": I, "provisional": False, "repeats": 0, "deciding_repeats": 0, "rule": "rule",
        "why": "why", "note": "", "figures": [], "run_id": None, "suite": "", "scopes": [], "compared": [],
        "experiment_run_ids": [], "chart": None, "needs": "", "beside": [], "heatmap": []}
    assert Verdict("C4", I, "r", "w").figures is not v.figures  # no list shared between verdicts


def test_scope_judged_and_beside_defaults():
    assert (Scope("a", S, "w").repeats, Scope("a", S, "w").in_scope) == (None, True)
    judged = Judged(S, "why")
    assert (judged.figures, judged.scopes) == ([], [])
    assert judged.figures is not Judged(S, "why").figures
    assert Beside("FastAPI", S, "why").needs == ""


# --- bar --------------------------------------------------------------------------------------------

def test_bar_chart_keeps_the_datasets_order_and_missing_values():
    chart = bar("RPS by workers", "req/s", ["1w", "4w"], {"uvicorn": [100.0, None], "gthread": [90.0, 95.0]})
    assert chart == {"type": "bar", "title": "RPS by workers", "unit": "req/s", "labels": ["1w", "4w"],
                     "datasets": [{"label": "uvicorn", "data": [100.0, None]},
                                  {"label": "gthread", "data": [90.0, 95.0]}]}
