"""C8 at scale — thousands of requests in flight: every user holds one ``io/sleep`` request of
``--ms`` at a time, so ``-u N`` users hold N requests. Each user starts at its own phase of one
wait: the process's users are spaced evenly over the wait (from one random offset per process),
so requests start and end evenly, and once every user has sent its first request (the warm-up:
the spawn plus one wait) N are in flight throughout. A stack that holds them serves N / wait
requests per second, each taking about the wait; one that cannot queues them.

Even spacing, not a random pause per user: with a window shorter than the wait (10 s of a 30 s
wait) random phases would make the count of completions in the window binomial (about ±4.5 %
at 1,000 users), as wide as the 95 % line the held rule draws; evenly spaced phases make it exact
to one request.

The timeouts are generous (the longest wait times four, at least a minute): a request the server
is slow to take is measured as slow, not cut off as a failure.
"""
import itertools
import random

import gevent

from _lab import LabUser, options, task

_OFFSET = random.random()  # one per Locust process: several processes do not start in step
_COUNTER = itertools.count()


def phase(index: int, users: int, offset: float) -> float:
    """Where in one wait (0 to 1) user ``index`` of ``users`` starts."""
    return ((index + offset) / max(1, users)) % 1.0


class C8InFlight(LabUser):
    connection_timeout = 60.0
    network_timeout = 240.0

    def on_start(self):
        runner = self.environment.runner
        users = getattr(runner, "target_user_count", None) or 1
        gevent.sleep(phase(next(_COUNTER), users, _OFFSET) * options(self).ms / 1000)

    @task
    def hold(self):
        self.get("io/sleep", ms=options(self).ms)
