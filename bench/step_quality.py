"""What one measured step can be trusted for: its precision, whether its window was stationary,
and whether the load generator's core had room. Pure functions of the recorder's result document.

- **Precision.** Throughput per second is autocorrelated (a slow second is followed by another),
  so the spread of single seconds understates the error of their mean. Batch means is the
  standard answer: cut the window into a few equal batches, treat the batch means as roughly
  independent, and take a Student-t interval over them. The interval's half-width, as a share of
  the mean, says how small an effect the step can resolve; a rule that needs to tell 5 % apart
  cannot rest on a step whose interval is ±8 %.
- **Stationarity.** A warm-up that was too short shows as a trend: the window's second half
  serves more (or less) than its first. The change between halves is recorded per step.
- **The generator's core.** Locust's own CPU misses a generator starved by another process on
  its core (PostgreSQL is not pinned). The kernel's scheduler statistics do not: the time a
  Locust process spent runnable but waiting for a CPU. A busy core alone proves nothing (Locust
  may not have wanted more); waiting for it does. The core's busy share is recorded beside it.
- **The server's core.** The server is pinned, but nothing keeps others off its core: PostgreSQL,
  the runner's own sampler, another benchmark or test suite. The core's busy share less the
  server's own CPU is what others took from it; recorded for every pinned step, and a step of an
  experiment that needs the core to itself is invalid when others took a quarter of it.
"""
from __future__ import annotations

import math
import statistics
from dataclasses import asdict, dataclass

GENERATOR_SATURATED = "load generator saturated"  # how every generator-limited step's reason begins
# Two-sided 95 % Student-t quantiles by degrees of freedom (batches - 1).
T95 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306, 9: 2.262}
BATCHES = 5  # few enough that each batch spans seconds, enough for a usable t quantile
# A generator process that spent this share of the window runnable but waiting for a CPU was held
# back by whatever else ran on its core (PostgreSQL is not pinned): its requests left late.
GENERATOR_RUNQUEUE_LIMIT = 10.0
STATIONARY_CHANGE = 10.0  # % between the window's halves beyond which the window was still moving
# Others' share of the server's core (the core's busy share less the server's own CPU) from which
# a step that needs the core to itself is invalid: a quarter of the core was not the server's.
SERVER_CORE_FOREIGN_LIMIT = 25.0


@dataclass(frozen=True)
class StepQuality:
    completions: int  # requests of the key endpoint completed in the window
    seconds: int  # whole seconds in the per-second series
    rps_mean: float | None
    rps_ci_pct: float | None  # 95 % batch-means half-width, % of the mean; None: too short to tell
    halves_change_pct: float | None  # second half's mean RPS against the first half's, %
    generator_core_busy_pct: float | None  # mean busy share of the generator's cores
    generator_core_peak_pct: float | None  # busiest second of those cores
    generator_process_peak_pct: float | None  # busiest second of the busiest Locust process
    generator_runqueue_pct: float | None = None  # mean share of the window the busiest Locust process waited for a CPU
    server_core_busy_pct: float | None = None  # mean busy share of the server's core(s), whoever used it
    server_core_foreign_pct: float | None = None  # of which not the server's own processes
    upstream_stub_cpu_pct: float | None = None  # the upstream stub's CPU over the step (C15), 100 = one core
    # the least busy worker's share of all workers' CPU over the step (%), when there were several:
    # keep-alive connections can all land on one worker, and then "more workers" measures one
    worker_cpu_least_share_pct: float | None = None
    # lengthened by the runner until its interval resolved its rule's effect (bench.runner._measure):
    # the effect (%), how long it was finally measured (s), and True if it still did not resolve it
    resolve_pct: float | None = None
    measured_for_s: float | None = None
    imprecise: bool | None = None

    @property
    def stationary(self) -> bool | None:
        return None if self.halves_change_pct is None else abs(self.halves_change_pct) <= STATIONARY_CHANGE

    def resolves(self, effect_pct: float) -> bool | None:
        """Whether the step is precise enough to tell an effect of ``effect_pct`` % apart."""
        return None if self.rps_ci_pct is None else self.rps_ci_pct < effect_pct

    def as_dict(self) -> dict:
        return {**asdict(self), "stationary": self.stationary}


def per_second(result: dict, endpoint: str) -> list[float]:
    """Completions per whole second of ``endpoint`` (the last, partial second left out)."""
    points = [p for p in result.get("timeseries", []) if p.get("name") == endpoint]
    whole = [p for p, nxt in zip(points, points[1:]) if nxt["t"] - p["t"] >= 0.5]  # drop the trailing stub
    return [float(p["requests"]) for p in whole]


def batch_means_ci(values: list[float], batches: int = BATCHES) -> float | None:
    """Half-width of a 95 % interval on the mean of ``values`` by batch means, as % of the mean."""
    size = len(values) // batches
    if size < 1 or batches < 2:
        return None
    means = [statistics.fmean(values[k * size:(k + 1) * size]) for k in range(batches)]
    centre = statistics.fmean(means)
    if centre <= 0:
        return None
    half = T95[batches - 1] * statistics.stdev(means) / math.sqrt(batches)
    return 100 * half / centre


