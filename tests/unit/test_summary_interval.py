"""The run's summary table shows each step's own throughput interval, marked where it stayed too
wide for the effect its rule must resolve."""
from bench.summary import interval


def test_the_interval_and_its_mark():
    assert interval({"rps_ci_pct": 3.24, "imprecise": False}) == "3.2"
    assert interval({"rps_ci_pct": 12.0, "imprecise": True}) == "12.0!"
    assert interval({}) == "-"
