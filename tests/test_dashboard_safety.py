"""The dashboard's own deployment against hostile input: ids parsed strictly (a 400 naming the
parameter, never a 5xx)."""
from __future__ import annotations

import pytest
import requests

from bench.models import Run
from dashboard.ids import ID_MAX
from tests.synthetic import make_curves_run
from tests.test_curves_page import hockey_stick

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
