"""C8 — threads vs coroutines for many slow concurrent requests: ``--endpoint`` io/sleep
(default) or db/sleep (``--driver`` orm|native), with hundreds of users; also
``db/read`` to compare the sync ORM, Django's async ORM and the native async driver. The
probe shows whether the loop (or the thread pool) stays free for a cheap request."""
from _lab import LabUser, ProbeUser, chosen_endpoint, options, task

ENDPOINTS = ("io/sleep", "db/sleep", "db/read", "db/queries")


class C8ManySlowRequests(LabUser):
    @task
    def slow(self):
        o = options(self)
        endpoint = chosen_endpoint(self, ENDPOINTS)
        params = {"io/sleep": {"ms": o.ms}, "db/sleep": {"ms": o.ms, "driver": o.driver},
                  "db/read": {"driver": o.driver}, "db/queries": {"count": o.count, "driver": o.driver}}
        self.get(endpoint, **params[endpoint])


class C8Probe(ProbeUser):
    pass
