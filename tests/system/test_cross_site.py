"""What a page on another site can make a browser post to the lab is refused on every server and
in the FastAPI twin (workloads.cross_site): a cross-site ``Sec-Fetch-Site``, a foreign ``Origin``,
a form's Content-Type; while what the load generator, the tests and curl send still passes."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import requests

from workloads.cross_site import FORM_CONTENT_TYPES

CHECKOUT = Path(__file__).resolve().parents[2]
BODY = b"x" * 64
PREFIXES = ("api", "sync", "async")


def post(running, prefix: str, path: str, headers: dict[str, str], body: bytes | None = BODY) -> requests.Response:
    return requests.post(f"{running.url}/{prefix}/{path}", data=body, headers=headers, timeout=10)


def foreign(running) -> list[tuple[dict[str, str], int]]:
    """Headers a browser sends on a post from another page, each with the status the lab answers."""
    return [
        ({"Sec-Fetch-Site": "cross-site"}, 403),
        ({"Sec-Fetch-Site": "same-site"}, 403),  # another port of the same host is another origin
        ({"Sec-Fetch-Site": "cross-site", "Origin": running.url}, 403),  # Sec-Fetch-Site decides when sent
        ({"Origin": "http://evil.example"}, 403),
        ({"Origin": "null"}, 403),  # a sandboxed frame, a file:// page
        ({"Content-Type": "text/plain"}, 415),
        ({"Content-Type": "application/x-www-form-urlencoded"}, 415),
        ({"Content-Type": "multipart/form-data; boundary=x"}, 415),
        ({"Content-Type": "Text/Plain; charset=utf-8"}, 415),
    ]


# What a same-origin browser page, a bookmark, or a client that is no browser sends: accepted.
OWN = [{}, {"Sec-Fetch-Site": "same-origin"}, {"Sec-Fetch-Site": "none"}, {"Content-Type": "application/octet-stream"}]


def test_the_form_types_are_the_three_a_form_sends_without_a_preflight():
    assert set(FORM_CONTENT_TYPES) == {"application/x-www-form-urlencoded", "multipart/form-data", "text/plain"}


def check_refusals(running, path: str, prefixes=PREFIXES) -> None:
    for prefix in prefixes:
        for headers, status in foreign(running):
            r = post(running, prefix, path, headers)
            assert r.status_code == status, (prefix, path, headers, r.status_code, r.text)
            assert r.headers["Content-Type"] == "application/json" and r.json()["error"], (prefix, headers)
        same_origin = {"Origin": running.url}  # Origin naming this very host and port
        for headers in [*OWN, same_origin]:
            r = post(running, prefix, path, headers)
            assert r.status_code == 200, (prefix, path, headers, r.status_code, r.text)


@pytest.mark.parametrize("path", ["db/write", "upload"])
def test_cross_site_posts_are_refused_on_every_server(server, path):
    check_refusals(server, path)


def test_a_no_cors_fetch_without_content_type_is_refused(server):
    """``fetch(url, {method: "POST", mode: "no-cors", body: blob})`` sends no Content-Type at all:
    only the fetch metadata gives it away."""
    for path in ("db/write", "upload", "json"):
        r = post(server, "api", path, {"Sec-Fetch-Site": "cross-site"}, body=b"[]")
        assert r.status_code == 403, (path, r.text)


def test_the_fastapi_twin_refuses_the_same(uvicorn, fastapi):
    check_refusals(fastapi, "upload", prefixes=("api", "async"))
    for headers, _ in foreign(fastapi):
        answers = [post(running, "api", "upload", headers) for running in (uvicorn, fastapi)]
        assert answers[0].json() == answers[1].json(), headers  # the same error, word for word


LOCUST_POSTS = """
import sys
from locust.contrib.fasthttp import FastHttpSession
from locust.env import Environment

session = FastHttpSession(sys.argv[1], Environment().events.request, user=None)
body = bytes(range(256)) * 64  # what loadtests/_lab.raw_body sends, smaller
print(session.post("/api/upload?mode=buffer", data=body).status_code,  # C6: upload
      session.post("/api/db/write?driver=native").status_code,  # the database ladder: db/write
      session.post("/api/json", data=b"[1]", headers={"Content-Type": "application/json"}).status_code)
"""


def test_what_the_locust_scenarios_post_still_passes(uvicorn):
    """Locust's FastHttpSession sends a bytes body as application/octet-stream and no Origin: the
    rule leaves the C6 and database-ladder workloads alone. (Locust patches the process with gevent:
    run in one of its own.)"""
    out = subprocess.run([sys.executable, "-c", LOCUST_POSTS, uvicorn.url], cwd=CHECKOUT, capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["200", "200", "200"], (out.stdout, out.stderr[-500:])