def halves_change(values: list[float]) -> float | None:
    if len(values) < 4:
        return None
    mid = len(values) // 2
    first, second = statistics.fmean(values[:mid]), statistics.fmean(values[mid:])
    return None if first <= 0 else 100 * (second - first) / first


def generator_waited(result: dict) -> float | None:
    """The mean share of the window the most-delayed Locust process spent waiting for a CPU (%)."""
    series = [p.get("generator_runqueue_pct") for p in (result.get("machine") or {}).get("series") or []]
    present = [v for v in series if v is not None]
    return round(statistics.fmean(present), 1) if present else None


def generator_core(result: dict) -> tuple[float | None, float | None, float | None]:
    """(mean busy %, busiest second %) of the generator's cores, and the busiest Locust process's
    busiest second; None where the recorder did not sample the machine."""
    machine = result.get("machine") or {}
    series, cores = machine.get("series") or [], machine.get("generator_cpus") or []
    if not series or not cores:
        return None, None, None
    per_second_busy = [statistics.fmean(p["cpu_busy"][c] for c in cores if c < len(p["cpu_busy"])) for p in series]
    return (round(statistics.fmean(per_second_busy), 1), round(max(per_second_busy), 1),
            max(p["generator_max_process"] for p in series))


def server_core_load(result: dict, cpus: tuple[int, ...], server_cpu_pct: float | None) -> dict:
    """The server's core(s) over the window, from the recorder's per-second machine series and the
    server's own CPU (the sampler's mean, 100 = one core): {"cpus", "busy_pct", "foreign_pct"}."""
    series = (result.get("machine") or {}).get("series") or []
    per_second = [statistics.fmean(p["cpu_busy"][c] for c in cpus) for p in series
                  if all(c < len(p["cpu_busy"]) for c in cpus)]
    if not per_second or not cpus:
        return {}
    busy = statistics.fmean(per_second)
    foreign = None if server_cpu_pct is None else max(0.0, busy - server_cpu_pct / len(cpus))
    return {"cpus": list(cpus), "busy_pct": round(busy, 1), "foreign_pct": None if foreign is None else round(foreign, 1)}


def crowded_server(quality: StepQuality) -> str:
    """The reason a step that needs the server's core to itself is invalid, or ""."""
    foreign = quality.server_core_foreign_pct
    if foreign is not None and foreign >= SERVER_CORE_FOREIGN_LIMIT:
        return (f"the server's core was shared: other processes used {foreign:.0f} % of it (limit "
                f"{SERVER_CORE_FOREIGN_LIMIT:.0f} %; the core {quality.server_core_busy_pct:.0f} % busy in all)")
    return ""


def busiest_endpoint(result: dict) -> str:
    """The endpoint the step loads: the one with the most completions, the light probe aside."""
    loaded = [e for e in result.get("endpoints", []) if e.get("name") != "probe"] or result.get("endpoints", [])
    return max(loaded, key=lambda e: e["requests"]).get("name", "") if loaded else ""


def assess(result: dict, key_endpoint: str | None = None) -> StepQuality:
    key_endpoint = key_endpoint or busiest_endpoint(result)
    values = per_second(result, key_endpoint)
    completions = sum(e["requests"] for e in result.get("endpoints", []) if e.get("name") == key_endpoint)
    busy, peak, process_peak = generator_core(result)
    return StepQuality(completions=completions, seconds=len(values),
                       rps_mean=statistics.fmean(values) if values else None, rps_ci_pct=batch_means_ci(values),
                       halves_change_pct=halves_change(values), generator_core_busy_pct=busy,
                       generator_core_peak_pct=peak, generator_process_peak_pct=process_peak,
                       generator_runqueue_pct=generator_waited(result),
                       server_core_busy_pct=(result.get("server_core") or {}).get("busy_pct"),
                       server_core_foreign_pct=(result.get("server_core") or {}).get("foreign_pct"),
                       upstream_stub_cpu_pct=result.get("upstream_stub_cpu_pct"),
                       worker_cpu_least_share_pct=least_share(result.get("worker_cpu_s")),
                       resolve_pct=(result.get("precision") or {}).get("resolve_pct"),
                       measured_for_s=(result.get("precision") or {}).get("measured_for_s"),
                       imprecise=(result.get("precision") or {}).get("imprecise"))


def least_share(seconds: dict | None) -> float | None:
    """The smallest of the workers' shares of their summed CPU seconds (%); None for one worker or none."""
    values = list((seconds or {}).values())
    total = sum(values)
    if len(values) < 2 or total <= 0:
        return None
    return round(100 * min(values) / total, 1)


def starved_generator(quality: StepQuality) -> str:
    """The reason a step is invalid because its generator waited for a CPU, or ""."""
    waited = quality.generator_runqueue_pct
    if waited is not None and waited >= GENERATOR_RUNQUEUE_LIMIT:
        busy = quality.generator_core_busy_pct
        return (f"{GENERATOR_SATURATED}: a Locust process waited for a CPU {waited:.0f} % of the window (limit "
                f"{GENERATOR_RUNQUEUE_LIMIT:.0f} %; its core(s) were "
                f"{'?' if busy is None else f'{busy:.0f}'} % busy, PostgreSQL and anything else counted)")
    return ""
