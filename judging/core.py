"""The parts every verdict is made of: a rule written once as data, figures that carry their
repeats (median and range), the noise test, and how per-scope outcomes add up.

A rule's thresholds live in ``Rule.limits``; its text is rendered from the same numbers, so
the page can never show one threshold while the code applies another.
"""
from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from typing import Callable, Iterable

SUPPORTED, PARTLY, REFUTED, INCONCLUSIVE = "supported", "partly supported", "refuted", "inconclusive"
OUTCOMES = (SUPPORTED, PARTLY, REFUTED, INCONCLUSIVE)
DECIDED = (SUPPORTED, PARTLY, REFUTED)


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


def paired(a: list[float | None], b: list[float | None]) -> list[tuple[float, float]]:
    """Repeat i of one configuration against repeat i of the other: repeats interleave the compared
    configurations (A B A B), so the same index is the same stretch of the machine's time. A pair
    with a missing side is left out, never filled in."""
    return [(x, y) for x, y in zip(a, b) if x is not None and y is not None]


def classify_repeats(effects: list[float | None], classify: Callable[[float], str],
                     what: str = "effect") -> tuple[str, str, int]:
    """The outcome every repeat's effect agrees on, else INCONCLUSIVE with the count per outcome.

    This is the noise rule, and it cuts both ways: a support is only as firm as its weakest
    repeat, exactly as a refutation is; repeats that fall on both sides of a threshold (or in two
    bands) decide nothing. Returns (outcome, why, repeats that decided)."""
    present = [e for e in effects if e is not None]
    if not present:
        return INCONCLUSIVE, f"no repeat gave the {what}", 0
    outcomes = [classify(e) for e in present]
    if len(set(outcomes)) == 1:
        return outcomes[0], "", len(present)
    counts = ", ".join(f"{outcomes.count(o)} {o}" for o in OUTCOMES if o in outcomes)
    return INCONCLUSIVE, f"the repeats disagree ({counts})", len(present)


def banded(supported_at: float, partly_at: float | None = None) -> Callable[[float], str]:
    """A rule's bands for "higher is stronger" effects: >= supported_at supports, >= partly_at
    (when the rule has a middle band) supports partly, anything lower refutes."""
    def classify(value: float) -> str:
        if value >= supported_at:
            return SUPPORTED
        return PARTLY if partly_at is not None and value >= partly_at else REFUTED
    return classify


def versus_limit(values: list[float | None], limit: float, at_least: bool = True) -> str:
    """A figure against a threshold, repeat by repeat: SUPPORTED when every repeat meets it,
    REFUTED when every repeat misses it, INCONCLUSIVE when they straddle it or none exists."""
    meets = (lambda v: v >= limit) if at_least else (lambda v: v <= limit)
    return classify_repeats(values, lambda v: SUPPORTED if meets(v) else REFUTED)[0]


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
    repeats: int | None = None  # the repeats that decided it; None: the verdict's own count applies
    # False: the cell cannot decide anything by arithmetic or machine limits, which the design says
    # before the run; shown with its reason, never counted (not even as missing data)
    in_scope: bool = True
    # What an inconclusive scope could still turn out to be. Any decided outcome, unless the scope is
    # itself added up from parts some of which are decided (``possible_outcomes``): a part refuted
    # at one level can no longer hold at every level, whatever its undecided levels turn out to be.
    could_be: frozenset[str] = frozenset(DECIDED)

    def possible(self) -> frozenset[str]:
        return self.could_be if self.outcome == INCONCLUSIVE else frozenset((self.outcome,))

    def as_dict(self) -> dict:
        """What a card shows of the scope (``could_be`` only serves ``combine``; the text says it)."""
        return {"name": self.name, "outcome": self.outcome, "why": self.why, "repeats": self.repeats,
                "in_scope": self.in_scope}


