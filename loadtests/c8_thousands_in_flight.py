"""C8 at scale — thousands of requests in flight: every user holds one ``io/sleep`` request of
``--ms`` at a time, so ``-u N`` users hold N requests. Each user starts after a random pause of
up to one wait, so requests start and end evenly over time instead of in one wave, and once
every user has sent its first request (the warm-up: the spawn plus one wait) N are in flight
throughout. A stack that holds them serves N / wait requests per second, each taking about
the wait; one that cannot queues them, and they take longer.

The timeouts are generous (the longest wait times four, at least a minute): a request the server
is slow to take is measured as slow, not cut off as a failure.
"""
import random

import gevent

from _lab import LabUser, options, task


class C8InFlight(LabUser):
    connection_timeout = 60.0
    network_timeout = 240.0

    def on_start(self):
        gevent.sleep(random.uniform(0, options(self).ms / 1000))

    @task
    def hold(self):
        self.get("io/sleep", ms=options(self).ms)
