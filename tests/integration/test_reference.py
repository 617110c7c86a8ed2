"""The repository's reference bundle in the store: imported once however often it is imported,
marked as the reference machine's and never taken for the user's own runs, shown beside the
user's cards on the claims page, and the source of docs/findings.md, which must be exactly what
``manage.py findings`` makes of the committed bundle (editing either alone fails here)."""
from __future__ import annotations

import io
import os
import json

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from bench import store
from results import reference
from results.runs import reference_runs, verdict_runs
from bench.models import REFERENCE_MARK, Run
from dashboard.findings import FINDINGS, render
from tests.synthetic import make_run
from tests.unit.test_reference_bundle import MACHINE


@pytest.fixture(scope="module")
def bundle() -> reference.Bundle:
    return reference.read(reference.REFERENCE_BUNDLE)


@pytest.fixture
def imported(bundle):
    """The committed bundle's runs in the store, for one test (the test database is shared: the
    dashboard's tests count the cards of a store without them)."""
    done = reference.import_bundle(bundle)
    yield done
    reference.runs_of(bundle).delete()


def _command(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_the_committed_findings_are_what_the_committed_bundle_gives(bundle, imported, tmp_path):
    out = tmp_path / "findings.md"
    _command("findings", "--out", str(out))  # as the maintainers regenerate it
    if os.environ.get("LAB_WRITE_FINDINGS") == "1":  # a store whose own runs are the bundle's cannot: this can
        FINDINGS.write_text(out.read_text(encoding="utf-8"), encoding="utf-8")
    assert out.read_text(encoding="utf-8") == FINDINGS.read_text(encoding="utf-8"), (
        "docs/findings.md differs from what the reference bundle gives: run manage.py findings --out docs/findings.md")


def test_the_bundle_holds_what_the_findings_say(bundle, imported):
    """The suites it holds and the claims it has no data for are said from the data."""
    text = render(bundle)
    suites = sorted({r["suite"] for r in bundle.runs})
    assert f"The bundle holds runs of the suites {', '.join(suites)};" in text
    for uid in bundle.uids:
        assert f"| {uid} |" in text
    assert "## No reference data yet" in text and "| C1 " in text


def test_importing_twice_adds_nothing_and_marks_every_run_as_the_reference_machines(bundle, imported):
    assert [d.new for d in imported] == [True] * len(bundle.runs)
    ids = sorted(d.run.id for d in imported)
    again = _command("reference", "--import")
    assert again.count("already in the store") == len(bundle.runs)
    runs = reference.runs_of(bundle)
    assert sorted(runs.values_list("id", flat=True)) == ids
    assert all(r.is_reference and r.imported_from.startswith(REFERENCE_MARK) for r in runs)
    assert set(Run.objects.reference().values_list("id", flat=True)) >= set(ids)
    assert not set(verdict_runs().values_list("id", flat=True)) & set(ids)  # never the user's own
    assert set(reference_runs().values_list("id", flat=True)) == {
        r.id for r in runs if r.status == Run.COMPLETED}


def test_no_other_import_can_pass_for_the_reference_machine(bundle):
    document = bundle.runs[-1]
    with pytest.raises(store.RunImportError, match="kept for the reference bundle"):
        store.import_run(json.dumps(document), source=REFERENCE_MARK + "mine.json")
    assert not Run.objects.filter(uid=document["uid"]).exists()


def test_claims_page_shows_the_reference_card_alone_where_the_user_has_no_run(bundle, imported):
    page = Client(HTTP_HOST="127.0.0.1").get("/dashboard/claims/").content.decode()
    held = [c for c in ("C8", "C14", "C15") if f'id="reference-{c}"' in page]
    assert held == ["C8", "C14", "C15"]
    c14 = page[page.index('data-claim="C14"'):page.index('data-claim="C15"')]
    assert c14.count("<article") == 1 and "Reference machine" in c14 and "No run of yours holds this claim yet" in c14
    assert reference.describe_machine(bundle.machines[0]) in c14
    c1 = page[page.index('data-claim="C1"'):page.index('data-claim="C2"')]
    assert c1.count("<article") == 1 and "Reference machine" not in c1  # no reference data: the user's card


def test_claims_page_shows_the_users_card_beside_the_reference(bundle, imported):
    """The user's own run of the same suite (a copy of the reference's, as if measured here):
    two cards, the user's first and unlabelled."""
    upstream = next(r for r in bundle.runs if r["suite"] == "upstream")
    own = store.import_run(json.dumps({**upstream, "uid": "00000000-0000-4000-8000-0000000000f1"}), source="own")
    Run.objects.filter(id=own.id).update(imported_from="")  # measured here
    try:
        page = Client(HTTP_HOST="127.0.0.1").get("/dashboard/claims/").content.decode()
        c15 = page[page.index('data-claim="C15"'):]
        c15 = c15[:c15.index("</article>", c15.index('id="reference-C15"'))]
        assert c15.count("<article") == 2
        assert c15.index('id="C15"') < c15.index('id="reference-C15"')
        assert "No run of yours" not in c15 and f"From run #{own.id} " in c15
    finally:
        own.delete()


def test_make_refuses_an_imported_run(imported, tmp_path):
    with pytest.raises(CommandError, match="was imported"):
        _command("reference", "--make", "--runs", str(imported[0].run.id), "--out", str(tmp_path / "b.json.xz"))


def test_a_bundle_is_made_and_grown_from_runs_measured_here(tmp_path):
    """--make, then --add: a run added again replaces itself; importing the bundle into the store
    that measured its runs adds nothing (their uids are there already)."""
    one, two = make_run("reference-test", {}), make_run("reference-test", {})
    path = tmp_path / "runs.json.xz"
    try:
        with pytest.raises(CommandError, match="does not record its machine"):
            _command("reference", "--make", "--runs", str(one.id), "--out", str(path))
        Run.objects.filter(id__in=[one.id, two.id]).update(environment=MACHINE)
        _command("reference", "--make", "--runs", str(one.id), "--out", str(path))
        with pytest.raises(CommandError, match="exists"):
            _command("reference", "--make", "--runs", str(one.id), "--out", str(path))
        _command("reference", "--add", str(two.id), "--out", str(path))
        _command("reference", "--add", str(two.id), "--out", str(path))
        made = reference.read(path)
        assert made.uids == [str(one.uid), str(two.uid)]
        assert [d.new for d in reference.import_bundle(made)] == [False, False]
        assert not Run.objects.filter(uid__in=made.uids).reference().exists()
        Run.objects.filter(id=two.id).update(status=Run.ABORTED)
        with pytest.raises(CommandError, match="only a completed run"):
            _command("reference", "--add", str(two.id), "--out", str(path))
    finally:
        Run.objects.filter(id__in=[one.id, two.id]).delete()


def test_the_reference_machines_runs_are_named_so_where_they_are_listed_or_picked(imported):
    client = Client(HTTP_HOST="127.0.0.1")
    run = imported[0].run
    listing = client.get("/dashboard/runs/").content.decode()
    row = next(r for r in listing.split("<tr>") if f'href="/dashboard/runs/{run.id}/"' in r)
    assert ">reference machine</span>" in row
    picked = client.get(f"/dashboard/claims/?run={run.id}").content.decode()
    assert f"Run #{run.id} is one of the <b>reference machine</b>" in picked
    assert f'<option value="{run.id}" selected>run #{run.id} · {run.suite}' in picked
    assert "· reference machine</option>" in picked
    assert 'class="card reference"' not in picked  # its cards are the picked run's own, not a second column
