"""Faults against real deployments, each small and bounded: a killed worker, a PostgreSQL
restart, clients hanging up, an exhausted pool, slow clients, writes during a kill, and
bad input over raw sockets. The bench's ``faults`` suite measures the same under load."""
from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from bench import faults, store
from bench.bad_input import send_all
from bench.pg_activity import PG_SLEEP, connections_after_stop, count_connections
from tests.conftest import launch

pytestmark = pytest.mark.slow  # Locust, whole bench runs, faults or a browser: left out by make test-fast

# Two-worker deployments, by the name the tests give them.
TWO_WORKERS = {
    "gunicorn": {"server": "gunicorn", "threads": 4},
    "uvicorn": {"server": "uvicorn"},
    "gunicorn-uvicorn": {"server": "gunicorn-uvicorn"},
    "granian-wsgi": {"server": "granian", "interface": "wsgi", "threads": 4},
    "granian-asgi": {"server": "granian", "interface": "asgi"},
}
SERVERS = ("gunicorn", "uvicorn", "gunicorn-uvicorn")
# A killed worker must be replaced on every server, Granian included (--respawn-failed-workers).
KILL_SERVERS = tuple(TWO_WORKERS)


def two_workers(server: str, **kw):
    return launch(workers=2, **TWO_WORKERS[server], **kw)


def reported(fault: faults.Fault, observed: dict) -> str:
    """The reliability table's sentence for what the injection really returned (plus the load
    generator's figures ``summarise`` adds): a renamed result key fails here, not on the page."""
    steady = {"started_at": observed.get("fault_wall", 0) - 1,
              "endpoints": [{"requests": 100, "failures": 1, "max_ms": 12.0}], "timeseries": []}
    sentence = fault.report(faults.summarise(steady, observed))
    assert sentence and "injection failed" not in sentence
    return sentence


def context(running) -> faults.FaultContext:
    return faults.FaultContext(running, running.url)


@pytest.mark.parametrize("server", KILL_SERVERS)
def test_killed_worker_is_replaced_and_connections_do_not_leak(database, server):
    running = two_workers(server)
    try:
        requests.get(f"{running.url}/api/db/read", timeout=10)
        observed = faults.kill_worker(context(running))
        assert "new worker serving after" in reported(faults.KillWorker(), observed)
        assert observed["replacement_pid"] not in (None, observed["killed_pid"])
        assert observed["replacement_serving_after_s"] is not None
        assert len(running.worker_pids()) == 2
    finally:
        running.stop()
    assert connections_after_stop(running.deployment.application_name) == 0


def test_granian_exits_when_its_replacement_worker_dies_at_once_and_the_report_says_so(database, monkeypatch):
    """Granian's crash-loop guard: a respawned worker that dies within 5.5 s stops the whole
    server (Gunicorn and Uvicorn replace it again). The fault report must say so, not "n/a"."""
    running = two_workers("granian-asgi")
    try:
        first = faults.kill_worker(context(running))
        assert first["replacement_pid"] is not None and first["server_exit_code"] is None
        monkeypatch.setattr(faults.random, "choice", lambda pids: first["replacement_pid"])  # kill the new one
        again = faults.kill_worker(context(running))
    finally:
        running.stop()
    assert again["killed_pid"] == first["replacement_pid"] and again["replacement_pid"] is None
    assert again["server_exit_code"] not in (None, 0), again
    assert "the whole server exited" in reported(faults.KillWorker(), again)


@pytest.mark.parametrize("server", KILL_SERVERS)
def test_acknowledged_writes_survive_a_killed_worker(database, server):
    running = two_workers(server)
    try:
        observed = faults.durable_writes(context(running), writers=4, seconds=3.0)
        assert "missing" in reported(faults.Durability(), observed)
    finally:
        running.stop()
    assert observed["acknowledged"] > 0
    assert observed["missing_acknowledged"] == 0


@pytest.mark.parametrize("server", SERVERS)
def test_bad_input_never_gives_a_5xx(database, server):
    running = two_workers(server)
    try:
        results = {r["case"]: r for r in send_all(running.url)}
        assert requests.get(f"{running.url}/api/ping", timeout=5).status_code == 200
    finally:
        running.stop()
    assert all((r["status"] or 0) < 500 for r in results.values()), results
    for case in ("non-integer parameter", "malformed JSON", "body over the limit, Content-Length",
                 "Host not allowed", "wrong method"):
        assert results[case]["json_error"], results[case]
    # what differs by server, recorded in the reliability table:
    chunked = results["small chunked body"]["status"]
    assert chunked == (411 if server == "gunicorn" else 200)


