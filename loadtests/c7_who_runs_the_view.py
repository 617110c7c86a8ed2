"""C7 — under Uvicorn an async view runs on the worker's main thread, in its loop; a sync
view under ASGI runs in a worker thread with no loop. Hits ``whoami`` on both flavours."""
from _lab import LabUser, task


class C7WhoRunsTheView(LabUser):
    @task
    def async_view(self):
        self.client.get("/async/whoami", name="async whoami")

    @task
    def sync_view(self):
        self.client.get("/sync/whoami", name="sync whoami")
