"""The typed read of ``ExperimentRun.observations`` (``bench.observations``): every part the runner
writes reads back as an attribute, an absent part reads as its default, a misspelt one fails."""
from __future__ import annotations

import pytest

from bench import observations as O
from bench.faults import BadInput
from bench.models import ExperimentRun
from bench.suites import SUITES
from tests.unit.cells import c7_obs, whoami_obs


def test_whoami_contexts_read_as_attributes():
    observed = ExperimentRun(observations=whoami_obs([(1, 11, True), (2, None, False)])).observed
    (first, second) = observed.contexts("/api")
    assert (first.pid, first.loop_id, first.is_main_thread, first.count, first.thread_names) == \
        (1, 11, True, 10, ("MainThread",))
    assert second.loop_id is None and not second.is_main_thread
    assert observed.whoami("/api").answered == 100
    assert observed.whoami("/async") is None and observed.contexts("/async") == ()


def test_both_kinds_of_view_are_read_under_their_prefixes():
    observed = O.Observations.parse(c7_obs(sync_on_main=False))
    assert [c.view for c in observed.contexts("/async")] == ["async"]
    assert [(c.view, c.thread_names) for c in observed.contexts("/sync")] == [("sync", ("T1",))]


def test_every_part_the_runner_writes_reads_back():
    raw = {O.CONFIGURATION: {"best": "gthread 1w x 32t · ping", "best_key": "ab", "default": "gthread 1w x 8t · ping",
                             "saturated_rps": 900.0, "rates": [225.0, 450.0], "generator_limited": True,
                             "sweep": [{"configuration": "gthread 1w x 8t · ping", "median": 400.0}]},
           O.FAULT: {"cases": [{"case": "garbage", "outcome": "400"}], "server_healthy_after": True},
           O.WORKER_PIDS: [11, 12], O.COROUTINES: [{"n": 1000, "uss_before": 1, "uss_during": 3},
                                                   {"n": 10000, "error": "HTTP 500"}],
           O.DB_CONNECTIONS_AT_END: 4, O.DB_CONNECTIONS_AFTER_STOP: 0, O.POSTGRES_CPUS: [0]}
    observed = O.Observations.parse(raw)
    curve = observed.curve
    assert (curve.best, curve.best_key, curve.saturated_rps, curve.rates, curve.generator_limited) == \
        ("gthread 1w x 32t · ping", "ab", 900.0, (225.0, 450.0), True)
    assert curve.sweep[0]["median"] == 400.0 and observed.overload is None
    assert observed.worker_pids == (11, 12) and observed.postgres_cpus == (0,)
    assert [c.uss_during for c in observed.coroutines] == [3, None] and observed.coroutines[1].error == "HTTP 500"
    assert (observed.db_connections_at_end, observed.db_connections_after_stop) == (4, 0)
    assert BadInput.cases(observed.fault) == [("garbage", "400")]


def test_an_overload_plan_reads_back_and_a_curve_decision_is_not_one():
    plan = {"knee_rps": 500.0, "knee_from_run": 3, "configuration": "uvicorn 2w · db/read", "overload_rps": 1000.0,
            "calm_rps": 250.0, "change_at_s": 30.0, "limit_per_worker": None}
    overload = O.Observations.parse({O.CONFIGURATION: plan}).overload
    assert (overload.knee_rps, overload.calm_rps, overload.change_at_s) == (500.0, 250.0, 30.0)
    assert O.Observations.parse({O.CONFIGURATION: {"best": "x"}}).overload is None


def test_a_run_that_observed_nothing_reads_as_defaults():
    observed = ExperimentRun().observed
    assert observed.fault is None and observed.worker_pids == () and observed.db_connections_after_stop is None
    assert observed.curve.best is None and observed.curve.generator_limited is False and observed.overload is None


def test_a_misspelt_part_fails_loudly():
    observed = O.Observations.parse(whoami_obs([(1, 11, True)]))
    with pytest.raises(AttributeError):
        observed.worker_pid  # noqa: B018
    with pytest.raises(AttributeError):
        observed.contexts("/api")[0].loop  # noqa: B018
    with pytest.raises(KeyError):
        observed.contexts("/apj")


def test_every_prefix_the_catalogue_samples_is_one_the_record_reads():
    sampled = {p for suite in SUITES.values() for e in suite for p in e.observe_whoami}
    assert sampled and sampled <= set(O.WHOAMI_PREFIXES)


def test_the_record_is_parsed_again_only_when_the_column_changes():
    er = ExperimentRun(observations={O.WORKER_PIDS: [1]})
    assert er.observed is er.observed
    er.observations = {O.WORKER_PIDS: [2]}
    assert er.observed.worker_pids == (2,)
