"""The ladders page's figures of one measured step, on evidence built in memory: CPU per request,
the Server-Timing means, hops per request, the p99 an open-loop step reports, and how a rung's CPU
is cut into hop crossings, signals and the rest. The tables built from them are in
tests/unit/test_ladder_tables.py; their shell, which reads the store, in tests/system/test_ladders.py."""
from __future__ import annotations

import pytest

from bench import ladders as L
from judging import ladders as D
from tests.unit.evidence_builder import V, endpoint, evidence, sample

ASGI = {"server": "uvicorn", "workers": 1, "threads": None, "interface": "asgi"}
WSGI = {"server": "gunicorn", "workers": 1, "threads": 8, "interface": "wsgi"}
CELL = L.tax_variant(L.DJANGO_ASYNC, L.PING, hops=True)
# One request of Django's async ping, instrumented (mean ms per request, or a count for *_n): 0.5 ms
# in the app, 2 hops costing 0.03 + 0.07 ms, one crossing back costing 0.01 + 0.02 ms, 0.15 ms in
# the signals, one s2a crossing (0.05 ms) inside them under ASGI.
HOPS = {"s2a_n": 2, "s2a_dispatch": 0.03, "s2a_return": 0.07, "a2s_n": 1, "a2s_dispatch": 0.01,
        "a2s_return": 0.02, "signals": 0.15, "app": 0.5}


def timed(rps: float, means: dict[str, float], count: int = 40) -> dict:
    """An endpoint whose Server-Timing metrics have these means over ``count`` requests."""
    e = endpoint(rps, 5.0)
    e["server_timing"] = {k: {"count": count, "sum_ms": count * v, "p50": v / 3, "p99": v * 3}
                          for k, v in means.items()}
    return e


def step(endpoints: dict, cpu: list[float] | None = None, deployment=ASGI, open_loop=None):
    v = V(endpoints, deployment=deployment, samples=[sample(cpu_percent=c, t=i) for i, c in enumerate(cpu or [])],
          open_loop=open_loop or {})
    (m,) = evidence(L.TAX_RATE_PING, {CELL: v}).get(CELL)
    return m


# --- CPU per request ---------------------------------------------------------------------------

def test_cpu_per_request_is_the_mean_cpu_over_every_request_served_probe_included():
    m = step({"ping": endpoint(400, 5.0), "probe": endpoint(100, 5.0)}, cpu=[40.0, 60.0])
    assert D.cpu_us_per_request(m) == 1000.0  # half a core / 500 requests/s = 1 ms


def test_cpu_per_request_needs_samples_and_served_requests():
    assert D.cpu_us_per_request(step({"ping": endpoint(400, 5.0)})) is None  # no CPU sample
    assert D.cpu_us_per_request(step({"ping": endpoint(0, 5.0)}, cpu=[50.0])) is None  # nothing served
    assert D.cpu_us_per_request(step({"ping": endpoint(500, 5.0)}, cpu=[0.0])) == 0.0  # idle is a figure


# --- Server-Timing -------------------------------------------------------------------------------

def test_mean_timing_is_the_sum_over_the_count_not_a_percentile():
    m = step({"ping": timed(300, {"app": 0.5, "s2a_n": 2})})
    assert D.mean_timing(m, "ping", "app") == pytest.approx(0.5)
    assert D.mean_timing(m, "ping", "s2a_n") == pytest.approx(2.0)


def test_mean_timing_of_zero_is_zero_and_of_nothing_is_none():
    m = step({"ping": timed(300, {"s2a_n": 0.0})})
    assert D.mean_timing(m, "ping", "s2a_n") == 0.0  # a WSGI rung crosses no hop: 0, not "missing"
    assert D.mean_timing(m, "ping", "app") is None  # not instrumented
    assert D.mean_timing(m, "other", "s2a_n") is None  # no such endpoint
    assert D.mean_timing(step({"ping": timed(300, {"app": 0.5}, count=0)}), "ping", "app") is None  # no request


def test_hops_per_request_adds_both_directions_and_needs_both():
    assert D.hops_per_request(step({"ping": timed(300, HOPS)}), "ping") == pytest.approx(3.0)
    assert D.hops_per_request(step({"ping": timed(300, {"s2a_n": 0, "a2s_n": 0})}), "ping") == 0.0
    assert D.hops_per_request(step({"ping": timed(300, {"s2a_n": 2})}), "ping") is None
    assert D.hops_per_request(step({"ping": timed(300, {"a2s_n": 1})}), "ping") is None


def test_p99_is_the_corrected_one_on_an_open_loop_step_else_locusts():
    closed = step({"ping": endpoint(300, 8.0)})
    assert D.latency_p99(closed, "ping") == 8.0
    paced = step({"ping": endpoint(300, 8.0)},
                 open_loop={"rate": 300, "corrected": {"p99": 12.0}, "uncorrected": {"p99": 8.0}})
    assert D.latency_p99(paced, "ping") == 12.0
    assert D.latency_p99(closed, "other") is None


