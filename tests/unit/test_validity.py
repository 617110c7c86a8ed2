"""Every way a step can be invalid has its kind, and the readers ask for the kind, not the words."""
from __future__ import annotations

import pytest

from bench.validity import VALID, InvalidKind, judge


def result(requests=1000, failures=0, generator_cpu=40.0, open_loop=None, **extra) -> dict:
    return {"endpoints": [{"name": "ping", "requests": requests, "failures": failures}], "errors": [],
            "generator": {"cpu_percent_max_process": generator_cpu}, "open_loop": open_loop, **extra}


def open_loop(started=100, dropped=0, late=0, lag_p99=1.0) -> dict:
    return {"started": started, "dropped": dropped, "dropped_late": late, "max_lag_ms": 1000, "lag": {"p99": lag_p99}}


@pytest.mark.parametrize("step,kind", [
    (result(), InvalidKind.NONE),
    (result(error="the test stopped during warm-up"), InvalidKind.ERROR),
    (result(requests=0), InvalidKind.NOTHING),
    (result(failures=50), InvalidKind.FAILURES),
    (result(generator_cpu=95.0), InvalidKind.GENERATOR),
    (result(open_loop=open_loop(dropped=5, late=5)), InvalidKind.GENERATOR),
    (result(open_loop=open_loop(lag_p99=50.0)), InvalidKind.GENERATOR),
    (result(open_loop=open_loop(started=0)), InvalidKind.NOTHING),
    (result(open_loop=open_loop(dropped=5, late=0)), InvalidKind.NONE),  # the server's overload: a finding
])
def test_each_reason_has_its_kind(step, kind):
    judged = judge(step)
    assert judged.kind == kind and judged.valid is (kind == InvalidKind.NONE)
    assert (judged.reason == "") is judged.valid


def test_a_valid_step_is_the_one_valid_judgement():
    assert judge(result()) == VALID


def test_a_generator_waiting_for_its_core_spoils_only_a_step_whose_server_had_cores_of_its_own():
    """The structure experiments (C4, C7) leave the server unpinned: it shares every core with
    Locust by design, so the wait decides nothing there; a pinned server's step is spoilt by it."""
    waited = result(machine={"series": [{"t": 0.0, "cpu_busy": [90.0, 95.0], "generator_max_process": 40.0,
                                         "generator_runqueue_pct": 30.0}], "generator_cpus": [1]})
    assert judge(waited).kind == InvalidKind.GENERATOR
    assert judge(waited, server_pinned=False) == VALID
