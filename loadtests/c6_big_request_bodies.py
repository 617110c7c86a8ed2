"""C6 — what a 5 MB body does: ``--endpoint upload`` (``--mode`` buffer|stream) or
``json`` (``--parser`` json|orjson, ``--offload`` 0|1), ``--body-kb`` 5120 by default."""
from _lab import LabUser, ProbeUser, json_body, options, raw_body, task


class C6BigBodies(LabUser):
    @task
    def post(self):
        o = options(self)
        if (o.endpoint or "upload") == "upload":
            self.client.post(self.url("upload", mode=o.mode), data=raw_body(o.body_kb), name="upload")
        else:
            self.client.post(self.url("json", parser=o.parser, offload=o.offload), data=json_body(o.body_kb),
                             headers={"Content-Type": "application/json"}, name="json")


class C6Probe(ProbeUser):
    pass
