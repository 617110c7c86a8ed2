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
from _lab import options, task
from _stagger import OneWaitInFlight


class C8InFlight(OneWaitInFlight):
    @task
    def hold(self):
        self.get("io/sleep", ms=options(self).ms)
