"""Curves — latency against throughput on one workload (``--endpoint``, default ping).

Closed loop (``-u N``) saturates the server: the bench's sweep uses that to find each stack's
best configuration and what it can serve. Open loop (``--lab-rate R``) offers R requests/s
whatever the server does, latency counted from each request's intended start: the bench steps R
from well below to past saturation. No probe: every request here is the measured workload.
"""
from _lab import LabUser, chosen_endpoint, json_body, options, task

ENDPOINTS = ("ping", "cpu", "io/sleep", "db/read", "db/queries", "mixed", "json")


class CurveWorkload(LabUser):
    @task
    def hit(self):
        o = options(self)
        endpoint = chosen_endpoint(self, ENDPOINTS)
        if endpoint == "json":
            self.client.post(self.url("json", parser=o.parser, offload=o.offload), data=json_body(o.body_kb),
                             headers={"Content-Type": "application/json"}, name="json")
            return
        params = {"cpu": {"n": o.n}, "mixed": {"ms": o.ms, "n": o.n}, "io/sleep": {"ms": o.ms},
                  "db/read": {"driver": o.driver}, "db/queries": {"count": o.count, "driver": o.driver}}
        self.get(endpoint, **params.get(endpoint, {}))
