"""The dashboard's own deployment against hostile input and hostile pages: ids parsed strictly
(a 400 naming the parameter, never a 5xx); the security headers and a strict
Content-Security-Policy on every answer (a page, a JSON error, Django's 404, a page that failed
with a 500), no inline script for that policy to block; and CSV downloads a spreadsheet cannot run
as formulas."""
from __future__ import annotations

import csv
import io
import re

import pytest
import requests
from django.utils import timezone

from bench.models import Run
from config.dashboard_headers import SECURITY_HEADERS
from dashboard.csv_cells import csv_cell
from dashboard.ids import ID_MAX
from tests.synthetic import V, endpoint, make_curves_run, make_run
from tests.system.test_curves_page import hockey_stick

PAST_BIGINT = str(ID_MAX + 1)
LONG = "9" * 4000  # past any bound, within Gunicorn's request line (4,094 bytes): the dashboard answers


@pytest.fixture(autouse=True)
def forget_synthetic_runs():
    """Synthetic runs exist for one test only: the other dashboard tests must not see them."""
    yield
    Run.objects.filter(experiments__scenario="synthetic").delete()


@pytest.fixture
def curves_run() -> Run:
    return make_curves_run({("gthread", "ping"): hockey_stick()})


# Query ids and the distribution's step: "²" was a 500 (str.isdigit() accepts it, int() does not),
# "５", " 1" and "1_0" were read as numbers; each on every page that reads one.
@pytest.mark.parametrize("page,name", [
    ("/dashboard/?run=", "run"), ("/dashboard/claims/?run=", "run"), ("/dashboard/ladders/?run=", "run"),
    ("/dashboard/data/claims?run=", "run"), ("/dashboard/data/ladders?run=", "run"),
    ("/dashboard/data/curves?run=", "run"), ("/dashboard/compare/?run=", "run"), ("/dashboard/compare/?e=", "e"),
    ("/dashboard/data/compare/summary?e=", "e"), ("/dashboard/data/curves/distribution?workload=ping&step=", "step"),
])
def test_a_malformed_id_is_a_400_naming_the_parameter(dashboard, curves_run, page, name):
    for value in ("²", "５", "--1", " 1", "1_0", PAST_BIGINT, LONG):
        r = requests.get(f"{dashboard.url}{page}{requests.utils.quote(value)}", timeout=10)
        assert r.status_code == 400, (value[:30], r.status_code, r.text[:300])
        assert f"'{name}'" in r.json()["error"], value[:30]


def assert_secured(r: requests.Response) -> None:
    for name, value in SECURITY_HEADERS.items():
        assert r.headers.get(name) == value, (r.url, r.status_code, name)


