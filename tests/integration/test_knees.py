"""The knee reads why the step above it was invalid from the step's kind (bench/knees.py)."""
from __future__ import annotations

from bench.knees import knee_of
from bench.validity import InvalidKind


def test_the_knee_is_a_lower_bound_by_the_kind_of_the_step_above_whatever_its_words():
    def point(index, achieved, valid=True, kind="", reason=""):
        return {"index": index, "achieved": achieved, "p99": 10.0, "valid": valid, "invalid_kind": kind,
                "invalid_reason": reason}

    below = [point(0, 100.0), point(1, 200.0)]
    reworded = knee_of(below + [point(2, None, False, InvalidKind.GENERATOR, "Locust ran out of CPU")], 50.0)
    assert reworded["rps"] == 200.0 and reworded["lower_bound"] is True
    server_failed = knee_of(below + [point(2, None, False, InvalidKind.FAILURES, "load generator saturated")], 50.0)
    assert server_failed["lower_bound"] is False  # the words say generator; the kind says the server failed
