"""Reading a grid of one run out of the store (the thousands-in-flight grid, ``bench.in_flight``;
the server-push grid, ``bench.server_push``), as typed records the judging reads without a query
(``judging.in_flight``, ``judging.server_push``).

Unlike ``bench.evidence``, which keeps valid steps only, the grid needs every cell's every
repeat with what became of it: measured, invalid (and why), out of scope (declared before it
ran) or failed. A cell that was not measured must say so on the heat map, never vanish.
"""
from __future__ import annotations

import statistics
from dataclasses import dataclass, field

from bench import in_flight as G
from bench.evidence import median
from bench.models import ExperimentRun, Run
from bench.validity import GENERATOR_CPU_LIMIT, InvalidKind
from bench.variant_keys import find_variant
from groundwork.names import GENERATOR_LAG, STREAM_LOST

MEASURED, INVALID, OUT_OF_SCOPE, FAILED = "measured", "invalid", "out of scope", "failed"
# Steps the general validity rule calls invalid that are, in the grid, what the server did: more
# failures than a benchmark step may have, or no request completed at all while the generator
# held its users (a server that takes N connections and answers none of them in the window). The
# held rule judges them: a stack that fails or answers nothing does not hold the cell. Unless the
# generator was saturated too: then nobody knows whose limit it was.
SERVER_OUTCOMES = (InvalidKind.FAILURES, InvalidKind.NOTHING)


@dataclass(frozen=True)
class CellRepeat:
    """One repeat of one cell: what the step measured, or why nothing was."""

    stack: str
    n: int
    wait_s: int
    neighbour: bool
    repeat: int
    status: str  # MEASURED, INVALID, OUT_OF_SCOPE, FAILED
    reason: str = ""
    rps: float | None = None
    p50_ms: float | None = None
    p99_ms: float | None = None
    requests: int = 0
    failures: int = 0
    uss_bytes: float | None = None  # median over the samples of the measured window (the hold)
    pss_bytes: float | None = None
    threads: int | None = None  # peak, over the server's processes
    processes: int | None = None
    server_cpu_pct: float | None = None  # mean, 100 = one core
    uss_idle_bytes: float | None = None  # the primed server before the load
    lost: int = 0  # streams that ended or broke before their last event (server push)
    generator_lag_p99_ms: float | None = None  # the subscriber process's own lateness (server push)
    stub_cpu_pct: float | None = None  # the upstream stub's CPU over the step (calls to another service)

    @property
    def ideal_rps(self) -> float:
        return self.n / self.wait_s


@dataclass
class GridEvidence:
    """The grid of one run, and what was measured before it in the same run."""

    run_id: int
    suite: str
    cells: list[CellRepeat] = field(default_factory=list)
    ping_rps: dict[str, list[float]] = field(default_factory=dict)  # stack -> saturated ping rate per repeat
    generator_capacity_rps: float | None = None
    limits: dict = field(default_factory=dict)  # deploy.limits.Limits as read by the runner

    def repeats_of(self, stack: str, n: int, wait_s: int, neighbour: bool = False) -> list[CellRepeat]:
        return sorted((c for c in self.cells if (c.stack, c.n, c.wait_s, c.neighbour) == (stack, n, wait_s, neighbour)),
                      key=lambda c: c.repeat)

    @property
    def repeats(self) -> int:
        return max((c.repeat + 1 for c in self.cells), default=0)


def _cell_of(grid: G.Grid, er: ExperimentRun) -> tuple[str, int, int, bool, str] | None:
    """(stack, n, wait, neighbour, the request name it is read by) of a stored cell (its row's
    experiment and its variant's key), through the catalogue's own objects."""
    row = next((r for r in grid.rows if r.name == er.experiment), None)
    variant = find_variant(row.variants, er.variant_key, er.variant) if row else None
    if variant is not None:
        key = variant.knobs.get("endpoint") or grid.key
        return grid.stack_of(variant).name, variant.users[0], row.wait_s, variant.neighbour, key
    return None


