"""FastAPI against Django ASGI (both on one Uvicorn worker): for every endpoint FastAPI serves,
the same examples give the same status and field names, bad input the same status and the
same JSON error; and FastAPI does what the source document says it does: it reads a streamed
body from the socket as it arrives, a blocking call in ``async def`` blocks its loop while
``run_in_threadpool`` does not, and ``BackgroundTasks`` run after the response."""
from __future__ import annotations

import socket
import time

import pytest
import requests

from fastapi_app.adapter import PREFIXES
from fastapi_app.endpoints import SERVED
from tests.examples import EXAMPLES, STREAM_PATHS, example_id
from tests.system.test_bad_input import BAD_REQUESTS, raw_request
from tests.system.test_claims_smoke import concurrent_wall_time
from workloads.catalogue import CATALOGUE, DB_READ, without_orm
from workloads.errors import ApiError
from workloads.identity import DJANGO, FASTAPI

SERVED_PATHS = {route.spec.path for route in SERVED}
SYNC_PATHS = {route.spec.path for route in SERVED if "sync" in route.prefixes}  # FastAPI ``def`` endpoints
CATALOGUE_PATHS = {ep.path for ep in CATALOGUE}
FASTAPI_EXAMPLES = [e for e in EXAMPLES if e.path in SERVED_PATHS]
# Bad input on a served endpoint, or on a path that is no endpoint at all (404 on both).
FASTAPI_BAD = [b for b in BAD_REQUESTS if b[1] in SERVED_PATHS or b[1] not in CATALOGUE_PATHS]


def test_served_endpoints_are_catalogue_entries_with_examples():
    """Each route names a catalogue entry (``without_orm`` keeps the path) and is exercised below."""
    assert SERVED_PATHS <= CATALOGUE_PATHS
    assert SERVED_PATHS == {e.path for e in FASTAPI_EXAMPLES} | STREAM_PATHS  # streams: test_streams
    assert {"ping", "whoami", "io/blocking", "io/threadpool", "io/background", "upload", "db/read"} <= SERVED_PATHS


@pytest.mark.parametrize("example", FASTAPI_EXAMPLES, ids=example_id)
def test_same_status_and_fields_as_django_asgi(example, uvicorn, fastapi):
    for prefix in PREFIXES:
        django_r, fastapi_r = example.send(uvicorn.url, prefix), example.send(fastapi.url, prefix)
        for r in (django_r, fastapi_r):
            assert r.status_code == example.status, (prefix, r.url, r.text)
            assert r.headers["Content-Type"] == "application/json"
            assert set(r.json()) == example.fields, (prefix, r.url, r.json())
            assert r.json()["view"] == "async"
        # Durations measured in the server: the same metrics, or none on both.
        assert metric_names(django_r) == metric_names(fastapi_r), prefix


def metric_names(response: requests.Response) -> list[str]:
    header = response.headers.get("Server-Timing", "")
    return [part.split(";")[0].strip() for part in header.split(",") if part.strip()]


def test_whoami_names_framework_interface_and_deployment(uvicorn, fastapi):
    whoami = next(e for e in EXAMPLES if e.path == "whoami")
    body = whoami.send(fastapi.url, "api").json()
    assert (body["interface"], body["framework"]) == ("asgi", FASTAPI)
    assert body["deployment"] == fastapi.deployment.label
    assert body["is_main_thread"] and body["event_loop"]["class"] == "uvloop.Loop"
    assert whoami.send(uvicorn.url, "api").json()["framework"] == DJANGO


def test_a_def_endpoint_runs_in_the_thread_pool_like_a_django_sync_view_under_asgi(uvicorn, fastapi):
    """C7 on FastAPI: /sync/whoami is a ``def`` endpoint, run off the loop's thread with no loop."""
    assert SYNC_PATHS == {"whoami"}
    answers = [requests.get(f"{running.url}/sync/whoami", timeout=10).json() for running in (uvicorn, fastapi)]
    for body in answers:
        assert (body["view"], body["interface"], body["is_main_thread"], body["event_loop"]) == \
            ("sync", "asgi", False, None), body
    assert [b["framework"] for b in answers] == [DJANGO, FASTAPI]
    refused = [requests.get(f"{running.url}/sync/whoami?x=1", timeout=10) for running in (uvicorn, fastapi)]
    assert [r.status_code for r in refused] == [400, 400] and refused[0].json() == refused[1].json()


@pytest.mark.parametrize("method,path,query,body,ctype,status", FASTAPI_BAD,
                         ids=[f"{m} {p}?{q}->{s}" for m, p, q, _, _, s in FASTAPI_BAD])
def test_bad_input_gets_the_same_error(uvicorn, fastapi, method, path, query, body, ctype, status):
    for prefix in PREFIXES:
        answers = []
        for running in (uvicorn, fastapi):
            headers = {"Content-Type": ctype} if ctype else {}
            r = requests.request(method, f"{running.url}/{prefix}/{path}?{query}", data=body, headers=headers,
                                 timeout=10)
            assert r.status_code == status, (running.deployment.server, prefix, r.text)
            assert r.headers["Content-Type"] == "application/json"
            answers.append((r.json(), r.headers.get("Allow")))
        django_answer, fastapi_answer = answers
        if query.startswith("driver="):  # FastAPI's choices are the catalogue's native-only driver
            django_answer = ({"error": refusal(without_orm(DB_READ), query.partition("=")[2])}, None)
        assert fastapi_answer == django_answer, (prefix, answers)  # the same message, fields and Allow


