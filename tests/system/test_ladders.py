"""The ladders: the bottom rungs (a bare ASGI callable and a Starlette app) answer like
Django's ASGI views, every ladder cell is defined by the catalogue and run by a suite, and the
ladders page's figures follow from stored runs (synthetic ones here, made by hand)."""
from __future__ import annotations

import subprocess
import sys

import pytest
import requests
from django.test import Client

from bench import ladders as L
from bench.models import Run
from bench.suites import LADDER_SUITES, SUITES, experiments_named
from groundwork.database import BASE_DIR
from dashboard import ladders as DL
from judging import ladders as D
from results.runs import latest_evidence
from tests.conftest import launch
from tests.synthetic import V, endpoint, make_run, only, sample
from workloads.catalogue import DB_READ, without_orm
from workloads.errors import ApiError

# --- the bottom rungs on real servers ------------------------------------------------------------

REFERENCE_SERVERS = ("bare-asgi", "starlette")


@pytest.fixture(scope="module", params=REFERENCE_SERVERS)
def reference(request, database):
    with launch(request.param, workers=1) as running:
        yield running


@pytest.mark.parametrize("prefix", ["api", "async"])
@pytest.mark.parametrize("path,query", [("ping", {}), ("db/read", {"driver": "native"}), ("db/read", {})])
def test_same_status_and_fields_as_django_asgi(reference, uvicorn, prefix, path, query):
    answers = []
    for running in (uvicorn, reference):
        r = requests.get(f"{running.url}/{prefix}/{path}", params=query, timeout=10)
        assert r.headers["Content-Type"] == "application/json", r.text
        answers.append((r.status_code, r.json()))
    (django_status, django_body), (status, body) = answers
    if path == "db/read" and not query:  # the default driver: Django's is the ORM, theirs native
        assert (django_body["driver"], body["driver"]) == ("orm", "native")
    assert status == django_status == 200
    assert set(body) == set(django_body) and body["view"] == "async"


@pytest.mark.parametrize("path", ["/api/whoami", "/api/nothing", "/sync/ping", "/api/ping/"])
def test_anything_else_is_a_json_404(reference, path):
    r = requests.get(reference.url + path, timeout=10)
    assert r.status_code == 404
    assert r.json() == {"error": f"no endpoint at {path}"}


def test_bad_input_gets_the_catalogues_errors(reference, uvicorn):
    for query in ("x=1", "driver=native&driver=native"):
        theirs, django = (requests.get(f"{s.url}/api/db/read?{query}", timeout=10) for s in (reference, uvicorn))
        assert theirs.status_code == django.status_code == 400
        assert theirs.json() == django.json()
    orm = requests.get(f"{reference.url}/api/db/read?driver=orm", timeout=10)
    with pytest.raises(ApiError) as refused:
        without_orm(DB_READ).params[0].parse("orm")
    assert (orm.status_code, orm.json()) == (400, {"error": refused.value.message})
    post = requests.post(f"{reference.url}/api/ping", timeout=10)
    assert (post.status_code, post.headers["Allow"]) == (405, "GET, HEAD")


def test_wrong_host_is_refused(reference):
    r = requests.get(f"{reference.url}/api/ping", headers={"Host": "evil.example"}, timeout=10)
    assert r.status_code == 400 and "ALLOWED_HOSTS" in r.json()["error"]