def test_pool_exhaustion_answers_503_json_within_the_timeout(database, monkeypatch):
    monkeypatch.setenv("LAB_DB_POOL_TIMEOUT_S", "1")
    running = launch("uvicorn", workers=1, pool_size=1)
    try:
        def slow(_):
            start = time.perf_counter()
            r = requests.get(f"{running.url}/api/db/sleep?ms=1500", timeout=30)
            return r.status_code, r.json(), time.perf_counter() - start

        with ThreadPoolExecutor(5) as pool:
            answers = list(pool.map(slow, range(5)))
    finally:
        running.stop()
    statuses = [a[0] for a in answers]
    assert 200 in statuses and 503 in statuses, statuses
    assert all("pool exhausted" in a[1]["error"] for a in answers if a[0] == 503)
    # nobody waits longer than one query plus the pool timeout (plus slack for a loaded machine)
    assert max(a[2] for a in answers) < 1.5 + 1.0 + 3.0


def heal(url: str, healthy_in_a_row: int = 120, prefixes: tuple[str, ...] = ("api", "sync", "async"),
         drivers: tuple[str, ...] = ("orm", "native")) -> int:
    """Use up every pooled connection that died with the restart (each fails once, is
    discarded by its pool, and is replaced): every prefix and driver, over fresh connections
    so that every worker is reached. Returns how many requests failed on the way."""
    failed, in_a_row = 0, 0
    for i in range(1000):
        driver = drivers[i % len(drivers)]
        prefix = prefixes[i % len(prefixes)]
        status = requests.get(f"{url}/{prefix}/db/read?driver={driver}", headers={"Connection": "close"},
                              timeout=15).status_code
        assert status in (200, 503), status
        in_a_row = in_a_row + 1 if status == 200 else 0
        failed += status == 503
        if in_a_row >= healthy_in_a_row:
            return failed
    raise AssertionError(f"{url} did not recover")


def test_postgres_restart_gives_503s_then_recovers(database, servers, dashboard, fastapi):
    for s in servers.values():
        assert heal(s.url) == 0  # every pool warm and healthy before the restart
    assert requests.get(f"{dashboard.url}/dashboard/", timeout=10).status_code == 200
    # the connections the restart will cut: every one the deployment's pools hold now
    pooled = {name: count_connections(s.deployment.application_name) for name, s in servers.items()}
    try:
        observed = faults.restart_postgres(context(servers["uvicorn"]))
        assert "after the restart" in reported(faults.RestartPostgres(), observed)
    finally:
        store.reset_connection()  # this process's own pooled connections died too
    assert observed["db_read_ok_after_s"] is not None and observed["db_read_ok_after_s"] < 15
    # every deployment recovers; its stale pooled connections each cost one 503, never a 500 or a hang:
    # so no more 503s than connections were cut (a pool that kept a dead connection would exceed it)
    failed = {name: heal(s.url) for name, s in servers.items()}
    # django-async-backend's pool (async views under ASGI only) held connections that died too
    for name, s in servers.items():
        if s.deployment.interface == "asgi":
            failed[name] += heal(s.url, prefixes=("api", "async"), drivers=("asyncbackend",))
    assert all(failed[name] <= pooled[name] for name in servers), (failed, pooled)
    # the dashboard's pool checks each connection it hands out: its first page after the restart works
    page = requests.get(f"{dashboard.url}/dashboard/", timeout=10)
    assert page.status_code == 200 and page.headers["X-Frame-Options"] == "DENY"
    # the FastAPI twin shares the session too: leave its pools healthy for whatever test runs next
    # (in random order, the fuzzing of its db/read once met a connection this restart had cut)
    heal(fastapi.url, prefixes=("api", "async"), drivers=("native",))  # FastAPI has no ORM


@pytest.mark.parametrize("server", ["gunicorn", "uvicorn"])
def test_client_disconnect_leaves_no_query_and_no_leak(database, server):
    running = two_workers(server)
    try:
        baseline_idle = count_connections(running.deployment.application_name)
        observed = faults.disconnect_clients(context(running), clients=4, sleep_ms=1500)
        assert "still running 1 s later" in reported(faults.ClientDisconnect(), observed)
        assert observed["server_healthy_after"]
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and count_connections(
                running.deployment.application_name, "active", PG_SLEEP):
            time.sleep(0.2)
        assert count_connections(running.deployment.application_name, "active", PG_SLEEP) == 0
        # the pools keep their connections (no leak: never more than the pools' size)
        assert count_connections(running.deployment.application_name) <= running.deployment.max_db_connections
    finally:
        running.stop()
    assert baseline_idle is not None
    assert connections_after_stop(running.deployment.application_name) == 0