def test_the_policy_allows_nothing_inline_and_nothing_foreign():
    policy = dict(part.split(" ", 1) for part in SECURITY_HEADERS["Content-Security-Policy"].split("; "))
    assert policy["default-src"] == "'none'" and policy["script-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'" and policy["base-uri"] == "'none'"
    assert not any("unsafe" in value or "*" in value for value in policy.values()), policy


def test_security_headers_on_every_answer(dashboard, curves_run):
    answers = [
        (200, requests.get(f"{dashboard.url}/dashboard/?run={curves_run.id}", timeout=10)),
        (200, requests.get(f"{dashboard.url}/dashboard/static/dashboard.js", timeout=10)),
        (400, requests.get(f"{dashboard.url}/dashboard/claims/?run=x", timeout=10)),
        (405, requests.post(f"{dashboard.url}/dashboard/claims/", timeout=10)),
        (404, requests.get(f"{dashboard.url}/dashboard/no-such-page", timeout=10)),  # Django's own 404
        (404, requests.get(f"{dashboard.url}/dashboard/runs/999999999/", timeout=10)),  # Http404 from a view
    ]
    for status, r in answers:
        assert r.status_code == status, (r.url, r.status_code, r.text[:200])
        assert_secured(r)


def test_security_headers_on_a_page_that_failed(dashboard):
    """A stored row a page cannot read (what a bad import leaves) makes the runs page fail: its
    500 carries the headers too."""
    bad = Run.objects.create(suite="synthetic", status=Run.COMPLETED, started_at=timezone.now(),
                             environment=["not", "a", "mapping"])
    try:
        r = requests.get(f"{dashboard.url}/dashboard/runs/", timeout=10)
        assert r.status_code == 500, "premise: the runs page cannot read a list as its environment"
        assert "Traceback" not in r.text
        assert_secured(r)
    finally:
        bad.delete()


INLINE_HANDLER = re.compile(r"<[^>]*\son[a-z]+\s*=", re.IGNORECASE)
SCRIPT_TAG = re.compile(r"<script\b([^>]*)>", re.IGNORECASE)


@pytest.mark.parametrize("page", ["/dashboard/?run={run}", "/dashboard/claims/", "/dashboard/runs/",
                                  "/dashboard/ladders/", "/dashboard/reliability/", "/dashboard/runs/{run}/",
                                  "/dashboard/compare/?run={run}", "/dashboard/claims/?run={run}"])
def test_pages_carry_no_script_the_policy_would_block(dashboard, curves_run, page):
    """No inline event handler; every <script> loads a file of the dashboard's own or is a
    json_script data block (type application/json: never executed, so allowed)."""
    r = requests.get(dashboard.url + page.format(run=curves_run.id), timeout=10)
    assert r.status_code == 200, r.text[:300]
    assert not INLINE_HANDLER.search(r.text), INLINE_HANDLER.search(r.text).group(0)
    for attributes in SCRIPT_TAG.findall(r.text):
        assert 'src="/dashboard/static/' in attributes or 'type="application/json"' in attributes, attributes


def test_csv_cells_never_start_a_formula_and_numbers_stay_numbers(dashboard):
    """OWASP's CSV injection advice: a text cell starting with = + - @ tab or CR gets a leading
    quote; a number, negative ones included, is written as it is."""
    hostile = {"=HYPERLINK(\"http://evil.example\")": "=cmd|' /C calc'!A0", "@SUM(1+1)": "+1+1",
               "-2+3": "\tTAB", "\rCR": "-1"}
    variants = {label: V({name: endpoint(100.0, 5.0)}) for label, name in hostile.items()}
    variants["slower"] = V({name: endpoint(50.0, 9.0) for name in hostile.values()})
    run = make_run("csv-injection", variants)
    r = requests.get(f"{dashboard.url}/dashboard/data/compare/summary?run={run.id}&format=csv", timeout=10)
    assert r.status_code == 200 and r.headers["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.DictReader(io.StringIO(r.text, newline="")))
    assert rows, r.text
    for row in rows:
        for column, cell in row.items():
            if cell[:1] in ("=", "+", "@", "\t", "\r") or (cell.startswith("-") and not _is_number(cell)):
                pytest.fail(f"{column}: {cell!r} would run as a formula")
    endpoints = {row["endpoint"] for row in rows}
    assert {"'=cmd|' /C calc'!A0", "'+1+1", "'\tTAB", "-1"} <= endpoints, endpoints  # "-1" is a number
    assert any(row["series"].startswith("'=HYPERLINK") for row in rows)
    assert any(row["series"].startswith("'-2+3") for row in rows)  # looks numeric, is a formula
    slower = [row for row in rows if row["series"].startswith("slower")]
    assert slower and all(float(row["rps_diff_pct"]) == -50.0 and row["rps_diff_pct"] == "-50.0" for row in slower)


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


@pytest.mark.parametrize("value,written", [
    ("=1+1", "'=1+1"), ("+1+1", "'+1+1"), ("-1+1", "'-1+1"), ("@A1", "'@A1"), ("\tx", "'\tx"), ("\rx", "'\rx"),
    ("-1", "-1"), ("-1.5e3", "-1.5e3"), ("+2", "+2"), (-3, -3), (-0.25, -0.25), ("a=1", "a=1"), ("", ""), (None, None),
])
def test_csv_cell(value, written):
    assert csv_cell(value) == written