@pytest.mark.parametrize("server", REFERENCE_SERVERS)
def test_serve_knows_the_reference_servers(server):
    out = subprocess.run([sys.executable, "manage.py", "serve", server, "--check", "--port", "8123"], cwd=BASE_DIR,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "--lifespan on" in out.stdout and f"fastapi_app.{'bare' if server == 'bare-asgi' else 'starlette_app'}" \
        in out.stdout


# --- the catalogue -------------------------------------------------------------------------------

def test_every_ladder_cell_is_run_by_a_suite():
    in_suites = {id(v) for suite in SUITES.values() for e in suite for v in e.variants}
    cells = [*(L.tax_variant(r, w, h) for r in L.RUNGS for w in L.TAX_WORKLOADS for h in (False, True)
               if L.serves(r, w) and (r.django or not h)),
             *(L.db_variant(p, e, h) for p in L.DB_PATHS for e in L.DB_ENDPOINTS for h in (False, True)),
             *(L.tweak_variant(t, r, w) for t in L.TWEAKS for r in L.DJANGO_ASGI_RUNGS for w in L.TWEAK_WORKLOADS)]
    assert cells and all(id(v) in in_suites for v in cells)
    for experiment in L.LADDERS_FULL:  # each name's definitions are the ones the pages ask for
        assert experiments_named(experiment.name)
    assert all(L.baseline(L.tweak_variant(t, r, w)) in L.TAX_SATURATION.variants
               for t in L.TWEAKS for r in L.DJANGO_ASGI_RUNGS for w in L.TWEAK_WORKLOADS)


def test_hop_instruments_are_variants_of_their_own():
    """The instrument must not move the headline: no uninstrumented cell carries it."""
    for experiment in L.LADDERS_FULL:
        for v in experiment.variants:
            assert (L.HOPS_ENV[0] in v.env) == v.label.endswith("hops counted"), v.label
    assert not any(L.HOPS_ENV[0] in v.env for v in L.TAX_SATURATION.variants)


def test_quick_share_is_small_and_the_fixed_rate_is_open_loop():
    from bench.runner import BenchRunner, RunnerOptions

    runner = BenchRunner(RunnerOptions(suite="quick", experiments=L.LADDERS_QUICK), out=lambda line: None)
    assert sum(runner.estimate_s(runner.plan())) <= 40
    assert all(e in SUITES["quick"] for e in L.LADDERS_QUICK) and "ladders" in LADDER_SUITES
    for experiment in (L.TAX_RATE_PING, L.TAX_RATE_DB):
        assert experiment.open_loop and experiment.arrivals == "poisson" and not experiment.probe
    assert L.DB_LADDER.probe and L.DB_LADDER.scenario == L.DB_SCENARIO


# --- the data module, from synthetic runs ---------------------------------------------------------

@pytest.fixture(autouse=True)
def forget_synthetic_runs():
    yield
    Run.objects.filter(suite="synthetic").delete()


ASGI = {"server": "uvicorn", "workers": 1, "threads": None, "interface": "asgi"}
WSGI = {"server": "gunicorn", "workers": 1, "threads": 8, "interface": "wsgi"}
# One request of Django's async ping, instrumented: 0.5 ms in the app, 2 hops costing 0.05 + 0.05 ms to
# cross, 0.1 ms in the signals (one of those crossings, 0.05 ms, inside them).
HOPS_TIMING = {"s2a_n": 2, "s2a_dispatch": 0.05, "s2a_return": 0.05, "a2s_n": 0, "a2s_dispatch": 0.0,
               "a2s_return": 0.0, "signals": 0.1, "app": 0.5}


def saturated(rps: float, cpu: float, name: str = "ping", deployment=ASGI) -> V:
    return V({name: endpoint(rps, 5.0)}, deployment=deployment, samples=[sample(cpu_percent=cpu)] * 3,
             users=L.SATURATION_USERS)


def test_cpu_per_request_is_server_cpu_over_served_requests():
    run = make_run(L.TAX_SATURATION.name, {L.tax_variant(L.DJANGO_ASYNC, L.PING): saturated(1000, 60.0)})
    table = DL.read_tax_table(L.PING, only(run))
    row = next(r for r in table.rows if r.rung == L.DJANGO_ASYNC.name)
    assert row.cpu_us.median == pytest.approx(600.0)  # 60 % of a core / 1000 requests/s
    assert row.rps.median == 1000 and row.server_cpu.median == 60.0  # 60 %: not saturated, RPS a lower bound
    assert row.parts == {D.PARTS[3]: pytest.approx(600.0)}  # no hop data: shown whole, "not split"
    assert D.NEEDS_LADDERS in table.needs


def test_stacked_parts_come_from_the_instrumented_twin_and_sum_to_the_total():
    sat = make_run(L.TAX_SATURATION.name, {L.tax_variant(L.DJANGO_ASYNC, L.PING): saturated(1000, 60.0),
                                           L.tax_variant(L.BARE, L.PING): saturated(10000, 90.0)})
    # The twin at the fixed rate: its CPU per request (1000 µs) does not enter the split, its app time does.
    paced = make_run(L.TAX_RATE_PING.name, {
        L.tax_variant(L.DJANGO_ASYNC, L.PING): V({"ping": endpoint(300, 4.0)}, deployment=ASGI,
                                                 samples=[sample(cpu_percent=20.0)], users=1),
        L.tax_variant(L.DJANGO_ASYNC, L.PING, hops=True): V({"ping": endpoint(300, 4.0, timing=HOPS_TIMING)},
                                                            deployment=ASGI, samples=[sample(cpu_percent=30.0)],
                                                            users=1)})
    table = DL.read_tax_table(L.PING, only(sat, paced))
    django = next(r for r in table.rows if r.rung == L.DJANGO_ASYNC.name)
    hops, signals, rest = (django.parts[p] for p in D.PARTS[:3])
    assert hops == pytest.approx(0.20 * 600)  # 0.1 ms of the app's 0.5 ms: 20 % of the uninstrumented 600 µs
    assert signals == pytest.approx(0.10 * 600)  # 0.1 ms minus the one crossing inside it: 10 %
    assert hops + signals + rest == pytest.approx(600.0)
    assert django.hops.median == 2 and django.p99_at_rate.median == 4.0
    bare = next(r for r in table.rows if r.rung == L.BARE.name)
    assert bare.parts == {D.PARTS[2]: pytest.approx(90.0)} and bare.hops.text() == "none: no Django, no bridge"
    chart = table.chart
    assert chart["stacked"] and set(chart["labels"]) == {L.DJANGO_ASYNC.name, L.BARE.name}
    for i, label in enumerate(chart["labels"]):
        total = next(r for r in table.rows if r.rung == label).cpu_us.median
        assert sum(d["data"][i] or 0 for d in chart["datasets"]) == pytest.approx(total)


def test_shares_past_the_whole_are_scaled_down_together():
    shares = D.HopShares(crossings_ms=0.9, signals_ms=0.3, app_ms=0.6)  # 150 % + 50 %
    parts = D.split(100.0, [shares])
    assert parts[D.PARTS[0]] == pytest.approx(75.0) and parts[D.PARTS[1]] == pytest.approx(25.0)
    assert parts[D.PARTS[2]] == pytest.approx(0.0)


def test_wsgi_signals_contain_no_crossing():
    run = make_run(L.TAX_RATE_PING.name, {L.tax_variant(L.GTHREAD, L.PING, hops=True): V(
        {"ping": endpoint(300, 2.0, timing={**HOPS_TIMING, "s2a_n": 0, "s2a_dispatch": 0.0, "s2a_return": 0.0})},
        deployment=WSGI, samples=[sample(cpu_percent=6.0)], users=1)})
    (m,) = latest_evidence(L.TAX_RATE_PING, only(run)).get(L.tax_variant(L.GTHREAD, L.PING, hops=True))
    shares = D.HopShares.of(m, "ping")
    assert (shares.crossings_ms, shares.signals_ms, shares.app_ms) == (0.0, 0.1, 0.5)
    assert shares.fractions() == (0.0, pytest.approx(0.2))


def test_db_ladder_and_tweak_gains():
    db = make_run(L.DB_LADDER.name, {
        L.db_variant(L.ASYNC_ORM, "db/read"): V({"db/read": endpoint(500, 40.0), "probe": endpoint(10, 30.0)},
                                                deployment=ASGI, samples=[sample(cpu_percent=51.0,
                                                                                 loop_lag_ms={"1": 4.0})]),
        L.db_variant(L.NATIVE_ASYNC, "db/read"): V({"db/read": endpoint(990, 20.0), "probe": endpoint(10, 5.0)},
                                                   deployment=ASGI, samples=[sample(cpu_percent=50.0)])})
    table = DL.read_db_table("db/read", only(db))
    orm = next(r for r in table.rows if r.path == L.ASYNC_ORM.name)
    assert orm.cpu_us.median == pytest.approx(1000.0)  # 51 % / (500 + 10 probe) requests/s
    assert (orm.probe_p99.median, orm.loop_lag.median) == (30.0, 4.0)
    assert orm.hops.median is None and table.needs == [D.NEEDS_LADDERS]  # no hop-instrumented run
    figures = {f.label: f for f in DL.async_orm_cost_figures(only(db))}
    assert figures[f"DB ladder (run #{db.id}) db/read: async ORM / raw psycopg async, CPU per request"].median == pytest.approx(2.0)

    rung, workload = L.DJANGO_ASYNC, L.PING
    tweaked = L.tweak_variant(L.REUSE_THREAD, rung, workload)
    run = make_run(L.TWEAK_LADDER.name, {tweaked: saturated(1500, 60.0)})
    table = DL.read_tweak_table(only(run))
    assert next(r for r in table.rows if r.tweak == L.REUSE_THREAD.name).rps_gain_pct is None  # no baseline
    shipped = make_run(L.TAX_SATURATION.name, {L.tax_variant(rung, workload): saturated(1000, 60.0)})
    shipped.experiments.all().update(run=run)  # the baseline must come from the tweaks' own run
    row = next(r for r in DL.read_tweak_table(only(run)).rows if r.tweak == L.REUSE_THREAD.name
               and r.rung == rung.name and r.workload == workload)
    assert row.rps_gain_pct == pytest.approx(50.0) and row.cpu_saving_pct == pytest.approx(100 / 3)


def test_missing_data_names_the_command_not_a_500():
    page = DL.ladders_page(Run.objects.none())
    assert D.NEEDS_QUICK in page["tax"][0].needs and page["tweaks"].needs == [D.NEEDS_LADDERS]
    client = Client(HTTP_HOST="127.0.0.1")
    empty = make_run("nothing", {})
    response = client.get(f"/dashboard/ladders/?run={empty.id}")
    assert response.status_code == 200
    assert b"manage.py bench --suite quick" in response.content
    assert b"manage.py bench --suite ladders" in response.content
    assert client.get("/dashboard/data/ladders?table=nope").status_code == 400


def test_the_page_renders_a_stored_run_with_its_chart():
    run = make_run(L.TAX_SATURATION.name, {L.tax_variant(L.DJANGO_ASYNC, L.PING): saturated(1000, 60.0)})
    client = Client(HTTP_HOST="127.0.0.1")
    page = client.get(f"/dashboard/ladders/?run={run.id}")
    assert page.status_code == 200
    html = page.content.decode()
    assert L.DJANGO_ASYNC.name in html and 'data-claim-chart="ladder-ping"' in html and "600 µs" in html
    assert 'href="/dashboard/ladders/"' in client.get("/dashboard/").content.decode()  # in the nav
    rows = client.get(f"/dashboard/data/ladders?table=tax&run={run.id}").json()["rows"]
    assert any(r["rung"] == L.DJANGO_ASYNC.name and r["cpu_us_per_request"] == pytest.approx(600.0) for r in rows)
    csv = client.get(f"/dashboard/data/ladders?table=db&format=csv&run={run.id}")
    assert csv.content.decode().startswith("endpoint,path,driver")


def test_c8_card_shows_the_async_orm_costs_without_changing_its_rule():
    from dashboard.cards import verdict_c8
    from tests.synthetic import make_grid_run
    from tests.unit.grid_cells import THREADS, UVICORN_1W, grid_of

    sleep = make_grid_run(grid_of({THREADS: 4_000, UVICORN_1W: 1_000}))
    before = verdict_c8(only(sleep))
    assert not any(f.label.startswith("DB ladder") for f in before.figures)  # no ladder run: nothing added
    db = make_run(L.DB_LADDER.name, {
        L.db_variant(path, "db/read"): V({"db/read": endpoint(rps, 10.0)}, samples=[sample(cpu_percent=50.0)])
        for path, rps in ((L.ASYNC_ORM, 500), (L.NATIVE_ASYNC, 1000), (L.ASYNC_BACKEND, 800))})
    after = verdict_c8(only(sleep, db))
    added = {f.label: f.median for f in after.figures if f.label.startswith("DB ladder")}
    where = f"DB ladder (run #{db.id}) db/read"  # each borrowed figure names the run it came from
    assert added[f"{where}, {L.ASYNC_ORM.name}: CPU per request"] == pytest.approx(1000.0)
    assert added[f"{where}, {L.ASYNC_BACKEND.name}: CPU per request"] == pytest.approx(625.0)
    assert added[f"{where}: async ORM / raw psycopg async, CPU per request"] == pytest.approx(2.0)
    # the rule decides as before: the ladder's figures are shown, never judged
    assert after.verdict == before.verdict
    assert [(x.name, x.outcome) for x in after.scopes] == [(x.name, x.outcome) for x in before.scopes]
