"""io/upstream on every server, with each client mode; and what a failing upstream becomes: a clear
502 or 504 JSON answer, never a 500 and never a worker left hanging, with nothing leaked."""
from __future__ import annotations

import re
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from groundwork.names import UPSTREAM_URL_ENV
from deploy.upstream_stub import UpstreamStubProcess
from tests.conftest import launch
from tests.upstream_session import UpstreamStub
from workloads.catalogue import UPSTREAM_CLIENT

CLIENTS = UPSTREAM_CLIENT.choices
UPSTREAM_TIMING = re.compile(r"upstream;dur=(\d+\.\d{3})")


def call(running, ms: int = 50, client: str = "pooled", prefix: str = "api", timeout: float = 30):
    return requests.get(f"{running.url}/{prefix}/io/upstream", params={"ms": ms, "client": client}, timeout=timeout)


@pytest.mark.parametrize("client", CLIENTS)
def test_every_server_calls_the_upstream_with_every_client(servers, fastapi, client):
    for name, running in {**servers, "fastapi": fastapi}.items():
        prefixes = ("api", "async") if name == "fastapi" else ("api", "sync", "async")
        for prefix in prefixes:
            r = call(running, 60, client, prefix)
            assert r.status_code == 200, (name, prefix, r.text)
            interface = "asgi" if name == "fastapi" else running.deployment.interface
            view = prefix if prefix != "api" else "sync" if interface == "wsgi" else "async"
            assert r.json() == {"view": view, "ms": 60, "client": client}, (name, prefix)
            waited = float(UPSTREAM_TIMING.fullmatch(r.headers["Server-Timing"])[1])
            assert waited >= 60, (name, prefix, waited)  # the call took the upstream's wait at least


def test_a_pooled_client_reuses_its_connections_and_a_per_request_one_does_not(uvicorn, gunicorn):
    """Counted by the kernel: a connection the server closed (its client's, after the call) stays in
    TIME_WAIT on the server's side for a minute. 20 sequential calls: a client per request leaves
    about 20 such connections to the stub, the pooled clients (kept alive, reused) next to none."""
    import psutil

    UpstreamStub.shared_url()
    port = UpstreamStub.stub.port

    def closed_towards_stub() -> set:
        return {(c.laddr, c.raddr) for c in psutil.net_connections("tcp")
                if c.raddr and c.raddr.port == port and c.status == psutil.CONN_TIME_WAIT}

    for running in (uvicorn, gunicorn):
        grown = {}
        for client in ("pooled", "per-request"):
            before = closed_towards_stub()  # earlier tests' may expire meanwhile: count the new ones only
            for _ in range(20):
                assert call(running, 0, client).status_code == 200
            grown[client] = len(closed_towards_stub() - before)
        assert grown["per-request"] >= 15 and grown["pooled"] <= 2, (running.deployment.label, grown)


@pytest.mark.parametrize("query,status", [("ms=-1", 400), ("ms=60001", 400), ("client=sometimes", 400),
                                          ("ms=--5", 400), ("x=1", 400)])
def test_bad_input_is_refused_before_any_call(uvicorn, gunicorn, query, status):
    for running in (uvicorn, gunicorn):
        r = requests.get(f"{running.url}/api/io/upstream?{query}", timeout=10)
        assert r.status_code == status and r.json()["error"], r.text


# --- an upstream that fails --------------------------------------------------------------------

