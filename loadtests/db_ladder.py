"""The async database ladder — one database endpoint through one path, beside a probe.

``--endpoint`` db/read (default), db/queries (``--count``) or db/write (a POST), each through
``--driver`` orm | native | asyncbackend under the deployment's own view flavour: gthread's sync
views, Uvicorn's async views. The probe pings beside the load, so whether the path keeps the
event loop (or the threads) free for a cheap request is always visible.
"""
from _lab import LabUser, ProbeUser, chosen_endpoint, options, task

ENDPOINTS = ("db/read", "db/queries", "db/write")


class DatabaseLadder(LabUser):
    @task
    def query(self):
        o = options(self)
        endpoint = chosen_endpoint(self, ENDPOINTS)
        if endpoint == "db/write":
            self.client.post(self.url(endpoint, driver=o.driver), name=endpoint)
        elif endpoint == "db/queries":
            self.get(endpoint, count=o.count, driver=o.driver)
        else:
            self.get(endpoint, driver=o.driver)


class DatabaseLadderProbe(ProbeUser):
    pass
