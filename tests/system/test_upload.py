"""A 5 MiB body is accepted and read exactly, buffered or streamed, on every server."""
from __future__ import annotations

import hashlib
import os

import pytest
import requests


@pytest.mark.parametrize("mode", ["buffer", "stream"])
def test_five_mib_upload_round_trips(server, mode):
    body = os.urandom(5 * 1024 * 1024)
    for prefix in ("api", "sync", "async"):
        r = requests.post(f"{server.url}/{prefix}/upload?mode={mode}", data=body, timeout=60)
        assert r.status_code == 200, r.text
        assert r.json()["bytes"] == len(body)
        assert r.json()["sha256"] == hashlib.sha256(body).hexdigest()


def test_five_mib_json_parses_with_both_parsers(server):
    body = ("[" + ",".join(['{"k": "%s"}' % ("v" * 40)] * 100_000) + "]").encode()
    assert len(body) > 5_000_000
    for parser in ("json", "orjson"):
        for offload in (0, 1):
            r = requests.post(f"{server.url}/api/json?parser={parser}&offload={offload}", data=body,
                              headers={"Content-Type": "application/json"}, timeout=60)
            assert r.status_code == 200, r.text
            assert r.json()["items"] == 100_000
