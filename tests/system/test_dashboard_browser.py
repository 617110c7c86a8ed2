"""The dashboard in real headless Chromium (Debian's, driven by Playwright): the front page's
comparison of the stacks, the runs list, a run, a comparison and the claims page over stored
results, with no console errors and charts drawn with data; plus the empty state.
Screenshots land in test-artifacts/."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from django.db import connection
from playwright.sync_api import sync_playwright

from groundwork.database import BASE_DIR, TEST_DATABASE_ENV
from dashboard.cards import VERDICTS
from deploy.databases import drop_database, ensure_database
from tests.conftest import ARTIFACTS, launch

pytestmark = pytest.mark.slow  # Locust, whole bench runs, faults or a browser: left out by make test-fast

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SHOTS = ARTIFACTS / "screenshots"


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield b
        b.close()


def visit(browser, url: str, shot: str):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    response = page.goto(url)
    assert response.status == 200, url
    wait_until(page, "document.body.dataset.chartsReady !== undefined")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{shot}.png"), full_page=True)
    return page, errors


def wait_until(page, expression: str, timeout_s: float = 20) -> None:
    """Poll ``expression`` in the page until it is true. Not ``page.wait_for_function``: that
    compiles its predicate with eval inside the page, which the dashboard's Content-Security-Policy
    refuses, as it refuses any other eval."""
    deadline = time.monotonic() + timeout_s
    while not page.evaluate(expression):
        assert time.monotonic() < deadline, f"still false after {timeout_s} s: {expression}"
        page.wait_for_timeout(50)


def charts(page) -> list[dict]:
    return page.evaluate("window.labCharts")


def test_runs_list(browser, dashboard, smoke_run):
    page, errors = visit(browser, f"{dashboard.url}/dashboard/runs/", "runs")
    assert not errors
    assert page.locator(f"a[href='/dashboard/runs/{smoke_run.id}/']").count() == 1
    assert "smoke" in page.inner_text("table")


def test_run_page(browser, dashboard, smoke_run):
    page, errors = visit(browser, f"{dashboard.url}/dashboard/runs/{smoke_run.id}/", "run")
    assert not errors
    text = page.inner_text("main")
    assert "c3-blocking-in-async" in text and "c4-loops-per-worker" in text
    assert "uvicorn 1w io/blocking" in text


def test_compare_page_draws_every_chart_with_data(browser, dashboard, smoke_run):
    page, errors = visit(browser, f"{dashboard.url}/dashboard/compare/?run={smoke_run.id}", "compare")
    assert not errors
    assert page.evaluate("document.body.dataset.chartsReady") == "yes"
    drawn = charts(page)
    experiments = page.locator("details.experiment-charts[open]").count()
    assert experiments == 2 and len(drawn) == 9 * experiments  # small multiples: nine per experiment
    assert all(c["points"] > 0 for c in drawn), drawn
    assert page.locator("#summary tbody tr").count() >= 3


def curves_for_every_stack() -> int:
    """A stored curves run (synthetic rows) of every stack on ping and db/read, with PostgreSQL
    alone: each stack's hockey stick, its top step invalid because the generator saturated."""
    from bench import experiments as X
    from bench.curves import CURVE_STACKS
    from tests.synthetic import V, curve_step, decided, endpoint, make_curves_run, make_run

    cells = {}
    for i, stack in enumerate(CURVE_STACKS):
        for workload, base in (("ping", 1000), ("db/read", 300)):
            top = base * (1 + i / 2)
            obs = decided(stack, workload, top)
            cells[(stack, workload)] = [
                curve_step(workload, f * top, min(f, 0.97) * top, 1 + 3 * f ** 4, 4 + 150 * f ** 6, observations=obs,
                           valid=f < 1.1, reason="" if f < 1.1 else "load generator saturated: 97% of a core")
                for f in (0.25, 0.5, 0.75, 0.95, 1.2)]
    run = make_curves_run(cells)
    make_run(X.PG_ALONE.name, {X.PG_ALONE_SIMPLE: V({X.PGBENCH_ENDPOINT: endpoint(1500, 2)})}).experiments.update(run=run)
    return run.id


