"""Server push (C14): N subscribers to a server-sent-events stream on one server core.

Each subscriber holds one ``stream/events`` stream that sends an event every second, for longer
than the step lasts, and reports each event's delivery lag (``loadtests/c14_server_push.py``).
A grid like the thousands-in-flight one (``bench.in_flight``), read and judged by the same
machinery: the row's period is the time between two events, so the ideal rate is N events per
second, and a stack *holds* N when it delivers about that many, on time (``judging.server_push``).

Stacks, each at its strongest with no cap of the lab's: gthread with a thread per subscriber
(the sync view's generator sleeps in its thread between events), stock Django ASGI on Uvicorn
(the async view's generator awaits on the loop), the same with the per-request thread reused
(explains), FastAPI (the reference). Subscribers start spread evenly over the second, so the
server's sends are spread too (``staggered``); the burst row, every stream on one beat, is shown
beside at one N and never decides.
"""
from __future__ import annotations

import functools

from bench.experiments import Variant
from bench.in_flight import CALIBRATION, MEASURED_S, Grid, InFlightExperiment, cell_label, stack_named, warmup_s
from groundwork.names import EVENT_DELIVERY

PUSH_N = (100, 1_000, 4_000)
EVERY_S = 1
BURST_N = 1_000
# Longer than any step's warm-up and window (a subscriber that reaches its last event subscribes
# again, which the measured window should not see).
EVENTS_PER_STREAM = 120
SCENARIO = "c14_server_push.py"
STACKS = tuple(stack_named(name) for name in (
    "gthread 1w x N threads", "django uvicorn 1w", "django uvicorn 1w reuse-thread", "fastapi uvicorn 1w"))


@functools.cache
def cell(stack_name: str, n: int, schedule: str = "staggered") -> Variant:
    stack = next(s for s in STACKS if s.name == stack_name)
    knobs = {"events": EVENTS_PER_STREAM, "every_ms": EVERY_S * 1000, "schedule": schedule}
    return Variant(cell_label(stack, n, note="" if schedule == "staggered" else schedule), stack.make(n), knobs,
                   env=stack.env, users=(n,), fresh_server=True, stack=stack.name)


def row(schedule: str, sizes: tuple[int, ...], suffix: str = "") -> InFlightExperiment:
    return InFlightExperiment(
        f"c14-push-{schedule}{suffix}", "C14", f"N subscribers, an event a second ({schedule}): who delivers them on time?",
        SCENARIO, tuple(cell(s.name, n, schedule) for n in sizes for s in STACKS), users=sizes, step_s=MEASURED_S,
        warmup_s=warmup_s(sizes[0], EVERY_S), key_endpoint=EVENT_DELIVERY, probe=False, wait_s=EVERY_S,
        calibration=CALIBRATION, server_core_exclusive=True)


STAGGERED = row("staggered", PUSH_N)
BURST = row("burst", (BURST_N,))
# The quick suite's provisional slice: the two smaller N, the same cells (its card says what is missing).
STAGGERED_QUICK = row("staggered", PUSH_N[:2], "-quick")
PUSH = Grid("server push", (STAGGERED, STAGGERED_QUICK), STACKS, PUSH_N, EVENT_DELIVERY)
PUSH_BURST = Grid("server push, one beat", (BURST,), STACKS, (BURST_N,), EVENT_DELIVERY)
PUSH_ROWS = (STAGGERED, BURST)
PUSH_SUITE = (CALIBRATION, *PUSH_ROWS)
