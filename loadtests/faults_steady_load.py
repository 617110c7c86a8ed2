"""Faults — a steady load (``--endpoint`` db/read by default, paced with ``--arrival-rate``)
kept up while the bench runner breaks something: a worker killed, PostgreSQL restarted,
clients hanging up, slow clients, a pool too small, the upstream service gone, subscribers leaving. Failures per second show the burst."""
from _lab import LabUser, options, task


class SteadyLoad(LabUser):
    @task
    def steady(self):
        o = options(self)
        endpoint = o.endpoint or "db/read"
        params = {"db/read": {"driver": o.driver}, "db/sleep": {"ms": o.ms, "driver": o.driver},
                  "io/sleep": {"ms": o.ms}, "io/upstream": {"ms": o.ms, "client": o.client}}.get(endpoint, {})
        self.get(endpoint, **params)