def test_the_front_page_compares_every_stack_per_workload(browser, dashboard):
    from bench.curves import CURVE_STACKS
    from bench.models import Run

    run_id = in_orm_thread(curves_for_every_stack)
    try:
        page, errors = visit(browser, f"{dashboard.url}/dashboard/?run={run_id}", "front")
        assert not errors, errors
        assert page.evaluate("document.body.dataset.chartsReady") == "yes"
        drawn = {c["id"]: c["points"] for c in charts(page)}
        for workload in ("ping", "db/read"):
            # per stack: 4 valid steps for p99 and p50, plus the SLO line; a knee and its range; two distributions
            assert drawn[f"latency:{workload}"] == 2 * 4 * len(CURVE_STACKS) + 2
            assert drawn[f"knee:{workload}"] == 2 * len(CURVE_STACKS)
            assert drawn[f"distribution:{workload}"] > 2 * len(CURVE_STACKS) * 10
        assert page.locator("section.workload").count() == 2
        assert page.locator("#w-ping table.knees tbody tr").count() == len(CURVE_STACKS)
        assert "of PostgreSQL alone" in page.inner_text("#w-dbread")
        assert page.locator("#sweep tbody tr").count() == 2 * len(CURVE_STACKS)
        # another step of the distribution: the chart is drawn again from that step's histograms
        distribution = "Chart.getChart(document.querySelector('#w-ping canvas[data-curve=distribution]'))"
        assert "(step 3," in page.evaluate(f"{distribution}.data.datasets[0].label")  # each at its knee
        page.select_option("#w-ping select.step", "4")
        wait_until(page, f"{distribution}.data.datasets[0].label.includes('step 5,')")
        assert "INVALID" in page.evaluate(f"{distribution}.data.datasets[0].label")  # the generator saturated there
        assert not errors, errors
        # the SLO knob: a tighter one moves the knee down
        knees = page.locator("#w-ping td.knee").all_inner_texts()
        page.fill("input[name=slo]", "10")
        with page.expect_navigation():
            page.click("form.run-picker button")
        wait_until(page, "document.body.dataset.chartsReady !== undefined")
        assert not errors, errors
        tighter = page.locator("#w-ping td.knee").all_inner_texts()
        assert "Knee at p99 ≤ 10 ms" in page.inner_text("#w-ping")
        assert all(float(t.lstrip("≥ ")) < float(k.lstrip("≥ ")) for t, k in zip(tighter, knees, strict=True)), (knees, tighter)
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "front-slo-10.png"), full_page=True)
    finally:
        in_orm_thread(lambda: Run.objects.filter(id=run_id).delete())


def in_orm_thread(fn):
    """Run ``fn`` on a thread of its own: Playwright's sync API runs an event loop on this one,
    where Django refuses ORM calls."""
    def call():
        try:
            return fn()
        finally:
            connection.close()  # the thread's own connection, back to the pool

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(call).result()


def computed_verdict(claim: str, run_id: int | None = None) -> str:
    """The verdict as judging/verdicts.py computes it from the same stored runs the page reads."""
    from bench.models import Run

    return in_orm_thread(lambda: VERDICTS[claim](Run.objects.filter(id=run_id) if run_id else None).verdict)


def decisive_run() -> int:
    """A stored run on which C4 and C5 reach a verdict (synthetic rows, real store)."""
    from bench import experiments as X
    from tests.synthetic import V, endpoint, make_run, sample
    from tests.unit.cells import c5_variants, whoami_obs

    c4 = {v: V({"whoami": endpoint(1000, 5)}, deployment={"server": "uvicorn", "workers": 3},
               observations=whoami_obs([(1, 11, True), (2, 22, True), (3, 33, True)])) for v in X.C4.variants}
    run = make_run(X.C4.name, {**c4, **c5_variants(1.0, 300.0)})
    run.experiments.filter(variant__in=[v.label for v in X.C5.variants]).update(experiment=X.C5.name)
    return run.id


def test_claims_page(browser, dashboard, smoke_run):
    # no quick or full run stored: every card says inconclusive and what to run, and a smoke run decides nothing
    page, errors = visit(browser, f"{dashboard.url}/dashboard/claims/", "claims")
    assert not errors
    from dashboard.cards import VERDICTS

    assert page.locator("article.card").count() == len(VERDICTS)
    assert page.locator("#C4 header .verdict").inner_text() == computed_verdict("C4") == "inconclusive"
    assert "bench --suite quick --only" in page.inner_text("main")  # claims without data say what to run
    # a run the user picks: the page renders the verdicts computed from it, with their charts
    run_id = in_orm_thread(decisive_run)
    try:
        page, errors = visit(browser, f"{dashboard.url}/dashboard/claims/?run={run_id}", "claims-picked-run")
        assert not errors
        for claim in ("C4", "C5"):
            shown = page.locator(f"#{claim} header .verdict").inner_text()
            assert shown == computed_verdict(claim, run_id) == "supported", claim
            assert page.locator(f"#{claim} header .provisional").count() == 1  # one repeat
            assert f"From run #{run_id}" in page.locator(f"#{claim}").inner_text()
        assert page.locator("#C4 .rule").inner_text().startswith("Rule:")
        drawn = charts(page)
        assert len(drawn) >= 2 and all(c["points"] > 0 for c in drawn), drawn
    finally:
        from bench.models import Run

        in_orm_thread(lambda: Run.objects.filter(id=run_id).delete())


