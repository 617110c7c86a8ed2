"""The parts every verdict is made of: a rule written once as data, figures that carry their
repeats (median and range), the noise test, and how per-scope outcomes add up.

A rule's thresholds live in ``Rule.limits``; its text is rendered from the same numbers, so
the page can never show one threshold while the code applies another.
"""
from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from typing import Iterable

SUPPORTED, PARTLY, REFUTED, INCONCLUSIVE = "supported", "partly supported", "refuted", "inconclusive"
OUTCOMES = (SUPPORTED, PARTLY, REFUTED, INCONCLUSIVE)


@dataclass(frozen=True)
class Rule:
    """How a verdict is decided: ``text`` with ``{name}`` placeholders, filled from ``limits``."""

    text: str
    limits: dict[str, float]

    def __getitem__(self, name: str) -> float:
        return self.limits[name]

    def render(self) -> str:
        return self.text.format(**self.limits)


def median(values: Iterable[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return statistics.median(present) if present else None


def spread(values: Iterable[float | None]) -> float | None:
    """max - min over repeats; None with fewer than two repeats (noise unknown)."""
    present = [v for v in values if v is not None]
    return (max(present) - min(present)) if len(present) >= 2 else None


def within_noise(a: list[float | None], b: list[float | None]) -> bool:
    """True when the medians differ by less than the larger spread of the repeats. With one
    repeat the spread is unknown: the figures stand as they are and the verdict is provisional."""
    sa, sb = spread(a), spread(b)
    if sa is None and sb is None:
        return False
    ma, mb = median(a), median(b)
    return ma is not None and mb is not None and abs(ma - mb) <= max(sa or 0, sb or 0)


def versus_limit(values: list[float | None], limit: float, at_least: bool = True) -> str:
    """A figure against a threshold: SUPPORTED if its median meets it, REFUTED if not, and
    INCONCLUSIVE when there are no values or the repeats fall on both sides of the limit."""
    present = [v for v in values if v is not None]
    if not present:
        return INCONCLUSIVE
    if len(present) >= 2 and min(present) < limit <= max(present):
        return INCONCLUSIVE
    m = statistics.median(present)
    return SUPPORTED if (m >= limit if at_least else m <= limit) else REFUTED


def ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


@dataclass
class Figure:
    """One figure over the repeats of a run: shown as the median with its range."""

    label: str
    values: list[float | None]
    unit: str = ""
    digits: int = 0
    scale: float = 1.0  # e.g. 1 / 2**20 to show bytes as MiB
    statement: str | None = None  # a figure that is a sentence, not a number (see text_figure)

    @property
    def median(self) -> float | None:
        m = median(self.values)
        return None if m is None else m * self.scale

    @property
    def low(self) -> float | None:
        present = [v for v in self.values if v is not None]
        return min(present) * self.scale if present else None

    @property
    def high(self) -> float | None:
        present = [v for v in self.values if v is not None]
        return max(present) * self.scale if present else None

    @property
    def n(self) -> int:
        return sum(1 for v in self.values if v is not None)

    def text(self) -> str:
        if self.statement is not None:
            return self.statement
        if self.median is None:
            return "n/a"
        value = f"{self.median:,.{self.digits}f}{self.unit}"
        if self.n >= 2 and self.low != self.high:
            value += f" (range {self.low:,.{self.digits}f}–{self.high:,.{self.digits}f}, n={self.n})"
        elif self.n >= 2:
            value += f" (n={self.n})"
        return value

    def as_dict(self) -> dict:
        return {"label": self.label, "value": self.text(), "median": self.median, "low": self.low,
                "high": self.high, "n": self.n, "unit": self.unit.strip()}


def text_figure(label: str, value: str) -> Figure:
    """A figure that is a statement, not a number (e.g. the configuration that won a sweep)."""
    return Figure(label, [], statement=value)


@dataclass
class Scope:
    """One place a claim was tested (a workload, a load level, a part of the claim) and its outcome."""

    name: str
    outcome: str
    why: str


def combine(scopes: list[Scope], what: str = "") -> tuple[str, str]:
    """Add up per-scope outcomes: supported everywhere -> supported; refuted everywhere ->
    refuted; nothing known -> inconclusive; anything else -> partly, naming where it held."""
    known = [s for s in scopes if s.outcome != INCONCLUSIVE]
    if not known:
        return INCONCLUSIVE, f"no {what or 'scope'} gave a conclusive result"
    names = {o: [s.name for s in scopes if s.outcome == o] for o in OUTCOMES}
    unknown = f"; inconclusive on {', '.join(names[INCONCLUSIVE])}" if names[INCONCLUSIVE] else ""
    if all(s.outcome == SUPPORTED for s in known):
        return (SUPPORTED if not unknown else PARTLY), f"holds on {', '.join(names[SUPPORTED])}{unknown}"
    if all(s.outcome == REFUTED for s in known):
        return (REFUTED if not unknown else PARTLY), f"does not hold on {', '.join(names[REFUTED])}{unknown}"
    parts = []
    if names[SUPPORTED]:
        parts.append(f"holds on {', '.join(names[SUPPORTED])}")
    if names[PARTLY]:
        parts.append(f"partly on {', '.join(names[PARTLY])}")
    if names[REFUTED]:
        parts.append(f"not on {', '.join(names[REFUTED])}")
    return PARTLY, "; ".join(parts) + unknown


@dataclass
class Judged:
    """One framework's outcome under a claim's rule: the verdict itself (Django, the lab's
    subject), or a framework judged beside it by the same rule (FastAPI)."""

    outcome: str
    why: str
    figures: list[Figure] = field(default_factory=list)
    scopes: list[Scope] = field(default_factory=list)


@dataclass
class Beside:
    """A framework judged by the verdict's own rule on its own cells, shown beside the verdict
    (a second badge) without changing it; ``needs``: the command that produces its data."""

    framework: str
    outcome: str
    why: str
    needs: str = ""


@dataclass
class Verdict:
    claim: str
    verdict: str
    rule: str
    why: str
    figures: list[Figure] = field(default_factory=list)
    run_id: int | None = None
    suite: str = ""
    experiment_run_ids: list[int] = field(default_factory=list)
    chart: dict | None = None
    needs: str = ""  # the command that produces evidence
    repeats: int = 0  # the most repeats any variant of its evidence has (1: every figure is one sample)
    scopes: list[Scope] = field(default_factory=list)  # per workload / level / part
    compared: list[dict] = field(default_factory=list)  # configurations in a sweep, the strongest marked
    note: str = ""  # what the reader must know to read the figures right
    beside: list[Beside] = field(default_factory=list)  # other frameworks under the same rule (FastAPI)

    @property
    def provisional(self) -> bool:
        """One repeat: the spread is unknown, so no difference can be told from noise."""
        return self.verdict != INCONCLUSIVE and self.repeats < 2

    def as_dict(self) -> dict:
        return {"claim": self.claim, "verdict": self.verdict, "provisional": self.provisional,
                "repeats": self.repeats, "rule": self.rule, "why": self.why, "note": self.note,
                "figures": [f.as_dict() for f in self.figures], "run_id": self.run_id, "suite": self.suite,
                "scopes": [s.__dict__ for s in self.scopes], "compared": self.compared,
                "experiment_run_ids": self.experiment_run_ids, "chart": self.chart, "needs": self.needs,
                "beside": [b.__dict__ for b in self.beside]}


def bar(title: str, unit: str, labels: list[str], datasets: dict[str, list[float | None]]) -> dict:
    return {"type": "bar", "title": title, "unit": unit, "labels": labels,
            "datasets": [{"label": name, "data": data} for name, data in datasets.items()]}


def outcome_by_threshold(value: float | None, supported_at: float, partly_at: float) -> str:
    """For "higher is stronger" figures: >= supported_at, >= partly_at, else refuted."""
    if value is None:
        return INCONCLUSIVE
    return SUPPORTED if value >= supported_at else PARTLY if value >= partly_at else REFUTED

