"""Query-string parameters: parsed strictly, once, for every view flavour and framework.

A value out of range is refused (400), never clamped: a benchmark that silently ran a
different workload than asked is worse than one that failed.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Protocol

from workloads.errors import ApiError
from workloads.numbers import int_in_range


@dataclass(frozen=True)
class IntParam:
    name: str
    default: int
    low: int
    high: int

    def parse(self, raw: str) -> int:
        return int_in_range(self.name, raw, self.low, self.high)


@dataclass(frozen=True)
class ChoiceParam:
    name: str
    default: str
    choices: tuple[str, ...]

    def parse(self, raw: str) -> str:
        if raw not in self.choices:
            raise ApiError(400, f"parameter {self.name!r} must be one of {', '.join(self.choices)}, "
                                f"got {raw!r}")
        return raw


Param = IntParam | ChoiceParam


class Query(Protocol):
    """A multi-valued query string: Django's ``QueryDict`` or Starlette's ``QueryParams``."""

    def __iter__(self) -> Iterator[str]: ...  # each name once

    def getlist(self, key: str) -> list[str]: ...


def parse_query(query: Query, params: tuple[Param, ...]) -> SimpleNamespace:
    """Parse the query string against the declared parameters; unknown names are refused
    too, so a typo (``?sm=100``) cannot quietly run the default workload."""
    known = {p.name for p in params}
    unknown = sorted(set(query) - known)
    if unknown:
        allowed = ", ".join(sorted(known)) or "none"
        raise ApiError(400, f"unknown parameter(s) {', '.join(unknown)}; allowed: {allowed}")
    values = {}
    for p in params:
        raws = query.getlist(p.name)
        if len(raws) > 1:
            raise ApiError(400, f"parameter {p.name!r} given {len(raws)} times")
        values[p.name] = p.parse(raws[0]) if raws else p.default
    return SimpleNamespace(**values)