def ladder_run() -> int:
    """A stored tax ladder with Django's async ping split by its hop-instrumented twin."""
    from bench import ladders as L
    from tests.synthetic import V, endpoint, make_run, sample
    from tests.system.test_ladders import HOPS_TIMING, saturated

    run = make_run(L.TAX_RATE_PING.name, {L.tax_variant(L.DJANGO_ASYNC, L.PING, hops=True): V(
        {"ping": endpoint(300, 4.0, timing=HOPS_TIMING)}, samples=[sample(cpu_percent=30.0)], users=1)})
    make_run(L.TAX_SATURATION.name, {L.tax_variant(L.DJANGO_ASYNC, L.PING): saturated(1000, 60.0),
                                     L.tax_variant(L.BARE, L.PING): saturated(9000, 90.0)}
             ).experiments.all().update(run=run)
    return run.id


def test_ladders_page_draws_the_stacked_bar(browser, dashboard):
    run_id = in_orm_thread(ladder_run)
    try:
        page, errors = visit(browser, f"{dashboard.url}/dashboard/ladders/?run={run_id}", "ladders")
        assert not errors
        drawn = charts(page)
        assert [c["id"] for c in drawn] == ["ladder-ping"] and drawn[0]["points"] >= 4, drawn  # 2 rungs, 3 parts
        assert "manage.py bench --suite ladders" in page.inner_text("main")  # the cells this run lacks
        assert page.locator("nav a[href='/dashboard/ladders/']").count() == 1
    finally:
        from bench.models import Run

        in_orm_thread(lambda: Run.objects.filter(id=run_id).delete())


def test_picking_a_run_submits_the_form_under_the_content_security_policy(browser, dashboard):
    """The run picker's handler lives in dashboard.js, since the policy runs no inline handler:
    choosing a run loads the page for it, and the browser reports nothing refused."""
    from bench.models import Run
    from config.dashboard_headers import CONTENT_SECURITY_POLICY
    from tests.synthetic import make_curves_run
    from tests.system.test_curves_page import hockey_stick

    run_id = in_orm_thread(lambda: make_curves_run({("gthread", "ping"): hockey_stick()}).id)
    try:
        for path in ("/dashboard/claims/", "/dashboard/"):
            page, errors = visit(browser, f"{dashboard.url}{path}", "picker")
            assert page.evaluate("document.body.dataset.chartsReady") == "yes", path
            with page.expect_navigation() as navigation:
                page.select_option("select[name=run]", str(run_id))
            assert navigation.value.headers["content-security-policy"] == CONTENT_SECURITY_POLICY, path
            assert f"run={run_id}" in page.url, (path, page.url)
            wait_until(page, "document.body.dataset.chartsReady !== undefined")
            assert not errors, (path, errors)  # a refused inline handler or script is a console error
    finally:
        in_orm_thread(lambda: Run.objects.filter(id=run_id).delete())


def test_chart_data_downloads(dashboard, smoke_run):
    for chart in ("summary", "timeseries", "cdf", "server", "errors"):
        url = f"{dashboard.url}/dashboard/data/compare/{chart}?run={smoke_run.id}"
        assert requests.get(url, timeout=10).json()["rows"] is not None
        csv = requests.get(url + "&format=csv", timeout=10)
        assert csv.status_code == 200 and csv.headers["Content-Type"].startswith("text/csv")
    assert requests.get(f"{dashboard.url}/dashboard/data/claims?format=csv", timeout=10).text.startswith("claim,")
    assert requests.post(f"{dashboard.url}/dashboard/", timeout=10).status_code == 405


@pytest.fixture(scope="module")
def empty_lab(database):
    """A dashboard over a results store with no runs at all: a second database of the session's
    own, made empty (migrated, never written) and dropped afterwards."""
    empty = f"{database}_empty"
    ensure_database(empty)
    env = {**os.environ, TEST_DATABASE_ENV: empty}
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "--verbosity", "0"], cwd=BASE_DIR,
                   env=env, check=True, capture_output=True)
    try:
        with launch("gunicorn", extra_env={TEST_DATABASE_ENV: empty}, workers=1, threads=2,
                    app="dashboard") as running:
            yield running
    finally:
        drop_database(empty)


