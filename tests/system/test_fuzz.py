"""Hypothesis over every endpoint of the catalogue on every server and in the FastAPI twin, and
over every dashboard page that reads a query parameter (or an id in its path): whatever the
parameters, never a 5xx. FastAPI's refusals are also Django's, word for word.

test_properties.py draws from a narrow alphabet and short texts, which is why it never found
``?ms=--5``, a 4,301-digit integer or ``?run=²``. The strategies here draw from the whole of
Unicode (``st.text()``: every code point but surrogates, which no URL can carry), from raw bytes
(invalid UTF-8 once percent-decoded), and from number-like text: thousands of digits, doubled
signs, whitespace, underscores, full-width, superscript, subscript, Arabic-Indic and Devanagari
digits. Valid values are drawn too, so the work behind each check runs; values a server would
take long to serve (a 10 s sleep) are brought down to cheap ones first.

The requests tried and the statuses seen, per endpoint or page, are written to
``test-artifacts/fuzz.json`` and printed at the end of the module.
"""
from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from urllib.parse import quote

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fastapi_app.endpoints import SERVED
from groundwork.database import PoolLimits
from tests.conftest import ARTIFACTS
from tests.examples import cheap_stream_query
from workloads import catalogue as c
from workloads.params import IntParam

pytestmark = pytest.mark.slow

