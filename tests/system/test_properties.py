"""Property-based bad input (Hypothesis) over every endpoint, prefix and interface: whatever
the parameters, method and body, the answer is never a 5xx, and a 4xx is a JSON error.

Generated integers stay where a valid value is cheap (no 10-second sleeps): the bounds
themselves are covered by the bad-input table in test_bad_input.py.
"""
from __future__ import annotations

import json

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.examples import STREAM_PATHS
from workloads.catalogue import CATALOGUE
from workloads.params import IntParam

cheap_ints = st.integers(-5, 40) | st.integers(20_000_001, 10**15) | st.integers(-10**15, -1)
texts = st.text(max_size=12)
values = cheap_ints.map(str) | texts | st.sampled_from(["", "1.5", "0x10", "orm", "native", "stream", "orjson", "١"])


@st.composite
def requests_for(draw):
    endpoint = draw(st.sampled_from(CATALOGUE))
    names = [p.name for p in endpoint.params] + ["x", "ms", "driver"]
    query = draw(st.dictionaries(st.sampled_from(names), values, max_size=4))
    for p in endpoint.params:  # keep valid integers cheap
        if isinstance(p, IntParam) and p.name in query and query[p.name].lstrip("-").isdigit():
            if p.name == "n" and 0 <= int(query[p.name]) <= 20_000_000:
                query[p.name] = str(min(int(query[p.name]), 3 if endpoint.path in STREAM_PATHS else 5000))
            if p.name == "every_ms" and 0 <= int(query[p.name]):
                query[p.name] = str(min(int(query[p.name]), 30))
    if endpoint.path in STREAM_PATHS:  # one event at once unless drawn otherwise (see cheap_stream_query)
        query = {"n": "1", "every_ms": "0", **query}
    method = draw(st.sampled_from(["GET", "POST", "PUT", "DELETE", endpoint.method, endpoint.method]))
    body = draw(st.none() | st.binary(max_size=200) | st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=10),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
        max_leaves=10).map(lambda v: json.dumps(v).encode()))
    content_type = draw(st.sampled_from([None, "application/json", "text/plain", "application/octet-stream"]))
    prefix = draw(st.sampled_from(["api", "sync", "async"]))
    return endpoint.path, prefix, method, query, body, content_type


@pytest.mark.parametrize("server_name", ["gunicorn", "uvicorn"])
@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(request_parts=requests_for())
def test_never_a_5xx_and_4xx_is_json(servers, server_name, request_parts):
    path, prefix, method, query, body, content_type = request_parts
    headers = {"Content-Type": content_type} if content_type else {}
    r = requests.request(method, f"{servers[server_name].url}/{prefix}/{path}", params=query, data=body,
                         headers=headers, timeout=30)
    assert r.status_code < 500, (r.status_code, r.text)
    if 400 <= r.status_code < 500:
        assert r.headers["Content-Type"] == "application/json"
        assert r.json()["error"]