# --- the stacked bar's parts -----------------------------------------------------------------------

def test_hop_shares_count_every_crossing_and_take_the_one_inside_the_signals_out_under_asgi():
    shares = D.HopShares.of(step({"ping": timed(300, HOPS)}), "ping")
    assert shares.crossings_ms == pytest.approx(0.13)  # 0.03 + 0.07 + 0.01 + 0.02
    assert shares.signals_ms == pytest.approx(0.10)  # 0.15 less one s2a crossing (0.10 / 2 hops)
    assert shares.app_ms == pytest.approx(0.5)


def test_a_deployment_that_names_no_interface_is_taken_as_asgi():
    shares = D.HopShares.of(step({"ping": timed(300, HOPS)}, deployment={"server": "uvicorn"}), "ping")
    assert shares.signals_ms == pytest.approx(0.10)


@pytest.mark.parametrize("interface", ["wsgi", "rsgi"])  # rsgi: Granian's own, no crossing known inside the signals
def test_signals_outside_asgi_hold_no_crossing(interface):
    shares = D.HopShares.of(step({"ping": timed(300, HOPS)}, deployment={**WSGI, "interface": interface}), "ping")
    assert shares.signals_ms == pytest.approx(0.15)
    assert shares.crossings_ms == pytest.approx(0.13)


def test_less_than_one_crossing_per_request_takes_that_fraction_out_of_the_signals():
    half = {**HOPS, "s2a_n": 0.5, "s2a_dispatch": 0.02, "s2a_return": 0.03}  # one request in two crosses
    shares = D.HopShares.of(step({"ping": timed(300, half)}), "ping")
    assert shares.signals_ms == pytest.approx(0.15 - 0.05)  # 0.1 ms a crossing, half a crossing a request


def test_signals_without_a_crossing_lose_nothing_and_never_go_negative():
    none = {**HOPS, "s2a_n": 0, "s2a_dispatch": 0.0, "s2a_return": 0.0}
    assert D.HopShares.of(step({"ping": timed(300, none)}), "ping").signals_ms == pytest.approx(0.15)
    cheap = {**HOPS, "signals": 0.01}  # less than the crossing it contains: clamped, not negative
    assert D.HopShares.of(step({"ping": timed(300, cheap)}), "ping").signals_ms == 0.0


@pytest.mark.parametrize("missing", [*D.HOP_METRICS, "signals", "s2a_n", "app"])
def test_hop_shares_need_every_timing(missing):
    timing = {k: v for k, v in HOPS.items() if k != missing}
    assert D.HopShares.of(step({"ping": timed(300, timing)}), "ping") is None


def test_hop_shares_need_time_in_the_app():
    assert D.HopShares.of(step({"ping": timed(300, {**HOPS, "app": 0.0})}), "ping") is None


def test_fractions_are_shares_of_the_app_scaled_down_together_past_the_whole():
    assert D.HopShares(0.1, 0.05, 0.5).fractions() == (pytest.approx(0.2), pytest.approx(0.1))
    assert D.HopShares(0.25, 0.25, 0.5).fractions() == (pytest.approx(0.5), pytest.approx(0.5))  # exactly whole
    assert D.HopShares(0.9, 0.3, 0.6).fractions() == (pytest.approx(0.75), pytest.approx(0.25))


def test_split_cuts_the_total_by_the_median_shares_and_the_parts_sum_to_it():
    shares = [D.HopShares(0.1, 0.05, 0.5), D.HopShares(0.2, 0.1, 0.5), D.HopShares(0.05, 0.25, 0.5)]
    parts = D.split(600.0, shares)  # hop shares 0.2, 0.4, 0.1; signal shares 0.1, 0.2, 0.5: medians
    assert parts == {"hop crossings": pytest.approx(120.0), "signals": pytest.approx(120.0),
                     "rest": pytest.approx(360.0)}
    assert sum(parts.values()) == pytest.approx(600.0)


def test_split_of_a_whole_spent_crossing_leaves_no_rest():
    assert D.split(100.0, [D.HopShares(0.9, 0.3, 0.6)])["rest"] == 0.0


def test_split_without_shares_shows_the_total_whole_and_without_a_total_nothing():
    assert D.split(600.0, []) == {"not split (no hop data)": 600.0}
    assert D.split(None, [D.HopShares(0.1, 0.05, 0.5)]) is None


def test_values_reads_every_repeat_in_order():
    ms = [step({"ping": endpoint(r, 5.0)}) for r in (100, 200)]
    assert D.values(ms, lambda m: m.rps("ping")) == [100, 200]


# --- what a tweak gains --------------------------------------------------------------------------

def test_a_tweaks_change_is_in_percent_of_the_rung_as_shipped():
    assert D._change_pct(125.0, 100.0) == pytest.approx(25.0)
    assert D._change_pct(80.0, 100.0) == pytest.approx(-20.0)
    assert D._change_pct(None, 100.0) is None and D._change_pct(125.0, None) is None
