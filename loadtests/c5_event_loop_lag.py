"""C5 — an event loop is a single-threaded scheduler: one task that does not yield holds
everybody up. Alternates blocking and non-blocking sleeps; the runner records each ASGI
worker's event-loop lag next to the load (``--ms`` sets both lengths)."""
from _lab import LabUser, ProbeUser, options, task


class C5BlockingThenYielding(LabUser):
    @task
    def blocking(self):
        self.get("io/blocking", ms=options(self).ms)

    @task
    def yielding(self):
        self.get("io/sleep", ms=options(self).ms)


class C5Probe(ProbeUser):
    pass
