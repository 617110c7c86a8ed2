"""C3 — a blocking call inside ``async def`` blocks every request on that worker.

``--endpoint`` io/blocking (default) | io/sleep | io/threadpool | io/background, each with
``--ms`` (and ``--call sleep|blocking`` for io/background: the document's pattern hands the
blocking call itself to background work); the probe shows what the other requests on the
worker suffer. Run with one user only (``-u 1``) for the probe's unloaded baseline.
"""
from _lab import LabUser, ProbeUser, chosen_endpoint, options, task

ENDPOINTS = ("io/blocking", "io/sleep", "io/threadpool", "io/background")


class C3SleepyRequests(LabUser):
    @task
    def sleep(self):
        endpoint = chosen_endpoint(self, ENDPOINTS)
        extra = {"call": options(self).call} if endpoint == "io/background" else {}
        self.get(endpoint, ms=options(self).ms, **extra)


class C3Probe(ProbeUser):
    pass