def possible_outcomes(scopes: list[Scope]) -> frozenset[str]:
    """Every overall outcome the in-scope ``scopes`` could add up to, each undecided scope taking
    any outcome it could still turn out to be (``Scope.possible``). Added up, decided outcomes give
    supported when all are supported, refuted when all are refuted, and partly otherwise (a mix, or
    any scope that holds partly); nothing in scope gives nothing."""
    options = [s.possible() for s in scopes if s.in_scope]
    if not options:
        return frozenset()
    found = set()
    if all(SUPPORTED in o for o in options):
        found.add(SUPPORTED)
    if all(REFUTED in o for o in options):
        found.add(REFUTED)
    some_supported = [k for k, o in enumerate(options) if SUPPORTED in o]
    some_refuted = [k for k, o in enumerate(options) if REFUTED in o]
    if any(PARTLY in o for o in options) or any(i != j for i in some_supported for j in some_refuted):
        found.add(PARTLY)
    return frozenset(found)


def combine(scopes: list[Scope], what: str = "") -> tuple[str, str]:
    """Add up per-scope outcomes so that missing data never lifts (or sinks) a claim: the overall
    outcome is the one that would hold whatever the inconclusive scopes turned out to be
    (``possible_outcomes``), and inconclusive when they could still turn it either way.

    supported only if every scope is; refuted only if every scope is; partly supported when at
    least one scope holds and at least one does not (a scope that holds partly is both); anything
    else, e.g. supported here and unknown there, is inconclusive. The text names every outcome."""
    outside = [s.name for s in scopes if not s.in_scope]
    could = possible_outcomes(scopes)
    scopes = [s for s in scopes if s.in_scope]
    names = {o: [s.name for s in scopes if s.outcome == o] for o in OUTCOMES}
    told = [f"{label} {', '.join(names[o])}" for o, label in
            ((SUPPORTED, "holds on"), (PARTLY, "partly on"), (REFUTED, "not on"), (INCONCLUSIVE, "inconclusive on"))
            if names[o]]
    why = "; ".join(told) if told else f"no {what or 'scope'} was tested"
    if outside:
        why += f" ({', '.join(outside)}: out of scope)"
    return (next(iter(could)) if len(could) == 1 else INCONCLUSIVE), why


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
    repeats: int = 0  # the repeats of its evidence (1: every figure is one sample)
    scopes: list[Scope] = field(default_factory=list)  # per workload / level / part
    compared: list[dict] = field(default_factory=list)  # configurations in a sweep, the strongest marked
    note: str = ""  # what the reader must know to read the figures right
    beside: list[Beside] = field(default_factory=list)  # other frameworks under the same rule (FastAPI)
    heatmap: list[dict] = field(default_factory=list)  # a grid of cells per wait (C8), for the page's heat map

    @property
    def deciding_repeats(self) -> int:
        """The fewest repeats behind any scope that decided something (the verdict's own count
        for scopes that do not say): a verdict is only as firm as its thinnest deciding cell."""
        counts = [self.repeats if s.repeats is None else s.repeats for s in self.scopes
                  if s.outcome != INCONCLUSIVE and s.in_scope]
        return min(counts) if counts else self.repeats

    @property
    def provisional(self) -> bool:
        """A deciding cell rests on one repeat: its spread is unknown, so no difference it shows
        can be told from noise."""
        return self.verdict != INCONCLUSIVE and self.deciding_repeats < 2

    def as_dict(self) -> dict:
        return {"claim": self.claim, "verdict": self.verdict, "provisional": self.provisional,
                "repeats": self.repeats, "deciding_repeats": self.deciding_repeats, "rule": self.rule, "why": self.why, "note": self.note,
                "figures": [f.as_dict() for f in self.figures], "run_id": self.run_id, "suite": self.suite,
                "scopes": [s.as_dict() for s in self.scopes], "compared": self.compared,
                "experiment_run_ids": self.experiment_run_ids, "chart": self.chart, "needs": self.needs,
                "beside": [b.__dict__ for b in self.beside], "heatmap": self.heatmap}


def bar(title: str, unit: str, labels: list[str], datasets: dict[str, list[float | None]]) -> dict:
    return {"type": "bar", "title": title, "unit": unit, "labels": labels,
            "datasets": [{"label": name, "data": data} for name, data in datasets.items()]}


def outcome_by_threshold(value: float | None, supported_at: float, partly_at: float) -> str:
    """For "higher is stronger" figures: >= supported_at, >= partly_at, else refuted."""
    if value is None:
        return INCONCLUSIVE
    return SUPPORTED if value >= supported_at else PARTLY if value >= partly_at else REFUTED