def refusal(spec, driver: str) -> str:
    """The catalogue's own message when ``spec``'s driver parameter refuses ``driver``."""
    param = next(p for p in spec.params if p.name == "driver")
    with pytest.raises(ApiError) as refused:
        param.parse(driver)
    return refused.value.message


def test_orm_driver_is_refused_like_an_unknown_choice(uvicorn, fastapi):
    """FastAPI has no Django ORM: "orm" is outside its driver's choices, the catalogue's 400."""
    refused = requests.get(f"{fastapi.url}/api/db/read?driver=orm", timeout=10)
    unknown = requests.get(f"{uvicorn.url}/api/db/read?driver=mysql", timeout=10)
    assert refused.status_code == unknown.status_code == 400
    assert refused.json() == {"error": refusal(without_orm(DB_READ), "orm")}
    assert unknown.json() == {"error": refusal(DB_READ, "mysql")}


def test_unserved_and_unknown_paths_are_json_404(fastapi):
    unserved = sorted(CATALOGUE_PATHS - SERVED_PATHS)
    assert unserved, "FastAPI serves the whole catalogue: drop this test's premise"
    paths = [f"/api/{p}" for p in unserved] + [f"/sync/{p}" for p in sorted(SERVED_PATHS - SYNC_PATHS)] + [
        "/", "/nope", "/api/", "/api/ping/", "/docs"]
    for path in paths:
        r = requests.get(fastapi.url + path, timeout=10)
        assert r.status_code == 404 and r.json() == {"error": f"no endpoint at {path}"}, path


def test_oversized_body_and_foreign_host_get_the_same_error(uvicorn, fastapi):
    answers = []
    for running in (uvicorn, fastapi):
        head = (f"POST /api/upload HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                f"Content-Length: {17 * 1024 * 1024}\r\nConnection: close\r\n")
        too_large = raw_request(running.url, head)
        foreign = requests.get(f"{running.url}/api/ping", headers={"Host": "evil.example"}, timeout=10)
        answers.append((too_large, foreign.status_code, foreign.json()))
    assert answers[0] == answers[1]
    assert answers[0][0][0] == 413 and answers[0][1] == 400


# --- what FastAPI does that Django ASGI does not ------------------------------------------

PAUSE_S = 1.0


def slow_upload(url: str, mode: str, first: int = 1024 * 1024, rest: int = 4 * 1024 * 1024) -> dict[str, float]:
    """POST a 5 MiB body in two parts with a pause between them; the Server-Timing metrics."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as s:
        s.sendall(f"POST /api/upload?mode={mode} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {first + rest}\r\n"
                  "Connection: close\r\n\r\n".encode() + b"a" * first)
        time.sleep(PAUSE_S)
        s.sendall(b"b" * rest)
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200"), data[:300]
    assert b'"bytes":%d' % (first + rest) in body, body
    timing = next(line for line in head.decode().split("\r\n") if line.lower().startswith("server-timing:"))
    return {part.split(";")[0].strip(): float(part.split("dur=")[1]) for part in timing.split(":", 1)[1].split(",")}


def test_fastapi_stream_reads_the_body_from_the_socket_as_it_arrives(uvicorn, fastapi):
    """FastAPI stream: the first chunk is hashed before the client's pause ends, and the read
    spans the pause. FastAPI buffer (``await request.body()``) sees nothing until the whole body
    came. Django ASGI had spooled the whole body before the view ran: its read spans nothing."""
    half_pause_ms = PAUSE_S * 1000 / 2
    streamed = slow_upload(fastapi.url, "stream")
    assert streamed["first-chunk"] < half_pause_ms <= streamed["body"], streamed
    buffered = slow_upload(fastapi.url, "buffer")
    assert buffered["first-chunk"] >= half_pause_ms, buffered
    spooled = slow_upload(uvicorn.url, "stream")
    assert spooled["body"] < half_pause_ms, spooled


def test_fastapi_blocking_call_blocks_the_loop_and_threadpool_does_not(fastapi):
    """4 concurrent io/blocking?ms=300 serialise on one worker's loop; run_in_threadpool overlaps."""
    blocking = concurrent_wall_time(f"{fastapi.url}/api/io/blocking?ms=300", 4)
    offloaded = concurrent_wall_time(f"{fastapi.url}/api/io/threadpool?ms=300", 4)
    assert blocking >= 2 * offloaded, (blocking, offloaded)


def test_fastapi_background_tasks_run_after_the_response(fastapi):
    """BackgroundTasks: the 202 comes back long before the 1 s job could have finished."""
    for call in ("sleep", "blocking"):
        started = time.perf_counter()
        r = requests.get(f"{fastapi.url}/api/io/background?ms=1000&call={call}", timeout=10)
        background = time.perf_counter() - started
        assert r.status_code == 202, r.text
        started = time.perf_counter()
        requests.get(f"{fastapi.url}/api/io/sleep?ms=1000", timeout=10).raise_for_status()
        waited = time.perf_counter() - started
        assert waited >= 3 * background, (call, background, waited)
