"""C13 — each worker process loads the application again: what does a process cost, and what
does it buy?

Users hit ``--endpoint`` back to back (``db/read`` for the memory steps, ``io/blocking`` with
``--ms`` for the crash steps, which keep every request thread busy), a probe pings beside them.
Compare a deployment's total PSS (``/dashboard`` run pages) across worker counts, with and
without ``--preload``; kill a worker, or crash one request thread, and count what failed.
"""
from _lab import LabUser, ProbeUser, options, task


class C13SteadyLoad(LabUser):
    @task
    def request(self):
        o = options(self)
        endpoint = o.endpoint or "db/read"
        params = {"driver": o.driver} if endpoint.startswith("db/") else {"ms": o.ms} if endpoint.startswith("io/") else {}
        self.get(endpoint, **params)


class C13Probe(ProbeUser):
    pass
