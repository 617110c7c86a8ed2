"""What a claim's judge reads of each repeat's step: a figure per repeat, a ``None`` where the step
lacks it (never an exception, never a guess), and the provenance every card carries. Shared by the
judges of C1-C8 (``judging.workers_one_core`` ... ``judging.light_coroutines``)."""
from __future__ import annotations

from typing import Callable

from bench.evidence import Evidence, Measured
from judging.core import (INCONCLUSIVE, Rule, Verdict)


MiB = 2**20


def no_data(claim: str, rule: Rule, experiments: str, suite: str = "quick") -> Verdict:
    return Verdict(claim, INCONCLUSIVE, rule.render(), f"no valid data yet for {experiments}",
                   needs=f"manage.py bench --suite {suite} --only {claim}")


def per_repeat(ms: list[Measured], f: Callable[[Measured], float | None]) -> list[float | None]:
    """Each repeat's figure, at its repeat number's place: a repeat the cell lacks (an invalid step
    left out by the reader) is a None there, so that ``paired`` meets repeat i of one cell with repeat
    i of the other, never with the next one. Arithmetic on a figure the step lacks (None) gives None,
    never an exception; a misspelt attribute is an AttributeError, never a quietly missing figure."""
    def value(m: Measured) -> float | None:
        try:
            return f(m)
        except (TypeError, ZeroDivisionError):
            return None

    numbers = [m.experiment_run.repeat for m in ms]
    if len(set(numbers)) != len(numbers) or any(n is None or n < 0 for n in numbers):
        return [value(m) for m in ms]  # not one step per repeat: the order given
    found = {n: value(m) for n, m in zip(numbers, ms)}
    return [found.get(n) for n in range(max(numbers, default=-1) + 1)]


def main_rps(m: Measured) -> float | None:
    main = m.main_endpoint()
    return main.rps if main is not None else None


def provenance(ev: Evidence) -> dict:
    return {"run_id": ev.run.id, "suite": ev.run.suite, "experiment_run_ids": ev.experiment_run_ids,
            "repeats": ev.repeats}


def rps_of(name: str) -> Callable[[Measured], float | None]:
    return lambda m: m.rps(name)


def p99_of(name: str) -> Callable[[Measured], float | None]:
    return lambda m: m.p(name)


def server_cpu(m: Measured) -> float | None:
    return m.mean("cpu_percent")


def listed(values: list[float | None], unit: str = "") -> str:
    return ", ".join("n/a" if v is None else f"{v:,.0f}{unit}" for v in values) or "none"


def listed_ratios(ratios: list[float | None]) -> str:
    return ", ".join("n/a" if r is None else f"{r:.2f}x" for r in ratios) or "no data"
