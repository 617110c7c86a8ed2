"""An open loop's schedule (``_open_loop.py``): when each request is meant to start, and how a
total rate is shared among the generators. Plain Python, no Locust or gevent: testable alone."""
from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class Share:
    """One user's part of the total rate: its own rate and the offset of its first start."""

    rate: float
    phase_s: float


def share(total_rate: float, users: int, index: int) -> Share:
    """User ``index`` of ``users`` sends total/users per second, first at index/total: the users'
    constant schedules then interleave into one schedule at the total rate."""
    if total_rate <= 0 or users < 1 or not 0 <= index < users:
        raise ValueError(f"no share for user {index} of {users} at {total_rate}/s")
    return Share(total_rate / users, index / total_rate)


def global_index(worker_index: int, workers: int, local_index: int) -> int:
    """The j-th user of worker w is user w + j*W: Locust deals users to its workers in turn."""
    return worker_index + local_index * workers


@dataclass(frozen=True)
class RateChange:
    """From ``at_s`` after the schedule's origin on, the rate is multiplied by ``factor`` (an overload
    followed by a calmer phase, to see whether and when a server recovers)."""

    at_s: float
    factor: float

    @classmethod
    def parse(cls, text: str) -> "RateChange":
        """``"31:0.25"`` -> at 31 s, a quarter of the rate."""
        try:
            at, factor = (float(x) for x in text.split(":"))
        except ValueError:
            raise ValueError(f"expected AT_SECONDS:FACTOR, e.g. 31:0.25, got {text!r}") from None
        if at < 0 or factor <= 0:
            raise ValueError(f"AT_SECONDS must be >= 0 and FACTOR > 0, got {text!r}")
        return cls(at, factor)


def starts(part: Share, arrivals: str, rng: random.Random, change: RateChange | None = None) -> Iterator[float]:
    """Intended start times (s after the schedule's origin), forever."""
    t = part.phase_s
    while True:
        yield t
        rate = part.rate * change.factor if change and t >= change.at_s else part.rate
        t += rng.expovariate(rate) if arrivals == "poisson" else 1.0 / rate
