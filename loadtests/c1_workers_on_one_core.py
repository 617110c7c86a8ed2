"""C1 — is workers > 1 counter-productive on one core?

Saturate one endpoint (``--endpoint`` ping|cpu|mixed|io/sleep|db/read, default ping) with closed-loop
users; the runner repeats this for 1, 2 and 4 workers pinned to one CPU and compares
saturated RPS and p99.
"""
from _lab import LabUser, ProbeUser, chosen_endpoint, options, task

ENDPOINTS = ("ping", "cpu", "mixed", "io/sleep", "db/read")


class C1SaturateOneEndpoint(LabUser):
    @task
    def hit(self):
        o = options(self)
        endpoint = chosen_endpoint(self, ENDPOINTS)
        params = {"cpu": {"n": o.n}, "mixed": {"ms": o.ms, "n": o.n}, "io/sleep": {"ms": o.ms},
                  "db/read": {"driver": o.driver}}.get(endpoint, {})
        self.get(endpoint, **params)


class C1Probe(ProbeUser):
    pass