def test_asgi_cancels_an_abandoned_async_query(database):
    """Under ASGI Django cancels the view when the client leaves; psycopg then cancels the
    query in PostgreSQL. A sync view (and every WSGI view) runs to the end instead."""
    running = launch("uvicorn", workers=1)
    try:
        app = running.deployment.application_name
        sock = faults._raw_get(running.url, "/async/db/sleep?ms=4000&driver=native")
        time.sleep(0.5)
        assert count_connections(app, "active", PG_SLEEP) == 1
        sock.close()
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline and count_connections(app, "active", PG_SLEEP):
            time.sleep(0.1)
        assert count_connections(app, "active", PG_SLEEP) == 0
    finally:
        running.stop()


@pytest.mark.parametrize("server", ["gunicorn", "uvicorn"])
def test_slow_clients_are_bounded_and_the_server_recovers(database, server):
    running = two_workers(server)
    try:
        observed = faults.slow_clients(context(running), clients=20, seconds=2.0)
        assert "20 slow clients" in reported(faults.SlowClients(), observed)
        assert requests.get(f"{running.url}/api/ping", timeout=5).status_code == 200
    finally:
        running.stop()
    # the fault held: no slow client was refused or dropped within the window, and they
    # outnumber the threads that could read their headers
    threads = running.deployment.workers * (running.deployment.threads or 1)
    assert observed["still_connected_at_end"] == 20 > threads, observed
    assert observed["probe_requests"] >= 1
    if server == "uvicorn":  # the event loop does not give a worker to a half-sent request
        assert observed["probe_requests"] >= 3 and observed["probe_failed"] == 0
        assert observed["probe_worst_ms"] < 1000, observed  # answered promptly, not at the timeout


@pytest.mark.parametrize("server", SERVERS)
def test_subscribers_that_leave_free_what_their_streams_held(database, server):
    """20 streams held for a second then dropped: the workers' threads and connections come back
    to within a few of where they were (gthread's pool keeps its threads: they are idle again)."""
    with two_workers(server) as running:
        observed = faults.leave_streams(context(running))
        assert observed["server_healthy_after"]
        # every subscriber got its stream on the ASGI servers; gthread serves as many as it has threads
        # (2 workers x 4), the rest wait in its queue
        served = observed["streams_served"]
        assert (4 <= served <= 8) if server == "gunicorn" else served == observed["subscribers"], observed
        before, during, after = observed["held_before"], observed["held_during"], observed["held_after"]
        assert during["connections"] >= before["connections"] + 20  # every subscriber was being served
        assert after["connections"] <= before["connections"] + 2, observed
        # nothing per stream outlived it: a leak would be a thread a subscriber (gthread's pool keeps
        # the threads it grew, idle; the servers' own pools may grow by a few, never by the streams)
        assert after["threads"] - before["threads"] < observed["subscribers"] / 2, observed
        assert f"({observed['streams_served']} streams served) and hung up" in reported(faults.SubscribersLeave(), observed)


@pytest.mark.parametrize("server", SERVERS)
def test_an_upstream_that_goes_away_fails_calls_clearly_and_comes_back(database, server):
    from deploy.upstream_stub import UpstreamStubProcess
    from groundwork.names import UPSTREAM_URL_ENV

    stub = UpstreamStubProcess.start()
    try:
        with two_workers(server, extra_env={UPSTREAM_URL_ENV: stub.url}) as running:
            assert requests.get(f"{running.url}/api/io/upstream?ms=10", timeout=10).status_code == 200
            with ThreadPoolExecutor(1) as pool:
                answers = pool.submit(lambda: [requests.get(f"{running.url}/api/io/upstream?ms=100", timeout=30)
                                               for _ in range(40)])
                observed = faults.stop_upstream(faults.FaultContext(running, running.url, stub), down_s=2.0)
                statuses = {r.status_code for r in answers.result()}
            assert statuses <= {200, 502, 504} and 502 in statuses, statuses  # never a 500
            assert observed["server_healthy_after"]
            assert requests.get(f"{running.url}/api/io/upstream?ms=10", timeout=10).status_code == 200
            assert observed["held_after"]["threads"] <= observed["held_before"]["threads"] + 2, observed
            steady = {"started_at": observed["fault_wall"] - 1, "timeseries": [],
                      "endpoints": [{"requests": 40, "failures": 10, "max_ms": 120.0}],
                      "errors": [{"name": "io/upstream", "count": 10, "error": "URL http://x/api/io/upstream: code=502"}]}
            sentence = faults.UpstreamDown().report(faults.summarise(steady, observed))
            assert "the upstream was down" in sentence and "failed (10 x 502)" in sentence, sentence
    finally:
        stub.stop()
