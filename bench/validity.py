"""When a measured step counts: the validity rules every step is held to, in one place.

A step is valid when the thing measured was the limit. It is not when it measured nothing, when
more of its requests failed than an experiment that did not set out to cause failures allows,
when the load generator was the bottleneck (its busiest process near a full core, its cores kept
full by anyone, or an open loop that fell behind its schedule). Pure functions of the recorder's
result document: tested without a database or a server.
"""
from __future__ import annotations

import enum
from typing import NamedTuple

from bench import step_quality
from bench.step_quality import GENERATOR_SATURATED

GENERATOR_CPU_LIMIT = 90.0  # % of one core, busiest Locust process (Locust's own advice)
# Open loop: the generator kept its schedule when 99 % of its requests started at most this late (ms);
# later than that, the corrected latencies measure the generator's delays as much as the server's.
SCHEDULE_LAG_P99_LIMIT_MS = 10.0
FAILURE_LIMIT = 0.01  # a step with more failed requests than this, not caused on purpose, measured a fault


class InvalidKind(enum.StrEnum):
    """Why a step is invalid, as data (``Step.invalid_kind``): pages and planners ask for a kind,
    never match the reason's words."""

    NONE = ""  # valid
    GENERATOR = "generator"  # the load generator was the limit: the server's figure is a lower bound
    FAILURES = "failures"  # more failed requests than the experiment set out to cause
    NOTHING = "nothing"  # no request completed in the window
    SHARED_CORE = "shared-core"  # other processes took part of the server's core (bench.step_quality)
    ERROR = "error"  # the step did not run to its end (the recorder or the runner said why)


class Judgement(NamedTuple):
    valid: bool
    reason: str = ""
    kind: InvalidKind = InvalidKind.NONE


VALID = Judgement(True)


def judge(result: dict, failures_intended: bool = False, server_pinned: bool = True,
          measures_generator: bool = False, server_core_exclusive: bool = False) -> Judgement:
    """A step is invalid when it measured nothing, the load generator was the bottleneck (busy
    CPU, held back waiting for its core, or an open loop that fell behind its schedule), or more
    than 1 % of its requests failed when the experiment did not set out to cause that.

    ``server_pinned``: the server ran on cores of its own, so the step measures performance and a
    generator waiting for its CPU spoils it. An unpinned server (the experiments that only observe
    which processes, threads and loops serve) shares every core with the generator by design:
    the wait is expected there and decides nothing.

    ``measures_generator``: the step measures the load generator's own capacity (its saturation
    is the point), so neither its busy CPU nor its wait for a core invalidates it.

    ``server_core_exclusive``: the step needs the server's core to itself (what it measures is how
    much one core holds); other processes taking a quarter of it invalidate the step."""
    if "error" in result:
        return Judgement(False, result["error"], InvalidKind.ERROR)
    if not any(e["requests"] for e in result["endpoints"]):
        return Judgement(False, "no request completed in the measured window", InvalidKind.NOTHING)
    total = sum(e["requests"] for e in result["endpoints"])
    failed = sum(e["failures"] for e in result["endpoints"])
    if not failures_intended and failed > FAILURE_LIMIT * total:
        kinds = "; ".join(f"{f['count']} x {f['name']}: {f['error'][:80]}" for f in result.get("errors", [])[:3])
        return Judgement(False, f"{failed} of {total} requests failed ({100 * failed / total:.1f} %, limit "
                                f"{100 * FAILURE_LIMIT:.0f} %): {kinds}", InvalidKind.FAILURES)
    busiest = result["generator"]["cpu_percent_max_process"]
    if busiest > GENERATOR_CPU_LIMIT and not measures_generator:
        return Judgement(False, f"{GENERATOR_SATURATED}: its busiest process used {busiest:.0f}% of a core "
                                f"(limit {GENERATOR_CPU_LIMIT:.0f}%); add --locust-workers or a faster machine",
                         InvalidKind.GENERATOR)
    starved = (step_quality.starved_generator(step_quality.assess(result))
               if server_pinned and not measures_generator else "")
    if starved:
        return Judgement(False, starved, InvalidKind.GENERATOR)
    crowded = step_quality.crowded_server(step_quality.assess(result)) if server_core_exclusive else ""
    if crowded:
        return Judgement(False, crowded, InvalidKind.SHARED_CORE)
    valid, reason = judge_schedule(result.get("open_loop"))
    if valid:
        return VALID
    scheduled = (result.get("open_loop") or {}).get("started", 0) + (result.get("open_loop") or {}).get("dropped", 0)
    return Judgement(False, reason, InvalidKind.GENERATOR if scheduled else InvalidKind.NOTHING)


def judge_schedule(open_loop: dict | None) -> tuple[bool, str]:
    """An open-loop step is invalid when its generator did not keep the schedule: it could not start
    a request in time (``dropped_late``), or its requests' start lag p99 passed the limit. Requests
    not sent because the in-flight bound was reached are the server's overload, recorded as
    ``dropped`` beside the step: a finding, and the step stays valid."""
    if not open_loop:
        return True, ""
    if not open_loop["started"] + open_loop["dropped"]:
        return False, "open loop: no request was scheduled (no scenario user ran to generate them)"
    late = open_loop.get("dropped_late", open_loop["dropped"])
    if late:
        scheduled = open_loop["started"] + open_loop["dropped"]
        return False, (f"load generator fell behind: {late} of {scheduled} scheduled requests could not start "
                       f"within {open_loop['max_lag_ms']:g} ms of their time")
    lag = open_loop["lag"]["p99"]
    if lag is not None and lag > SCHEDULE_LAG_P99_LIMIT_MS:
        return False, (f"load generator fell behind: its requests started up to {lag:.1f} ms late (p99; limit "
                       f"{SCHEDULE_LAG_P99_LIMIT_MS:g} ms); lower the rate, add --locust-workers or a faster machine")
    return True, ""
