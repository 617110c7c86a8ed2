"""The reliability page reads a fault run's observations through the typed record
(``ExperimentRun.observed``): the bad-input cases and the leak check come back as stored."""
from __future__ import annotations

from bench import observations as O
from bench.experiments import FAULT_BAD_INPUT
from dashboard.reliability import bad_input_rows, fault_rows
from tests.synthetic import V, make_run, only


def test_the_reliability_page_reads_a_stored_fault_run():
    fault = {"cases": [{"case": "garbage", "outcome": "400"}], "server_errors_5xx": 0, "server_healthy_after": True}
    variant = FAULT_BAD_INPUT.variants[0]
    observations = {O.FAULT: fault, O.DB_CONNECTIONS_AFTER_STOP: 0}
    run = make_run(FAULT_BAD_INPUT.name, {variant: V({}, observations=observations)}, suite="faults")
    try:
        assert bad_input_rows(only(run)) == [{"case": "garbage", variant.label: "400"}]
        (row,) = [r for r in fault_rows(only(run)) if r["run"] == run.id]
        assert row["db_connections_after_stop"] == 0 and "0 answers were 5xx" in row["what_happened"]
    finally:
        run.delete()
