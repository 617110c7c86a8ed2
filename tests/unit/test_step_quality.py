"""A step's own precision, stationarity and generator headroom (bench/step_quality.py), from
result documents shaped as the recorder writes them. No database, no servers."""
from __future__ import annotations

import pytest

from bench import step_quality as Q
from bench.validity import VALID, InvalidKind, judge


def result(per_second: list[float], busy: list[float] | None = None, cores=(1,), name: str = "ping",
           waited: list[float] | None = None) -> dict:
    """``busy``: the generator core's busy % per second; ``waited``: the % of each second Locust
    spent runnable but waiting for a CPU."""
    series = [{"t": float(k), "name": name, "requests": n} for k, n in enumerate(per_second)]
    series.append({"t": len(per_second) + 0.2, "name": name, "requests": 3})  # the last partial second
    waits = waited or [0.0] * len(busy or [])
    machine = {"series": [{"t": float(k), "cpu_busy": [50.0, b], "generator_max_process": 50.0,
                           "generator_runqueue_pct": w} for k, (b, w) in enumerate(zip(busy or [], waits))],
               "generator_cpus": list(cores)}
    return {"endpoints": [{"name": name, "requests": int(sum(per_second)), "failures": 0},
                          {"name": "probe", "requests": 10 ** 6, "failures": 0}],
            "timeseries": series, "machine": machine,
            "generator": {"cpu_percent_max_process": 50.0, "cpu_percent_total": 50.0, "processes": 1}}


def test_the_trailing_partial_second_is_left_out():
    assert Q.per_second(result([100, 101, 102]), "ping") == [100, 101, 102]


def test_a_steady_window_is_precise_and_stationary():
    quality = Q.assess(result([1000, 1010, 990, 1005, 995] * 2))
    assert quality.rps_ci_pct is not None and quality.rps_ci_pct < 2
    assert quality.stationary and quality.resolves(5)
    assert quality.completions == 10_000 and quality.seconds == 10


def test_a_noisy_window_cannot_resolve_a_small_effect():
    quality = Q.assess(result([600, 1300, 1400, 700, 1200, 650, 800, 1350, 1100, 900]))
    assert quality.rps_ci_pct > 5 and quality.resolves(5) is False and quality.resolves(200) is True


def test_a_window_still_warming_up_is_not_stationary():
    quality = Q.assess(result([500, 550, 600, 650, 900, 950, 1000, 1000]))
    assert quality.halves_change_pct == pytest.approx(100 * (962.5 - 575) / 575)
    assert quality.stationary is False


def test_too_short_to_tell_says_so_instead_of_guessing():
    quality = Q.assess(result([1000, 1000, 1000]))
    assert quality.rps_ci_pct is None and quality.halves_change_pct is None
    assert quality.stationary is None and quality.resolves(5) is None


def test_the_probe_is_never_the_key_endpoint():
    assert Q.busiest_endpoint(result([10, 10])) == "ping"


def test_batch_means_widens_with_autocorrelation_that_single_seconds_hide():
    """Two slow batches then fast ones: each second looks steady beside its neighbours, the batch
    means do not. The interval must reflect the batches."""
    drifting = [900] * 4 + [900] * 4 + [1100] * 4 + [1100] * 4 + [1000] * 4
    assert Q.batch_means_ci(drifting) > 10
    assert Q.batch_means_ci([1000] * 20) == 0


@pytest.mark.parametrize("busy,waited,valid", [
    ([60, 70, 65], [1, 2, 1], True),
    ([100, 100, 100], [2, 3, 2], True),  # a full core that Locust did not wait for: not the limit
    ([100, 99, 100], [25, 30, 20], False),  # Locust waited for its CPU a quarter of the time
])
def test_a_generator_held_back_by_others_on_its_core_invalidates_the_step(busy, waited, valid):
    """Locust's own process is at 50 % (under the 90 % limit); what holds it back is someone else
    on its core, e.g. PostgreSQL scheduled there. The kernel's run-queue wait shows it."""
    judged = judge(result([1000] * 6, busy=busy, waited=waited))
    assert judged.valid is valid
    assert judged.kind == (InvalidKind.NONE if valid else InvalidKind.GENERATOR)
    assert judged.reason.startswith(Q.GENERATOR_SATURATED) if not valid else judged.reason == ""


def test_the_wait_is_recorded_beside_the_cores_busy_share():
    quality = Q.assess(result([1000] * 6, busy=[100, 100], waited=[4.0, 6.0]))
    assert (quality.generator_runqueue_pct, quality.generator_core_busy_pct) == (5.0, 100.0)
    assert Q.assess(result([1000] * 6)).generator_runqueue_pct is None  # not sampled: unknown, not zero


def test_only_the_generators_own_cores_count():
    busy_server_core = result([1000] * 6, busy=[60, 60, 60])
    for point in busy_server_core["machine"]["series"]:
        point["cpu_busy"] = [100.0, 60.0]  # the server's core is full: as it should be
    assert judge(busy_server_core) == VALID
    assert Q.assess(busy_server_core).generator_core_peak_pct == 60.0


# --- the server's core: what others took of it --------------------------------------------------

def with_server_core(server_busy: list[float], server_cpu_pct: float | None, cpus=(0,)) -> dict:
    """A step whose server core (CPU 0) was ``server_busy`` % busy each second, the server's own
    processes using ``server_cpu_pct`` of it (the sampler's mean)."""
    r = result([1000] * 6, busy=[50.0] * len(server_busy))
    for point, busy in zip(r["machine"]["series"], server_busy):
        point["cpu_busy"] = [busy, 50.0]
    r["server_core"] = Q.server_core_load(r, cpus, server_cpu_pct)
    return r


def test_what_others_took_of_the_servers_core_is_its_busy_share_less_the_servers_own():
    r = with_server_core([90.0, 100.0, 95.0], 60.0)
    assert r["server_core"] == {"cpus": [0], "busy_pct": 95.0, "foreign_pct": 35.0}
    quality = Q.assess(r)
    assert (quality.server_core_busy_pct, quality.server_core_foreign_pct) == (95.0, 35.0)
    assert with_server_core([50.0], 80.0)["server_core"]["foreign_pct"] == 0.0  # sampling skew: never negative
    assert with_server_core([50.0], None)["server_core"]["foreign_pct"] is None  # no samples: unknown
    assert Q.server_core_load({"machine": {}}, (0,), 50.0) == {}
    two = with_server_core([80.0], 100.0, cpus=(0, 1))  # two cores at 80 % and 50 %, the server using one core
    assert two["server_core"] == {"cpus": [0, 1], "busy_pct": 65.0, "foreign_pct": 15.0}


@pytest.mark.parametrize("server_busy, server_cpu, exclusive, valid", [
    ([100.0] * 3, 75.1, True, True),  # others took 24.9 %: under the limit
    ([100.0] * 3, 75.0, True, False),  # exactly a quarter: invalid
    ([100.0] * 3, 40.0, False, True),  # an experiment that does not need the core to itself
    ([100.0] * 3, None, True, True),  # unknown: nothing to hold against the step
])
def test_a_step_that_needs_the_servers_core_to_itself_is_invalid_when_others_took_a_quarter(
        server_busy, server_cpu, exclusive, valid):
    judged = judge(with_server_core(server_busy, server_cpu), server_core_exclusive=exclusive)
    assert judged.valid is valid
    assert judged.kind == (InvalidKind.NONE if valid else InvalidKind.SHARED_CORE)
    if not valid:
        assert judged.reason == ("the server's core was shared: other processes used 25 % of it (limit 25 %; "
                                 "the core 100 % busy in all)")