EXAMPLES = 80  # per endpoint and server, per dashboard page: the module runs in about two minutes
FUZZ = settings(max_examples=EXAMPLES, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

# --- strategies ------------------------------------------------------------------------------

FOREIGN_DIGITS = "０１２３４５６７８９⁰¹²³⁴⁵⁶⁷⁸⁹₀₁₂₃₄₅₆₇₈₉٠١٢٣٤٥٦٧٨٩०१२३४५६७८९"
SIGNS = ("", "", "-", "+", "--", "++", "+-", "-+", "−", "－")  # U+2212 minus, full-width hyphen-minus
PADDING = ("", "", " ", "  ", "\t", "\n", "\r\n", "\u00a0", "\u3000", "\x00")


def _padded(core: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.builds(lambda a, sign, text, b: a + sign + text + b, st.sampled_from(PADDING), st.sampled_from(SIGNS),
                     core, st.sampled_from(PADDING))


# Thousands of digits, cheaply: a short run of digits repeated (int()'s limit is 4,300 digits).
long_digits = _padded(st.builds(lambda chunk, times: chunk * times, st.text("0123456789", min_size=1, max_size=7),
                                st.integers(1, 1200)))
digits = st.text("0123456789" + FOREIGN_DIGITS, min_size=1, max_size=12)  # "1²": str.isdigit() says yes
number_like = digits | _padded(digits) | _padded(st.text("0123456789" + FOREIGN_DIGITS + "_.eE,x", min_size=1,
                                                         max_size=24))
edge_cases = st.sampled_from(["", "-", "+", "--5", "²", "５", "1e3", "1.5", "0x10", "1_000", "nan", "inf", "-0",
                              "+0", "١٢", "9" * 4301, "-" + "9" * 4301, "%", "\x00", "\ufeff1", "1\u200b"])
# Percent-encoded bytes: what decodes to invalid UTF-8 reaches the app as replacement characters.
raw_bytes = st.binary(max_size=16)
hostile = st.text() | long_digits | number_like | edge_cases | raw_bytes
cheap_ints = st.integers(-3, 30).map(str)


def value_for(param) -> st.SearchStrategy:
    valid = cheap_ints if isinstance(param, IntParam) else st.sampled_from(param.choices)
    return valid | hostile


# The most each integer parameter may ask for here. A value a lenient parser would read as more
# (digits, maybe a plus and whitespace around them) is brought down to it, its padding kept: the
# test decides this itself, not with the parser it is testing.
CHEAP = {id(c.MS): 30, id(c.WAIT_MS): 30, id(c.N): 5000, id(c.COUNT): 20, id(c.COROUTINES): 200, id(c.EVENTS): 3,
         id(c.EVERY_MS): 30}
LENIENT = re.compile(r"(\s*\+?)([0-9]+)(\s*)")


def cheapened(params: tuple, query: dict[str, list]) -> dict[str, list]:
    for p in params:
        values, cheap = query.get(p.name), CHEAP.get(id(p))
        if cheap is None or not values or not isinstance(values[0], str):
            continue
        number = LENIENT.fullmatch(values[0])
        significant = number[2].lstrip("0") if number else ""
        if len(significant) <= 12 and int(significant or "0") > cheap:  # longer: past every bound
            values[0] = f"{number[1]}{cheap}{number[3]}"
    return query


@st.composite
def query_for(draw, params: tuple) -> dict[str, list]:
    """Each declared parameter maybe, sometimes twice, sometimes an unknown name beside them."""
    query: dict[str, list] = {}
    for p in params:
        if draw(st.booleans()) or draw(st.booleans()):
            query[p.name] = draw(st.lists(value_for(p), min_size=1, max_size=2))
    if draw(st.integers(0, 7)) == 0:
        query[draw(st.text(min_size=1, max_size=8) | st.sampled_from(["ms", "n", "run", "e"]))] = [draw(hostile)]
    return query


def query_string(query: dict[str, list]) -> str:
    """Percent-encoded by hand: text as UTF-8, bytes as they are (requests would refuse neither,
    but could not send invalid UTF-8)."""
    return "&".join(f"{quote(name, safe='')}={quote(value, safe='')}" for name, values in query.items()
                    for value in values)


# --- counting --------------------------------------------------------------------------------

TRIED: dict[str, Counter] = defaultdict(Counter)  # "target path" -> status -> requests


POOL_SIZE = PoolLimits.from_env().size  # connections one pool of one worker can hold
RESTARTED: Counter = Counter()  # "target path" -> requests answered 503 by a pool left dead by a restart


def send(method: str, url: str, key: str, **kwargs) -> requests.Response:
    """One request, counted. Tests in random order may restart PostgreSQL (the fault experiments)
    while this module's servers keep pooled connections: the first request on each dead
    connection gets the lab's clear 503 ("database unavailable") and the pool replaces it. That
    request is sent again, up to a pool's size (every driver's pool, asyncbackend's too, may hold
    dead connections), each retry counted apart; a 503 past that stands."""
    r = requests.request(method, url, timeout=30, **kwargs)
    for _ in range(POOL_SIZE):  # each dead connection of a pool fails once and is replaced
        if not (r.status_code == 503 and r.headers.get("Content-Type", "").startswith("application/json")
                and r.json().get("error") == "database unavailable"):
            break
        RESTARTED[key] += 1
        r = requests.request(method, url, timeout=30, **kwargs)
    TRIED[key][r.status_code] += 1
    return r


@pytest.fixture(scope="module", autouse=True)
def report(request):
    yield
    table = {key: {"tried": sum(statuses.values()), "5xx": sum(n for s, n in statuses.items() if s >= 500),
                   "statuses": dict(sorted(statuses.items()))} for key, statuses in sorted(TRIED.items())}
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "fuzz.json").write_text(json.dumps(table, indent=1))
    lines = [f"\nfuzzing: {sum(t['tried'] for t in table.values())} requests, "
             f"{sum(t['5xx'] for t in table.values())} 5xx (test-artifacts/fuzz.json); "
             f"{sum(RESTARTED.values())} sent again after a PostgreSQL restart left a pooled connection dead"]
    lines += [f"  {key:45} {t['tried']:4} tried  {t['5xx']} 5xx  {t['statuses']}" for key, t in table.items()]
    with request.config.pluginmanager.getplugin("capturemanager").global_and_fixture_disabled():
        print("\n".join(lines))  # past the capture: the figures are the module's result


def assert_answered(r: requests.Response, where: str) -> None:
    assert r.status_code < 500, (where, r.request.url[:300], r.status_code, r.text[:300])
    if 400 <= r.status_code < 500 and r.status_code != 414:  # 414: the server's own, before the lab
        assert r.headers["Content-Type"].startswith("application/json"), (where, r.status_code, r.text[:200])
        assert r.json()["error"], where


# --- the endpoints ---------------------------------------------------------------------------

BODIES = {"raw": ({}, b"x" * 100), "json": ({"Content-Type": "application/json"}, b"[1, 2]"), None: ({}, None)}


def endpoint_request(running, prefix: str, spec: c.Endpoint, query: dict[str, list], where: str):
    headers, body = BODIES[spec.body]
    query = cheap_stream_query(spec.path, {k: list(v) for k, v in query.items()})
    url = f"{running.url}/{prefix}/{spec.path}?{query_string(cheapened(spec.params, query))}"
    return send(spec.method, url, where, data=body, headers=headers)


@pytest.mark.parametrize("spec", c.CATALOGUE, ids=lambda spec: spec.path)
def test_every_endpoint_on_every_server(server, spec):
    @FUZZ
    @given(prefix=st.sampled_from(["api", "sync", "async"]), query=query_for(spec.params))
    def fuzz(prefix, query):
        where = f"{server.deployment.stack} /{spec.path}"
        assert_answered(endpoint_request(server, prefix, spec, query, where), where)

    fuzz()


FASTAPI_ROUTES = {(route.spec.path, route.prefixes): route.spec for route in SERVED}


@pytest.mark.parametrize("prefixes,spec", [(p, s) for (_, p), s in FASTAPI_ROUTES.items()],
                         ids=[f"{'|'.join(p)}/{path}" for path, p in FASTAPI_ROUTES])
def test_every_fastapi_route_and_its_refusals_are_djangos(uvicorn, fastapi, prefixes, spec):
    """Django on Uvicorn gets the same request: a refusal there is FastAPI's too, word for word
    (but for ``driver``, whose choices FastAPI narrows to "native": ``without_orm``)."""
    django_spec = next(e for e in c.CATALOGUE if e.path == spec.path)

    @FUZZ
    @given(prefix=st.sampled_from(prefixes), query=query_for(django_spec.params))
    def fuzz(prefix, query):
        where = f"fastapi /{spec.path}"
        answer = endpoint_request(fastapi, prefix, spec, query, where)
        assert_answered(answer, where)
        if "driver" in query:
            return
        django = endpoint_request(uvicorn, prefix, django_spec, query, f"uvicorn (beside fastapi) /{spec.path}")
        if 400 <= django.status_code < 500:
            assert (answer.status_code, answer.json()) == (django.status_code, django.json()), answer.request.url

    fuzz()


# --- the dashboard ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def stored(database):
    """A stored curves run (synthetic rows) for the valid ids to point at, removed at the end."""
    from bench.models import Run
    from tests.synthetic import make_curves_run
    from tests.system.test_curves_page import hockey_stick

    run = make_curves_run({("gthread", "ping"): hockey_stick(), ("uvicorn", "ping"): hockey_stick(scale=1.5)})
    yield {"run": run.id, "e": list(run.experiments.values_list("id", flat=True))}
    Run.objects.filter(id=run.id).delete()


def page_values(stored: dict) -> dict[str, st.SearchStrategy]:
    from bench.curves import CURVE_WORKLOADS
    from dashboard.ladders import LADDER_TABLES
    from dashboard.cards import VERDICTS

    return {
        "run": st.just(str(stored["run"])), "e": st.sampled_from([str(e) for e in stored["e"]]),
        "slo": st.sampled_from(["0.5", "10", "100", "250.5", "60000", "1e3"]),
        "step": st.sampled_from(["knee", "0", "1", "4"]), "workload": st.sampled_from(list(CURVE_WORKLOADS)),
        "format": st.sampled_from(["json", "csv"]), "claim": st.sampled_from(list(VERDICTS)),
        "table": st.sampled_from(["points", "knees", "sweep", "faults", "bad-input", "overload", *LADDER_TABLES]),
    }


CHARTS = ("summary", "timeseries", "cdf", "server", "errors")
# Every page that reads a query parameter, with the names it reads; ``{chart}`` and ``{id}`` are
# path segments, fuzzed too.
PAGES = {
    "/dashboard/": ("run", "slo"),
    "/dashboard/data/curves": ("run", "slo", "table", "format"),
    "/dashboard/data/curves/distribution": ("run", "workload", "step", "slo", "format"),
    "/dashboard/compare/": ("e", "run"),
    "/dashboard/data/compare/{chart}": ("e", "run", "format"),
    "/dashboard/claims/": ("run",),
    "/dashboard/data/claims": ("claim", "run", "format"),
    "/dashboard/ladders/": ("run",),
    "/dashboard/data/ladders": ("run", "table", "format"),
    "/dashboard/data/reliability": ("table", "format"),
    "/dashboard/runs/{id}/": (),
    "/dashboard/runs/{id}/report": (),
    "/dashboard/data/runs/{id}": (),
}


@st.composite
def page_query(draw, names: tuple, valid: dict) -> dict[str, list]:
    query: dict[str, list] = {}
    for name in names:
        if draw(st.booleans()) or draw(st.booleans()):
            query[name] = draw(st.lists(valid[name] | hostile, min_size=1, max_size=2))
    if draw(st.integers(0, 7)) == 0:
        query[draw(st.text(min_size=1, max_size=8))] = [draw(hostile)]
    return query


def path_segment(valid: st.SearchStrategy) -> st.SearchStrategy[str]:
    return valid | st.text(min_size=1).map(lambda t: quote(t, safe="")) | long_digits.map(lambda t: quote(t, safe=""))


@pytest.mark.parametrize("page", PAGES)
def test_every_dashboard_page(dashboard, stored, page):
    valid = page_values(stored)

    @FUZZ
    @given(query=page_query(PAGES[page], valid), chart=path_segment(st.sampled_from(CHARTS)),
           run_id=path_segment(valid["run"]))
    def fuzz(query, chart, run_id):
        path = page.format(chart=chart, id=run_id)
        r = send("GET", f"{dashboard.url}{path}?{query_string(query)}", f"dashboard {page}")
        assert_answered(r, page)

    fuzz()