def _repeat(grid: G.Grid, er: ExperimentRun, where: tuple[str, int, int, bool, str]) -> CellRepeat:
    stack, n, wait, neighbour, key = where
    base = dict(stack=stack, n=n, wait_s=wait, neighbour=neighbour, repeat=er.repeat)
    if er.status == ExperimentRun.OUT_OF_SCOPE:
        return CellRepeat(**base, status=OUT_OF_SCOPE, reason=er.error)
    step = er.steps.order_by("index").prefetch_related("endpoints").first()
    if step is None:
        return CellRepeat(**base, status=FAILED, reason=er.error or "no step was stored")
    if not step.valid and (step.invalid_kind not in SERVER_OUTCOMES
                           or step.generator_cpu_max_process > GENERATOR_CPU_LIMIT):
        return CellRepeat(**base, status=INVALID, reason=step.invalid_reason)
    named = {e.name: e for e in step.endpoints.all()}
    endpoint = named.get(key)  # None: the server answered none of them (other names, e.g. the subscriber's
    # own loop lag, may still have been recorded): measured as nothing served, which the rules judge
    lost, own_lag = named.get(STREAM_LOST), named.get(GENERATOR_LAG)
    window = list(er.samples.filter(step_index=step.index))
    idle = er.samples.filter(step_index__isnull=True).order_by("t").first()
    return CellRepeat(
        **base, status=MEASURED, reason=step.invalid_reason, rps=endpoint.rps if endpoint else 0.0,
        p50_ms=endpoint.p50 if endpoint else None, p99_ms=endpoint.p99 if endpoint else None,
        requests=endpoint.requests if endpoint else 0, failures=endpoint.failures if endpoint else 0,
        uss_bytes=median(s.uss_bytes for s in window), pss_bytes=median(s.pss_bytes or None for s in window),
        threads=max((s.threads for s in window), default=None),
        processes=max((s.processes for s in window), default=None),
        server_cpu_pct=statistics.fmean(s.cpu_percent for s in window) if window else None,
        uss_idle_bytes=idle.uss_bytes if idle else None, lost=lost.failures if lost else 0,
        generator_lag_p99_ms=own_lag.p99 if own_lag else None,
        stub_cpu_pct=(step.quality or {}).get("upstream_stub_cpu_pct"))


def read_grid(run: Run, spec: G.Grid = G.IN_FLIGHT) -> GridEvidence | None:
    """The grid ``spec`` as ``run`` measured it; None when the run holds no cell of it."""
    rows = ExperimentRun.objects.filter(run=run, experiment__in=[r.name for r in spec.rows]).order_by("id")
    grid = GridEvidence(run.id, run.suite, limits=(run.environment or {}).get("limits") or {})
    for er in rows:
        where = _cell_of(spec, er)
        if where is not None:
            grid.cells.append(_repeat(spec, er, where))
    if not grid.cells:
        return None
    ping = spec.ping.name if spec.ping else None
    for er in ExperimentRun.objects.filter(run=run, experiment=ping) if ping else ():
        cell = find_variant(spec.ping.variants, er.variant_key, er.variant)
        stack = spec.stack_of(cell) if cell else None
        step = er.steps.filter(valid=True).prefetch_related("endpoints").first()
        rps = next((e.rps for e in step.endpoints.all() if e.name == "ping"), None) if step else None
        if stack and rps:
            grid.ping_rps.setdefault(stack.name, []).append(rps)
    capacities = []
    for er in ExperimentRun.objects.filter(run=run, experiment=G.CALIBRATION.name):
        step = er.steps.filter(valid=True).prefetch_related("endpoints").first()
        capacities += [e.rps for e in step.endpoints.all() if e.name == "ping"] if step else []
    grid.generator_capacity_rps = median(capacities)
    return grid
