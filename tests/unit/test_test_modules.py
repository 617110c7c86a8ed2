"""The test modules' names are unique across tests/: the test directories are not packages, so
pytest imports each module by its bare name, and a second module of the same name anywhere in the
tree stops the whole run at collection (a fresh clone's `make test` once did)."""
from __future__ import annotations

from collections import Counter
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]


def test_no_two_test_modules_share_a_name():
    names = Counter(p.name for p in TESTS.rglob("test_*.py") if "__pycache__" not in p.parts)
    assert names and not [n for n, k in names.items() if k > 1], [n for n, k in names.items() if k > 1]
