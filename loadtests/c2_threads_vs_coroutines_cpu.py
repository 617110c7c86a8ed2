"""C2 — threads are preempted, coroutines are not: does a cheap request starve behind CPU work?

CPU-heavy users hit ``cpu`` (or ``--endpoint mixed`` / ``cpu/offload``) while the probe
pings. Run it against sync views on gthread (``--prefix /api`` on :8001), async views
computing inline (:8002), and async views offloading (``--endpoint cpu/offload``).
"""
from _lab import LabUser, ProbeUser, options, task


class C2CpuHeavy(LabUser):
    @task
    def compute(self):
        o = options(self)
        endpoint = o.endpoint or "cpu"
        params = {"ms": o.ms, "n": o.n} if endpoint == "mixed" else {"n": o.n}
        self.get(endpoint, **params)


class C2Probe(ProbeUser):
    pass
