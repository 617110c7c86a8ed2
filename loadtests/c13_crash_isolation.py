"""C13's isolation half — does a crash stay inside its process?

Each user holds a request thread (``io/blocking``, ``--ms``) back to back, through a client that
never retries: python-requests, as Locust's ``HttpUser`` drives it, with urllib3's retries off.
Locust's ``FastHttpUser`` (geventhttpclient) resends an idempotent GET whose connection died
(RFC 9110 allows it), so a request lost with a killed worker would reach another worker and look
served; here it counts as failed, which is what the crash cost. Kill a worker (or crash a thread)
while it runs and count the failures.
"""
from locust import HttpUser, task

from _lab import options


class C13HoldAThread(HttpUser):
    def wait_time(self):
        return 0

    @task
    def hold(self):
        o = options(self)
        endpoint = o.endpoint or "io/blocking"
        self.client.get(f"{o.prefix}/{endpoint}?ms={o.ms}", name=endpoint)
