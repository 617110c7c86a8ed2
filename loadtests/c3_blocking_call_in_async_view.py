"""C3 — a blocking call inside ``async def`` blocks every request on that worker.

``--endpoint`` io/blocking (default) | io/sleep | io/threadpool | io/background, each with
``--ms``; the probe shows what the other requests on the worker suffer.
"""
from _lab import LabUser, ProbeUser, chosen_endpoint, options, task

ENDPOINTS = ("io/blocking", "io/sleep", "io/threadpool", "io/background")


class C3SleepyRequests(LabUser):
    @task
    def sleep(self):
        self.get(chosen_endpoint(self, ENDPOINTS), ms=options(self).ms)


class C3Probe(ProbeUser):
    pass
