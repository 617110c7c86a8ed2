"""Every endpoint under every prefix on each of the lab's servers: the same status, the
catalogue's field names, and the right view flavour."""
from __future__ import annotations

import pytest

from tests.examples import EXAMPLES, STREAM_PATHS, example_id
from workloads.catalogue import CATALOGUE

PREFIXES = ("api", "sync", "async")
WHOAMI = next(e for e in EXAMPLES if e.path == "whoami")


def test_every_catalogue_endpoint_has_an_example():
    assert {e.path for e in EXAMPLES} | STREAM_PATHS == {ep.path for ep in CATALOGUE}  # streams: test_streams


def expected_view(prefix: str, interface: str) -> str:
    if prefix == "api":
        return "sync" if interface == "wsgi" else "async"
    return prefix


@pytest.mark.parametrize("example", EXAMPLES, ids=example_id)
def test_endpoint_parity_across_servers_and_prefixes(example, servers):
    seen = {}
    for name, running in servers.items():
        for prefix in PREFIXES:
            response = example.send(running.url, prefix)
            assert response.status_code == example.status, (name, prefix, response.text)
            assert response.headers["Content-Type"] == "application/json"
            body = response.json()
            assert set(body) == example.fields, (name, prefix, body)
            assert body["view"] == expected_view(prefix, running.deployment.interface), (name, prefix)
            seen[(name, prefix)] = (response.status_code, frozenset(body))
    assert len(set(seen.values())) == 1, seen


def test_whoami_reports_the_interface(servers):
    for name, running in servers.items():
        for prefix in PREFIXES:
            body = WHOAMI.send(running.url, prefix).json()
            assert body["interface"] == running.deployment.interface, (name, prefix)


def test_whoami_names_the_deployment_and_every_asgi_server_runs_uvloop(servers):
    """What the lab compares must be the same thing on every server: each names its own
    deployment, and every ASGI server runs the async views on uvloop in the worker's main thread."""
    for name, running in servers.items():
        body = WHOAMI.send(running.url, "api").json()
        assert body["deployment"] == running.deployment.label, name
        if running.deployment.interface == "asgi":
            assert body["event_loop"]["class"] == "uvloop.Loop" and body["is_main_thread"], (name, body)
        else:
            assert body["event_loop"] is None and not body["is_main_thread"], (name, body)


def test_results_are_the_work_not_a_constant(gunicorn, uvicorn):
    from tests.examples import Example

    for running in (gunicorn, uvicorn):
        for n in (10, 12345):
            body = Example("cpu", query={"n": n}).send(running.url, "api").json()
            assert body["result"] == sum(i * i for i in range(n))
        rows = Example("db/queries", query={"count": 7}).send(running.url, "api").json()["rows"]
        assert len(rows) == 7 and all(1 <= r["id"] <= 10_000 for r in rows)
