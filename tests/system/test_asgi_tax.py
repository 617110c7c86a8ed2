"""The ASGI-cost instruments on real servers: the per-request hop counts (LAB_COUNT_HOPS=1) and the
ASGI tweaks (LAB_ASGI_TWEAK). Counts are exact, so they are asserted exactly; times only for sign."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from config.asgi_tweaks import selected
from tests.conftest import launch

HOPS = {"LAB_COUNT_HOPS": "1"}


@pytest.fixture(scope="module")
def counted_uvicorn(database):
    with launch("uvicorn", workers=1, extra_env=HOPS) as running:
        yield running


@pytest.fixture(scope="module")
def counted_gunicorn(database):
    with launch("gunicorn", workers=1, threads=4, extra_env=HOPS) as running:
        yield running


@pytest.fixture(scope="module")
def tweaked_uvicorn(database):
    env = {**HOPS, "LAB_ASGI_TWEAK": "reuse-thread,no-start-receivers", "LAB_DB_POOL_SIZE": "3",
           "LAB_DB_POOL_TIMEOUT_S": "2"}
    with launch("uvicorn", workers=1, pool_size=3, extra_env=env) as running:
        yield running


def timings(url: str) -> dict[str, float]:
    response = requests.get(url, timeout=30)
    assert response.status_code == 200, response.text
    # name -> dur; the recorder's parser lives with Locust (gevent), which must not load here
    metrics = (m.split(";") for m in response.headers["Server-Timing"].split(","))
    return {parts[0].strip(): float(parts[-1].split("=")[1]) for parts in metrics}


# (path, sync->async hops, async->sync hops) per request
ASGI_HOPS = [("/async/ping", 2, 0), ("/sync/ping", 3, 0), ("/api/db/read?driver=orm", 3, 0),
             ("/api/db/read?driver=native", 2, 0), ("/api/db/queries?count=10&driver=orm", 12, 0)]
WSGI_HOPS = [("/sync/ping", 0, 0), ("/async/ping", 0, 1), ("/api/db/queries?count=10&driver=orm", 0, 0)]


@pytest.mark.parametrize("path,s2a,a2s", ASGI_HOPS)
def test_asgi_hops_per_request(counted_uvicorn, path, s2a, a2s):
    t = timings(counted_uvicorn.url + path)
    assert (t["s2a_n"], t["a2s_n"]) == (s2a, a2s)
    assert 0 < t["s2a_dispatch"] + t["s2a_return"] <= t["s2a"] <= t["app"]
    assert 0 < t["signals"] <= t["app"]


@pytest.mark.parametrize("path,s2a,a2s", WSGI_HOPS)
def test_wsgi_hops_per_request(counted_gunicorn, path, s2a, a2s):
    t = timings(counted_gunicorn.url + path)
    assert (t["s2a_n"], t["a2s_n"]) == (s2a, a2s)
    assert t["a2s_dispatch"] <= t["a2s"] <= t["app"]
    assert (t["a2s"] > 0) == (a2s > 0)


def test_concurrent_requests_are_counted_apart(counted_uvicorn):
    """16 requests in flight at once on one loop: a tally shared between them would show more."""
    url = f"{counted_uvicorn.url}/api/db/queries?count=5&driver=orm"
    with ThreadPoolExecutor(16) as pool:
        counts = list(pool.map(lambda _: timings(url)["s2a_n"], range(48)))
    assert counts == [7] * 48


def test_the_views_own_server_timing_is_kept(counted_uvicorn):
    t = timings(f"{counted_uvicorn.url}/api/cpu?n=1000")
    assert "work" in t and "s2a_n" in t


def test_a_normal_server_carries_no_instrument(uvicorn):
    response = requests.get(f"{uvicorn.url}/async/ping", timeout=10)
    assert "s2a_n" not in response.headers.get("Server-Timing", "")


def test_tweaks_take_hops_away_and_keep_the_pool_whole(tweaked_uvicorn):
    assert timings(f"{tweaked_uvicorn.url}/async/ping")["s2a_n"] == 1  # no request_started hop
    assert timings(f"{tweaked_uvicorn.url}/api/db/read?driver=orm")["s2a_n"] == 2
    # A pool of 3 and a 2 s timeout: a connection not given back would fail requests with 503.
    url = f"{tweaked_uvicorn.url}/api/db/read?driver=orm"
    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(lambda _: requests.get(url, timeout=30).status_code, range(64)))
    assert statuses == [200] * 64


def test_reuse_thread_serves_sequential_requests_on_one_thread(tweaked_uvicorn, uvicorn):
    def names(server):
        return {requests.get(f"{server.url}/sync/whoami", timeout=10).json()["thread_name"] for _ in range(5)}

    assert len(names(tweaked_uvicorn)) == 1
    assert len(names(uvicorn)) == 5  # Django as shipped: a new thread per request


def test_an_unknown_tweak_is_refused():
    assert selected("reuse-thread, no-start-receivers") == {"reuse-thread", "no-start-receivers"}
    assert selected("") == frozenset()
    with pytest.raises(ValueError, match="unknown tweak"):
        selected("reuse-thread,fast")


def test_uvicorn_can_run_the_asyncio_loop(database):
    from deploy.deployments import Deployment, DeploymentError

    assert "--loop asyncio" in Deployment("uvicorn", loop="asyncio").command_line()
    assert "-asyncio-" in Deployment("uvicorn", loop="asyncio").label
    with pytest.raises(DeploymentError, match="loop"):
        Deployment("gunicorn-uvicorn", loop="asyncio").validate()
    with launch("uvicorn", workers=1, loop="asyncio") as running:
        loop = requests.get(f"{running.url}/async/whoami", timeout=10).json()["event_loop"]["class"]
    assert loop.startswith("asyncio.") and "uvloop" not in loop
