"""Users that start spread evenly over one period instead of all at once (not a locustfile).

Long-lived scenarios (thousands of requests each waiting seconds, subscribers to a stream that
sends every second) want their users' requests to start and end evenly, so that any window sees
the same number in flight. A random pause per user would make the count in a window shorter than
the period binomial (about ±4.5 % at 1,000 users over a third of the period); even spacing from
one random offset per Locust process makes it exact to one user, and keeps several processes
from starting in step.
"""
from __future__ import annotations

import itertools
import random

import gevent

from _lab import LabUser, options

_OFFSET = random.random()
_COUNTER = itertools.count()


def phase(index: int, users: int, offset: float) -> float:
    """Where in one period (0 to 1) user ``index`` of ``users`` starts."""
    return ((index + offset) / max(1, users)) % 1.0


def wait_for_my_phase(user, period_s: float) -> None:
    """Sleep this user to its even share of ``period_s`` (call it from ``on_start``)."""
    runner = user.environment.runner
    users = getattr(runner, "target_user_count", None) or 1
    gevent.sleep(phase(next(_COUNTER), users, _OFFSET) * period_s)


class OneWaitInFlight(LabUser):
    """A user that holds one request of ``--ms`` at a time, starting at its even phase of one wait.
    The timeouts are generous (a minute to connect, four to answer): a request the server is slow
    to take is measured as slow, not cut off as a failure."""

    abstract = True
    connection_timeout = 60.0
    network_timeout = 240.0

    def on_start(self):
        wait_for_my_phase(self, options(self).ms / 1000)
