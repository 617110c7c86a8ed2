"""PostgreSQL alone: pgbench sends db/read's own query and the step reads like a Locust step."""
from __future__ import annotations

from bench import pgbench
from workloads.db import READ_SQL


def test_the_script_is_db_reads_query():
    text = pgbench.script(10_000)
    assert "\\set id random(1, 10000)" in text
    assert READ_SQL.replace("%s", ":id") in text


def test_histogram_buckets_round_like_locusts():
    assert [pgbench.ms_bucket(ms) for ms in (0.4, 7.6, 147, 3432, 58760)] == [0, 8, 150, 3400, 59000]


def test_exact_percentiles_use_every_latency():
    us = sorted(range(1, 1001))  # 1..1000 µs
    assert pgbench.exact_percentile(us, 0.5) == 0.5
    assert pgbench.exact_percentile(us, 0.99) == 0.99
    assert pgbench.exact_percentile([], 0.5) is None


def test_a_pgbench_step_measures_the_query():
    # 2 s, not 1: pgbench prints its first progress line at 1 s, which a 1 s run may end before
    result = pgbench.run_step(pgbench.PgbenchSettings(clients=2), warmup_s=0, duration_s=2)
    (endpoint,) = result["endpoints"]
    assert endpoint["failures"] == 0 and endpoint["requests"] > 100
    assert sum(endpoint["histogram"].values()) == endpoint["requests"]
    assert endpoint["rps"] > 0 and endpoint["p50"] <= endpoint["p99"] <= endpoint["max_ms"]
    assert result["timeseries"], "pgbench's per-second progress is the step's time series"
    assert 0 < result["generator"]["cpu_percent_max_process"] <= 200


def test_settings_refuse_what_pgbench_would_misread():
    import pytest

    with pytest.raises(ValueError):
        pgbench.PgbenchSettings(clients=0)
    with pytest.raises(ValueError):
        pgbench.PgbenchSettings(clients=2, protocol="extended-ish")
