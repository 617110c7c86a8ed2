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
