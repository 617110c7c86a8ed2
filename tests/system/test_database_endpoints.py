"""db/write durability and the database endpoints on the real PostgreSQL."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from workloads.models import World, WriteLog


@pytest.mark.parametrize("prefix", ["api", "sync", "async"])
@pytest.mark.parametrize("driver", ["orm", "native"])
def test_every_acknowledged_write_exists(server, prefix, driver):
    url = f"{server.url}/{prefix}/db/write?driver={driver}"
    with ThreadPoolExecutor(8) as pool:
        responses = list(pool.map(lambda _: requests.post(url, timeout=30), range(24)))
    acknowledged = [r.json() for r in responses if 200 <= r.status_code < 300]
    assert len(acknowledged) == 24, [r.text for r in responses if r.status_code >= 300]
    ids = [a["write_id"] for a in acknowledged]
    assert len(set(ids)) == len(ids)
    stored = {w.id: w for w in WriteLog.objects.filter(id__in=ids)}
    assert set(stored) == set(ids)
    for a in acknowledged:
        row = stored[a["write_id"]]
        assert (row.world_id, row.randomnumber) == (a["id"], a["randomnumber"])


def test_db_read_returns_a_real_row(server):
    for driver in ("orm", "native"):
        for prefix in ("sync", "async"):
            body = requests.get(f"{server.url}/{prefix}/db/read?driver={driver}", timeout=10).json()
            world = World.objects.get(id=body["id"])
            # a concurrent db/write test may change the number; the row must exist
            assert 1 <= world.randomnumber <= 10_000


def test_db_sleep_really_sleeps_in_postgres(uvicorn):
    """pg_sleep holds a connection: 4 concurrent db/sleep on the async pool overlap."""
    import time

    start = time.perf_counter()
    with ThreadPoolExecutor(4) as pool:
        rs = list(pool.map(lambda _: requests.get(f"{uvicorn.url}/api/db/sleep?ms=300&driver=native",
                                                  timeout=10), range(4)))
    elapsed = time.perf_counter() - start
    assert all(r.status_code == 200 for r in rs)
    assert 0.3 <= elapsed < 4 * 0.3 * 0.9, elapsed


ASGI_PREFIXES = ["api", "async"]


@pytest.fixture(params=["uvicorn", "gunicorn-uvicorn"])
def asgi_server(request, servers):
    return servers[request.param]


def test_asyncbackend_reads_real_rows_from_async_views_under_asgi(asgi_server):
    for prefix in ASGI_PREFIXES:
        body = requests.get(f"{asgi_server.url}/{prefix}/db/read?driver=asyncbackend", timeout=10).json()
        assert body["driver"] == "asyncbackend" and body["view"] == "async"
        assert World.objects.filter(id=body["id"]).exists()
        rows = requests.get(f"{asgi_server.url}/{prefix}/db/queries?count=7&driver=asyncbackend",
                            timeout=10).json()["rows"]
        assert len(rows) == 7 and World.objects.filter(id__in=[r["id"] for r in rows]).exists()


def test_asyncbackend_writes_are_durable(asgi_server):
    url = f"{asgi_server.url}/api/db/write?driver=asyncbackend"
    with ThreadPoolExecutor(8) as pool:
        responses = list(pool.map(lambda _: requests.post(url, timeout=30), range(24)))
    assert [r.status_code for r in responses] == [200] * 24, responses[0].text
    acknowledged = [r.json() for r in responses]
    stored = {w.id: w for w in WriteLog.objects.filter(id__in=[a["write_id"] for a in acknowledged])}
    assert len(stored) == 24
    for a in acknowledged:
        assert (stored[a["write_id"]].world_id, stored[a["write_id"]].randomnumber) == (a["id"], a["randomnumber"])


def test_asyncbackend_gives_connections_back(database):
    """More requests than a 2-connection pool holds, with a 2 s pool timeout: a connection a
    request kept would make later ones wait and fail (503)."""
    from tests.conftest import launch

    env = {"LAB_DB_POOL_SIZE": "2", "LAB_DB_POOL_TIMEOUT_S": "2"}
    with launch("uvicorn", workers=1, pool_size=2, extra_env=env) as running:
        url = f"{running.url}/api/db/sleep?ms=20&driver=asyncbackend"
        with ThreadPoolExecutor(6) as pool:
            statuses = list(pool.map(lambda _: requests.get(url, timeout=30).status_code, range(30)))
    assert statuses == [200] * 30


@pytest.mark.parametrize("path", ["sync/db/read", "api/db/queries", "async/db/sleep"])
def test_asyncbackend_is_refused_where_it_cannot_run(gunicorn, uvicorn, path):
    """Sync views anywhere, and async views under WSGI (a loop per request): 400, not a fallback."""
    from workloads.db import ASYNC_ONLY

    for server in (gunicorn, uvicorn):
        if server is uvicorn and not path.startswith("sync/"):
            continue
        response = requests.get(f"{server.url}/{path}?driver=asyncbackend", timeout=10)
        assert response.status_code == 400 and response.json()["error"] == ASYNC_ONLY
    response = requests.post(f"{gunicorn.url}/async/db/write?driver=asyncbackend", timeout=10)
    assert response.status_code == 400
