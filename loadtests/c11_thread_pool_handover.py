"""C11 — work handed to a thread from the view: every user sends ``handover`` requests back to back.

``--how`` per-request (a ``ThreadPoolExecutor()`` opened in the view for each request, as the
claim's source does) | shared (the process's pool, ``LAB_OFFLOAD_THREADS``) | to-thread
(``asyncio.to_thread``) | sync-to-async (asgiref's); ``--work`` blocking (a ``time.sleep`` of
``--ms``) | cpu (pure-Python work of size ``--n``). Use ``/api`` on an ASGI deployment: a sync
view refuses to-thread and sync-to-async. Watch the throughput, the p99 and, on the dashboard,
the event-loop lag and the threads the server starts.
"""
from _lab import LabUser, options, task


class C11Handover(LabUser):
    @task
    def handover(self):
        o = options(self)
        self.get("handover", how=o.how, work=o.work, ms=o.ms, n=o.n)
