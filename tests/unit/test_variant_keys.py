"""A variant's key (``bench.variant_keys``): the same for the same definition, different for a
different one, distinct within every experiment of the catalogue, blind to the label."""
from __future__ import annotations

from dataclasses import replace

import pytest

from bench import experiments as X
from bench.suites import SUITES
from bench.variant_keys import definition


def test_the_same_definition_gives_the_same_key():
    a = X.Variant("uvicorn 1w io/sleep", X.uvicorn(), {"endpoint": "io/sleep", "ms": 100})
    b = X.Variant("another label altogether", X.uvicorn(), {"ms": 100, "endpoint": "io/sleep"})
    assert a is not b and a.key == b.key  # knobs in another order, another label, a new object
    assert len(a.key) == 16 and int(a.key, 16) >= 0


def test_where_a_server_listens_is_not_what_it_is():
    a = X.Variant("a", X.gthread(workers=2, threads=4), {"endpoint": "ping"})
    b = X.Variant("a", replace(X.gthread(workers=2, threads=4), port=41234, host="0.0.0.0"), {"endpoint": "ping"})
    assert a.key == b.key


def test_a_known_key_stays_as_it_was():
    """The recipe must not change quietly: every stored key depends on it."""
    assert X.C5_SLEEP.key == "d5d55c094d7bfbfd", definition(X.C5_SLEEP)


@pytest.mark.parametrize("change", [
    dict(deployment=X.uvicorn(workers=2)), dict(deployment=X.fastapi()), dict(deployment=X.uvicorn(cpus=None)),
    dict(deployment=X.uvicorn(pool_size=3)), dict(deployment=X.uvicorn(backpressure=64)),
    dict(deployment=X.uvicorn(backlog=100)), dict(deployment=X.uvicorn(loop="asyncio")),
    dict(deployment=None), dict(knobs={"endpoint": "io/sleep", "ms": 101}), dict(knobs={"endpoint": "io/blocking",
                                                                                       "ms": 100}),
    dict(env=(("LAB_ASGI_TWEAK", "reuse-thread"),)), dict(users=(0,)), dict(fresh_server=True),
    dict(coroutine_counts=(1_000,)), dict(neighbour=True), dict(upstream=True),
])
def test_a_different_deployment_knob_or_flag_gives_another_key(change):
    assert replace(X.C5_SLEEP, **change).key != X.C5_SLEEP.key


def test_gthread_and_granian_wsgi_threads_differ():
    assert X.Variant("a", X.gthread(threads=8), {}).key != X.Variant("a", X.gthread(threads=32), {}).key
    assert X.Variant("a", X.gthread(threads=8), {}).key != X.Variant("a", X.granian_wsgi(threads=8), {}).key


def test_the_environments_default_pool_is_keyed_as_the_default(monkeypatch):
    """A runner and a dashboard started with different LAB_DB_POOL_SIZE agree on the catalogue's keys."""
    before = X.Variant("a", X.uvicorn(), {}).key
    monkeypatch.setenv("LAB_DB_POOL_SIZE", "17")
    assert X.Variant("a", X.uvicorn(), {}).key == before
    assert X.Variant("a", X.uvicorn(pool_size=16), {}).key != before


def test_every_variant_of_an_experiment_has_a_key_of_its_own():
    """Two variants of one experiment with the same key would read each other's runs."""
    by_experiment: dict[str, dict[str, X.Variant]] = {}
    collisions = []
    for suite in SUITES.values():
        for experiment in suite:
            keys = by_experiment.setdefault(experiment.name, {})
            for variant in experiment.variants:
                other = keys.setdefault(variant.key, variant)
                if other is not variant:
                    collisions.append((experiment.name, other.label, variant.label))
    assert not collisions
    assert sum(len(keys) for keys in by_experiment.values()) > 400  # the whole catalogue was looked at
