"""C3 — a blocking call inside ``async def`` blocks every request on that worker.

``--endpoint`` io/blocking (default) | io/sleep | io/threadpool | io/background, each with
``--ms``; the probe shows what the other requests on the worker suffer.
"""
from _lab import LabUser, ProbeUser, options, task

ENDPOINTS = ("io/blocking", "io/sleep", "io/threadpool", "io/background")


class C3SleepyRequests(LabUser):
    @task
    def sleep(self):
        o = options(self)
        endpoint = o.endpoint or "io/blocking"
        if endpoint not in ENDPOINTS:
            raise ValueError(f"C3 scenario: --endpoint must be one of {ENDPOINTS}")
        self.get(endpoint, ms=o.ms)


class C3Probe(ProbeUser):
    pass
