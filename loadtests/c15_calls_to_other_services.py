"""C15 — calls to another service: every user holds one ``io/upstream`` request at a time (the
server calls the upstream stub, which answers after ``--ms``), made with ``--client``; or, with
``--endpoint io/sleep``, the same wait without a call (the baseline the call's cost is measured
against). ``-u N`` users hold N calls in flight, started spread evenly over one wait (``_stagger``).

The upstream stub must be running and the server pointed at it (``LAB_UPSTREAM_URL``); the bench
runner does both. Without it every call answers 502, which the stats show as failures.
"""
from _lab import chosen_endpoint, options, task
from _stagger import OneWaitInFlight

ENDPOINTS = ("io/upstream", "io/sleep")


class C15CallsUpstream(OneWaitInFlight):
    @task
    def call(self):
        o = options(self)
        endpoint = chosen_endpoint(self, ENDPOINTS)
        if endpoint == "io/upstream":
            self.get(endpoint, ms=o.ms, client=o.client)
        else:
            self.get(endpoint, ms=o.ms)
