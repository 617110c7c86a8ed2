"""C4 (and C9) — N workers are N processes, each with exactly one event loop.

Every request opens a fresh connection (``Connection: close``) so the kernel may hand it to
any worker; the runner samples ``whoami`` the same way and counts (pid, loop id) pairs.
"""
from _lab import LabUser, task


class C4WhoamiFreshConnections(LabUser):
    @task
    def whoami(self):
        self.client.get(self.url("whoami"), name="whoami", headers={"Connection": "close"})