def test_empty_state_says_which_command_produces_a_run(browser, empty_lab):
    page, errors = visit(browser, f"{empty_lab.url}/dashboard/", "front-empty")
    assert not errors
    assert "No curves run yet" in page.inner_text("main")
    assert "manage.py bench --suite curves" in page.inner_text("#no-curves")
    page, errors = visit(browser, f"{empty_lab.url}/dashboard/runs/", "runs-empty")
    assert not errors
    assert "manage.py bench --suite quick" in page.inner_text("main")
    page, errors = visit(browser, f"{empty_lab.url}/dashboard/claims/", "claims-empty")
    assert not errors
    assert set(page.locator(".card .verdict").all_inner_texts()) == {"inconclusive"}


def test_the_report_file_opens_from_disk_offline_and_every_chart_draws(browser, smoke_run):
    """``manage.py bench --report`` writes one HTML file; opened from disk with the network
    cut off it draws every chart (data, styles and Chart.js are inside it)."""
    out = ARTIFACTS / f"report-run-{smoke_run.id}.html"
    out.unlink(missing_ok=True)  # a file of an earlier session (run ids start again with each test database)
    made = subprocess.run([sys.executable, "manage.py", "bench", "--report", str(smoke_run.id), "--out", str(out)],
                          cwd=BASE_DIR, capture_output=True, text=True, timeout=120)
    assert made.returncode == 0, made.stderr
    context = browser.new_context(offline=True)
    page = context.new_page()
    errors, outside = [], []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))

    def only_the_file(route):
        if route.request.url.startswith(("file:", "data:")):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", only_the_file)
    page.goto(out.as_uri())
    page.wait_for_function("document.body.dataset.chartsReady !== undefined", timeout=20_000)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "report-offline.png"), full_page=True)
    assert not errors and not outside, (errors, outside)
    assert page.evaluate("document.body.dataset.chartsReady") == "yes"
    drawn = charts(page)
    experiments = page.locator("section.experiment").count()
    per_experiment = [c for c in drawn if not c["id"].startswith("chart-")]  # the rest are verdict cards'
    assert experiments == 2 and len(per_experiment) == 4 * experiments  # four charts per smoke experiment
    assert all(c["points"] > 0 for c in drawn), drawn
    assert "taskset" in page.inner_text("main") or "python" in page.inner_text("main")  # the server commands
    context.close()


def test_a_scenario_started_in_the_locust_web_ui_reaches_the_server_and_the_dashboard(browser, uvicorn, dashboard):
    """A person's way in: Locust's web UI with the lab's locustfile. The custom parameters panel
    offers the knobs; a changed knob (io/sleep instead of C3's default io/blocking) reaches the
    server; stopping stores the run, which the dashboard lists as a web UI run."""
    from bench.models import Run
    from tests.system.test_locust_ui import web_ui

    before = in_orm_thread(lambda: set(Run.objects.filter(suite="webui").values_list("id", flat=True)))
    with web_ui("loadtests/lab.py", uvicorn.url, dashboard_url=dashboard.url) as url:
        page = browser.new_page(viewport={"width": 1400, "height": 1200})
        errors = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(url)
        page.get_by_text("Custom parameters").click()
        endpoint = page.locator('input[name="endpoint"]')
        endpoint.fill("io/sleep")
        page.locator('input[name="ms"]').fill("30")
        page.locator('input[name="userCount"]').fill("3")
        page.locator('input[name="spawnRate"]').fill("3")
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "locust-custom-parameters.png"), full_page=True)
        assert page.locator('#lab-links a[target="_blank"]').count() == 2
        page.locator('button[type="submit"]').click()
        page.wait_for_timeout(4000)
        page.get_by_role("button", name="Stop").click()
        page.wait_for_function("document.body.innerText.includes('STOPPED')", timeout=20_000)
        deadline = time.monotonic() + 60
        new = set()
        while time.monotonic() < deadline and not new:
            page.wait_for_timeout(500)
            new = in_orm_thread(lambda: set(Run.objects.filter(suite="webui").values_list("id", flat=True))) - before
        assert not errors, errors
    assert len(new) == 1, new
    run_id = new.pop()
    record = in_orm_thread(lambda: Run.objects.get(id=run_id).experiments.get())
    assert record.params["endpoint"] == "io/sleep" and record.params["scenario"] == "C3"
    names = in_orm_thread(lambda: set(record.steps.get().endpoints.values_list("name", flat=True)))
    assert "io/sleep" in names and "io/blocking" not in names  # the knob reached the server
    page, errors = visit(browser, f"{dashboard.url}/dashboard/runs/", "dashboard-with-web-ui-run")
    assert not errors
    row = page.locator(f"tr:has(a[href='/dashboard/runs/{run_id}/'])")
    assert "web UI" in row.inner_text() and "C3" in row.inner_text()