def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Silent:
    """A server that accepts connections and never answers: the upstream that hangs."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(512)
        self.port = self.sock.getsockname()[1]
        self.held: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                self.held.append(self.sock.accept()[0])
            except OSError:
                return

    def close(self):
        self.sock.close()
        for s in self.held:
            s.close()


@pytest.fixture(scope="module")
def silent():
    server = Silent()
    yield server
    server.close()


SERVERS = [("gunicorn", {"workers": 1, "threads": 8}), ("uvicorn", {"workers": 1}), ("fastapi", {"workers": 1})]


@pytest.mark.parametrize("server,kw", SERVERS, ids=[s for s, _ in SERVERS])
def test_an_unreachable_upstream_is_a_502(server, kw, database):
    with launch(server, extra_env={UPSTREAM_URL_ENV: f"http://127.0.0.1:{closed_port()}"}, **kw) as running:
        for client in CLIENTS:
            r = call(running, 10, client)
            assert r.status_code == 502, (client, r.text)
            assert "cannot be reached" in r.json()["error"]


@pytest.mark.parametrize("server,kw", SERVERS, ids=[s for s, _ in SERVERS])
def test_an_upstream_error_status_is_a_502_naming_it(server, kw, database):
    base = UpstreamStub.shared_url() + "/no-such-prefix"  # the stub answers 404 there
    with launch(server, extra_env={UPSTREAM_URL_ENV: base}, **kw) as running:
        r = call(running, 10, "pooled")
        assert r.status_code == 502 and r.json() == {"error": "the upstream answered 404", "upstream_status": 404}


@pytest.mark.parametrize("server,kw", SERVERS, ids=[s for s, _ in SERVERS])
def test_an_upstream_that_never_answers_is_a_504_in_bounded_time(server, kw, database, silent):
    """The read timeout is the wait asked for plus 5 s: each mode answers 504 then, not later."""
    with launch(server, extra_env={UPSTREAM_URL_ENV: f"http://127.0.0.1:{silent.port}"}, **kw) as running:
        with ThreadPoolExecutor(len(CLIENTS)) as pool:
            started = time.monotonic()
            answers = list(pool.map(lambda client: call(running, 0, client, timeout=60), CLIENTS))
            took = time.monotonic() - started
        for client, r in zip(CLIENTS, answers):
            assert r.status_code == 504, (client, r.text)
            assert "did not answer in time" in r.json()["error"]
        assert took < 30, took  # bounded (5 s each, in parallel); a hung worker would hit the 60 s client timeout


@pytest.mark.slow
@pytest.mark.parametrize("server,kw", SERVERS, ids=[s for s, _ in SERVERS])
def test_an_upstream_stopped_mid_run_fails_its_calls_clearly_and_leaks_nothing(server, kw, database):
    """20 calls of 2 s in flight, the stub killed 0.5 s in: every call answers 502, none 500, none
    hangs; the server's threads come back to where they were; a new stub on the same port is
    called again as if nothing happened (the pools replaced their dead connections)."""
    port = closed_port()
    stub = UpstreamStubProcess.start(port=port)
    try:
        with launch(server, extra_env={UPSTREAM_URL_ENV: f"http://127.0.0.1:{port}"}, **kw) as running:
            with ThreadPoolExecutor(20) as pool:  # every pool at the size the burst below gives it
                assert {r.status_code for r in pool.map(lambda i: call(running, 200, CLIENTS[i % len(CLIENTS)]),
                                                         range(20))} == {200}
            threads_before = requests.get(f"{running.url}/api/whoami", timeout=10).json()["process_threads"]
            killer = threading.Timer(0.5, stub.process.kill)
            killer.start()
            with ThreadPoolExecutor(20) as pool:
                answers = list(pool.map(lambda i: call(running, 2000, CLIENTS[i % len(CLIENTS)], timeout=60),
                                        range(20)))
            killer.join()
            assert {r.status_code for r in answers} == {502}, [(r.status_code, r.text[:80]) for r in answers]
            assert all(r.json()["error"].startswith("the upstream") for r in answers)
            deadline = time.monotonic() + 10
            while True:
                threads = requests.get(f"{running.url}/api/whoami", timeout=10).json()["process_threads"]
                if threads <= threads_before or time.monotonic() > deadline:
                    break
                time.sleep(0.2)
            # nothing per call outlived it (a leak would be a thread a call; pools may keep a few they grew)
            assert threads - threads_before < 10, (threads_before, threads)
            stub.process.wait(10)
            stub = UpstreamStubProcess.start(port=port)
            assert {call(running, 10, client).status_code for client in CLIENTS} == {200}
    finally:
        stub.stop()
