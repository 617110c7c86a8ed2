"""Run and experiment-run ids in a query string (``?run=``, ``?e=``): the lab's strict integer
parser (``workloads.numbers``), bounded by the id column.

``str.isdigit()`` let through digits ``int()`` then refused ("²": a 500), and ``int()`` itself
takes what is not an id ("５", " 1", "1_0"). Ids are PostgreSQL ``bigint`` (``BigAutoField``):
one past its range is refused with the range rather than looked up. Path ids (``<int:run_id>``)
need nothing of this: Django's converter matches ASCII digits only, and a lookup past the
column's range finds nothing (a 404).
"""
from __future__ import annotations

from workloads.numbers import int_in_range

ID_MAX = 2**63 - 1  # bigint's largest value


def parse_id(name: str, raw: str) -> int:
    return int_in_range(name, raw, 1, ID_MAX)
