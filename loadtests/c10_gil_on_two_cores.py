"""C10 — threads run Python one at a time: do CPU-bound threads use one core or several?

Each user asks, back to back, for one CPU task of about 50 ms in one of two forms: pure Python
that holds the GIL (``cpu``, or ``cpu/offload`` for async views, which hand it to the thread
pool) or C work that releases it (``cpu/hash``: SHA-256 over ``--mib`` MiB; ``cpu/cython``: a
Cython ``nogil`` loop of ``--n`` steps). Run it against a threaded deployment and a multi-process
one on the same two cores and compare the server's CPU (sum over its processes) and throughput.
Every request opens a fresh connection (``Connection: close``), so that the kernel hands each to
any worker: kept-alive connections can all land on one worker and hide the second process.
"""
from _lab import LabUser, options, task

# endpoint -> the knob that sizes its task
SIZED_BY = {"cpu": "n", "cpu/offload": "n", "cpu/cython": "n", "cpu/hash": "mib"}


class C10CpuTask(LabUser):
    @task
    def compute(self):
        o = options(self)
        endpoint = o.endpoint or "cpu"
        knob = SIZED_BY.get(endpoint, "n")
        self.client.get(self.url(endpoint, **{knob: getattr(o, knob)}), name=endpoint,
                        headers={"Connection": "close"})
