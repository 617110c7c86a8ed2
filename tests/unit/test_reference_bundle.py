"""The reference bundle's file (``results.reference``), without the database: the same runs give the
same bytes, a run is keyed by its uid, each run names the machine it was measured on, and a file
that is not a bundle of that shape is refused with one line saying why."""
from __future__ import annotations

import json
import lzma

import pytest

from results import reference
from results.reference import BUNDLE_FORMAT, ONE_MACHINE_FORMAT, Bundle, BundleError, describe_machine, machine_of, pack, unpack

MACHINE = {"cpu_model": "Test CPU", "cpu_count": 2, "memory_bytes": 8 * 2**30, "kernel": "6.1.0"}


def export(uid: str, started: str, machine: dict = MACHINE, **extra) -> dict:
    """The parts of a run export the bundle itself reads (each run is checked whole on import)."""
    return {"uid": uid, "started_at": started, "suite": "push", "status": "completed", "options": {"repeat": 2},
            "environment": {**machine, "python": "3.13.0", "packages": {"Django": "6.1"}}, **extra}


A = export("00000000-0000-4000-8000-00000000000a", "2026-01-02T00:00:00+00:00")
B = export("00000000-0000-4000-8000-00000000000b", "2026-01-01T00:00:00+00:00")


def xz(document) -> bytes:
    return lzma.compress(json.dumps(document).encode())


def test_runs_are_kept_oldest_first_and_a_run_added_again_replaces_itself():
    bundle = Bundle((), ()).with_run(A).with_run(B)
    assert bundle.uids == [B["uid"], A["uid"]]
    again = bundle.with_run({**A, "note": "re-exported"})
    assert again.uids == bundle.uids and again.runs[1]["note"] == "re-exported"


OTHER = {**MACHINE, "cpu_model": "Other CPU", "cpu_count": 4}
C = export("00000000-0000-4000-8000-00000000000c", "2026-01-03T00:00:00+00:00", OTHER)


def test_a_run_of_another_machine_brings_its_machine_and_each_run_says_which_it_was():
    bundle = Bundle((), ()).with_run(A).with_run(C)
    assert bundle.machines == (MACHINE, OTHER)
    assert [bundle.machine_of_run(r) for r in bundle.runs] == [0, 1]
    assert unpack(pack(bundle)) == bundle
    # replacing the only run of a machine by one measured elsewhere leaves no machine without a run
    moved = bundle.with_run({**C, "environment": A["environment"]})
    assert moved.machines == (MACHINE,)


def test_a_run_that_does_not_record_its_machine_cannot_join():
    with pytest.raises(BundleError, match="does not record its machine"):
        Bundle((), ()).with_run({**A, "environment": {"python": "3.13.0"}})


def test_a_one_machine_bundle_of_the_first_format_still_reads():
    old = unpack(xz({"format": ONE_MACHINE_FORMAT, "machine": MACHINE, "runs": [A, B]}))
    assert old.machines == (MACHINE,) and old.uids == [A["uid"], B["uid"]]
    assert json.loads(lzma.decompress(pack(old)))["format"] == BUNDLE_FORMAT  # written in the new one


def test_the_same_runs_give_the_same_bytes_and_read_back_whole():
    one, two = Bundle((), ()).with_run(A).with_run(B), Bundle((), ()).with_run(B).with_run(A)
    assert pack(one) == pack(two)
    assert unpack(pack(one)) == one


@pytest.mark.parametrize("raw, says", [
    (b"not xz at all", "not an xz file"),
    (xz({"format": "djlab-run/1", "machines": [MACHINE], "runs": []}), "format"),
    (xz({"format": BUNDLE_FORMAT, "machines": [MACHINE], "runs": [], "extra": 1}), "unknown key"),
    (xz({"format": BUNDLE_FORMAT, "machines": [{**MACHINE, "cpu_count": "2"}], "runs": []}), r"machines\[0\].cpu_count"),
    (xz({"format": BUNDLE_FORMAT, "machines": [], "runs": []}), "machines"),
    (xz({"format": BUNDLE_FORMAT, "machines": [MACHINE, MACHINE], "runs": [A]}), "listed twice"),
    (xz({"format": BUNDLE_FORMAT, "machines": [MACHINE], "runs": [{**A, "environment": {}}]}), "bundle's machines"),
    (xz({"format": BUNDLE_FORMAT, "machines": [MACHINE], "runs": [C]}), "bundle's machines"),
    (xz({"format": ONE_MACHINE_FORMAT, "machine": MACHINE, "runs": [C]}), "bundle's machines"),
    (xz({"format": BUNDLE_FORMAT, "machines": [MACHINE], "runs": [A, A]}), "share a uid"),
    (xz({"format": BUNDLE_FORMAT, "machines": [MACHINE], "runs": [A]})[:-20], "cut short"),
])
def test_a_file_that_is_not_a_bundle_is_refused_with_one_line(raw, says):
    with pytest.raises(BundleError, match=says):
        unpack(raw)


def test_what_a_file_unpacks_to_is_bounded(monkeypatch):
    monkeypatch.setattr(reference, "MAX_UNPACKED", 1000)
    with pytest.raises(BundleError, match="more than"):
        unpack(lzma.compress(b" " * 5000))


def test_the_machine_is_described_from_its_own_figures():
    assert machine_of(A["environment"]) == MACHINE
    assert describe_machine(MACHINE) == "Test CPU, 2 cores, 8.0 GiB memory, Linux 6.1.0"
