"""The ladders page's figures, computed from evidence already read; no query and no HTML here.

Each table is built from the evidence of one run (``dashboard.ladders`` reads it: the newest
completed run of a ladder suite that holds valid steps of its cells, or the run the user picked):
the quick suite measures only ``ping`` saturated on five rungs, so the other tables may come from
an older ``ladders`` or ``full`` run, and each table says which run it read.

**CPU per request** is the server's CPU over the step (the mean of its samples' ``cpu_percent``,
100 = one core) divided by the requests it served per second, in microseconds: what a request
costs whatever else the machine did, the figure the ladders read (RPS moves with a shared machine).

**The stacked bar** splits a rung's CPU per request (saturated, uninstrumented) into parts
measured by the rung's hop-instrumented twin (``LAB_COUNT_HOPS=1``, at the fixed rate, where
little queueing inflates the times): the hop crossings (``s2a``/``a2s`` dispatch + return), the
request signals besides the crossing they contain, and the rest. The instrument measures wall
time, which a shared core stretches (on the development machine a request's 1 ms of CPU took
4 ms in the app), so each part is taken as its *share of the request's time in the app*
(``app``), a ratio every phase's stretching leaves about alone, and that share of the
uninstrumented total is drawn. The parts add up to the total by construction (shares past
100 % are scaled down together). An approximation: the server's own time outside the app
(parsing, writing) is assumed to divide like the app's, so the crossings and signals are
slightly over-drawn, by the server's share of the total (~20 % for Django on Uvicorn).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from bench import ladders as L
from bench.evidence import Evidence, Measured
from judging.core import Figure, bar, median, ratio, text_figure

# Hop crossings inside the signals' own time, per interface, as shipped: under ASGI the sync
# receivers of ``request_started`` run in one hop inside its ``asend``, while ``request_finished``
# is sent inside the hop of ``response.close`` (that crossing lies outside the signal's time);
# under WSGI nothing hops. (config/hops.py; tests/test_asgi_tax.py counts them.)
SIGNAL_HOPS = {"asgi": 1, "wsgi": 0}
HOP_METRICS = ("s2a_dispatch", "s2a_return", "a2s_dispatch", "a2s_return")
PARTS = ("hop crossings", "signals", "rest", "not split (no hop data)")
NEEDS_QUICK = "manage.py bench --suite quick"
NEEDS_LADDERS = "manage.py bench --suite ladders"


# --- figures of one measured step ---------------------------------------------------------------

def cpu_us_per_request(m: Measured) -> float | None:
    """Server CPU (µs) per request served in the step, every endpoint counted (a probe too)."""
    cpu = m.mean("cpu_percent")
    served = sum(e.rps for e in m.endpoints.values())
    return cpu / 100 * 1e6 / served if cpu is not None and served else None


def mean_timing(m: Measured, endpoint: str, metric: str) -> float | None:
    """The mean of a Server-Timing metric per request (ms; for ``*_n``, a count)."""
    count, total = m.server_timing(endpoint, metric, "count"), m.server_timing(endpoint, metric, "sum_ms")
    return total / count if count and total is not None else None


def hops_per_request(m: Measured, endpoint: str) -> float | None:
    counts = [mean_timing(m, endpoint, metric) for metric in ("s2a_n", "a2s_n")]
    return None if None in counts else sum(counts)


def latency_p99(m: Measured, endpoint: str) -> float | None:
    """p99 in ms: from each request's intended start on an open-loop step, else as Locust measured it."""
    corrected = m.corrected("p99")
    return corrected if corrected is not None else m.p(endpoint)


@dataclass
class HopShares:
    """What one request spent in hop crossings and in the signals, against its time in the app
    (mean ms per request, all wall time)."""

    crossings_ms: float
    signals_ms: float
    app_ms: float

    @classmethod
    def of(cls, m: Measured, endpoint: str) -> "HopShares | None":
        times = [mean_timing(m, endpoint, metric) for metric in (*HOP_METRICS, "signals", "s2a_n", "app")]
        if None in times or not times[-1]:
            return None
        s2a_dispatch, s2a_return, a2s_dispatch, a2s_return, signals, s2a_n, app = times
        interface = (m.experiment_run.deployment or {}).get("interface", "asgi")
        per_s2a = (s2a_dispatch + s2a_return) / s2a_n if s2a_n else 0.0
        inside_signals = per_s2a * min(SIGNAL_HOPS.get(interface, 0), s2a_n)
        return cls(s2a_dispatch + s2a_return + a2s_dispatch + a2s_return, max(0.0, signals - inside_signals), app)

    def fractions(self) -> tuple[float, float]:
        hops, signals = self.crossings_ms / self.app_ms, self.signals_ms / self.app_ms
        scale = max(1.0, hops + signals)
        return hops / scale, signals / scale


def split(total_us: float | None, shares: list[HopShares]) -> dict[str, float] | None:
    """``total_us`` cut into PARTS by the median shares of the instrumented repeats; None without
    a total; the whole total "not split" without shares."""
    if total_us is None:
        return None
    if not shares:
        return {PARTS[3]: total_us}
    hops = median([s.fractions()[0] for s in shares])
    signals = median([s.fractions()[1] for s in shares])
    return {PARTS[0]: hops * total_us, PARTS[1]: signals * total_us,
            PARTS[2]: max(0.0, 1 - hops - signals) * total_us}


def values(ms: list[Measured], f) -> list[float | None]:
    return [f(m) for m in ms]


# --- the tax ladder ---------------------------------------------------------------------------

@dataclass
class TaxRow:
    rung: str
    cpu_us: Figure  # saturated, uninstrumented
    server_cpu: Figure  # % of a core while saturated: well below 100, the RPS is a lower bound
    rps: Figure  # saturated
    p99_at_rate: Figure  # open loop, the fixed rate
    hops: Figure  # per request, from the instrumented twin
    parts: dict[str, float] | None  # µs per request by PARTS


@dataclass
class TaxTable:
    workload: str
    endpoint: str
    rate: float
    rows: list[TaxRow]
    saturation_run: int | None
    rate_run: int | None
    needs: list[str] = field(default_factory=list)

    @property
    def chart_id(self) -> str:
        return "ladder-" + "".join(ch if ch.isalnum() else "-" for ch in self.workload)

    @property
    def has_chart(self) -> bool:
        return any(r.parts for r in self.rows)

    @property
    def chart(self) -> dict:
        present = [r for r in self.rows if r.parts]
        spec = bar(f"{self.workload}: server CPU per request, saturated, one core", "µs per request",
                   [r.rung for r in present], {p: [r.parts.get(p) for r in present] for p in PARTS})
        return {**spec, "stacked": True}


def tax_table(workload: str, saturated: Evidence | None, paced: Evidence | None) -> TaxTable:
    """``saturated``: the newest run's saturation ladder; ``paced``: the newest run's ladder at the
    workload's fixed rate (``L.TAX_AT_RATE``), hop-counting twins included."""
    endpoint = L.endpoint_of(workload)
    at_rate = L.TAX_AT_RATE[workload]
    rows = []
    for rung in L.RUNGS:
        if not L.serves(rung, workload):
            continue
        cell = L.tax_variant(rung, workload)
        sat = saturated.get(cell) if saturated else []
        counted = paced.get(L.tax_variant(rung, workload, hops=True)) if paced and rung.django else []
        total = median(values(sat, cpu_us_per_request))
        shares = [s for s in (HopShares.of(m, endpoint) for m in counted) if s is not None]
        parts = split(total, shares) if rung.django else (None if total is None else {PARTS[2]: total})
        rows.append(TaxRow(
            rung.name, Figure("CPU per request", values(sat, cpu_us_per_request), " µs"),
            Figure("server CPU", values(sat, lambda m: m.mean("cpu_percent")), " %"),
            Figure("RPS", values(sat, lambda m: m.rps(endpoint))),
            Figure("p99", values(paced.get(cell) if paced else [], lambda m: latency_p99(m, endpoint)), " ms", 1),
            Figure("hops", values(counted, lambda m: hops_per_request(m, endpoint)), "", 1) if rung.django
            else text_figure("hops", "none: no Django, no bridge"),
            parts))
    needs = [NEEDS_QUICK] if saturated is None and workload == L.PING else []
    if paced is None or any(r.cpu_us.median is None for r in rows):
        needs.append(NEEDS_LADDERS)  # the quick suite saturates ping on five rungs, nothing more
    return TaxTable(workload, endpoint, at_rate.rates[0], rows, saturated and saturated.run.id,
                    paced and paced.run.id, list(dict.fromkeys(needs)))


# --- the database ladder ----------------------------------------------------------------------

@dataclass
class DbRow:
    path: str
    driver: str
    rps: Figure
    p99: Figure
    probe_p99: Figure
    loop_lag: Figure  # median of the samples' worst lag; none for gthread (no loop)
    cpu_us: Figure
    hops: Figure


@dataclass
class DbTable:
    endpoint: str
    rows: list[DbRow]
    run: int | None
    hops_run: int | None
    needs: list[str] = field(default_factory=list)


def db_table(endpoint: str, ev: Evidence | None, hops_ev: Evidence | None) -> DbTable:
    """``ev``: the database ladder's run; ``hops_ev``: its hop-counting twin's run."""
    rows = []
    for path in L.DB_PATHS:
        ms = ev.get(L.db_variant(path, endpoint)) if ev else []
        counted = hops_ev.get(L.db_variant(path, endpoint, hops=True)) if hops_ev else []
        rows.append(DbRow(
            path.name, path.driver, Figure("RPS", values(ms, lambda m: m.rps(endpoint))),
            Figure("p99", values(ms, lambda m: m.p(endpoint)), " ms", 1),
            Figure("probe p99", values(ms, lambda m: m.p("probe")), " ms", 1),
            Figure("loop lag", values(ms, Measured.median_loop_lag_ms), " ms", 1),
            Figure("CPU per request", values(ms, cpu_us_per_request), " µs"),
            Figure("hops", values(counted, lambda m: hops_per_request(m, endpoint)), "", 1)))
    needs = [NEEDS_LADDERS] if ev is None or hops_ev is None else []
    return DbTable(endpoint, rows, ev and ev.run.id, hops_ev and hops_ev.run.id, needs)

# --- what could close the gap -------------------------------------------------------------------

@dataclass
class TweakRow:
    rung: str
    workload: str
    tweak: str
    rps: Figure
    cpu_us: Figure
    rps_gain_pct: float | None  # median RPS against the rung as shipped, same run
    cpu_saving_pct: float | None  # less CPU per request than as shipped (positive: cheaper)


@dataclass
class TweakTable:
    rows: list[TweakRow]
    run: int | None
    needs: list[str] = field(default_factory=list)


def _change_pct(new: float | None, old: float | None) -> float | None:
    r = ratio(new, old)
    return None if r is None else 100 * (r - 1)


def tweak_table(ev: Evidence | None, shipped: Evidence | None) -> TweakTable:
    """``ev``: the tweaks' run; ``shipped``: the as-shipped cells of that same run (a gain across
    runs would measure the machine's mood)."""
    rows = []
    for tweak in L.TWEAKS:
        for rung in L.DJANGO_ASGI_RUNGS:
            for workload in L.TWEAK_WORKLOADS:
                variant = L.tweak_variant(tweak, rung, workload)
                endpoint = L.endpoint_of(workload)
                ms = ev.get(variant) if ev else []
                base = shipped.get(L.baseline(variant)) if shipped else []
                rps = lambda m: m.rps(endpoint)  # noqa: E731
                cpu_saving = _change_pct(median(values(ms, cpu_us_per_request)),
                                         median(values(base, cpu_us_per_request)))
                rows.append(TweakRow(rung.name, workload, tweak.name, Figure("RPS", values(ms, rps)),
                                     Figure("CPU per request", values(ms, cpu_us_per_request), " µs"),
                                     _change_pct(median(values(ms, rps)), median(values(base, rps))),
                                     None if cpu_saving is None else -cpu_saving))
    return TweakTable(rows, ev and ev.run.id, [] if ev else [NEEDS_LADDERS])


# --- the figures the C8 card borrows, and the downloads ---------------------------------------

# The async paths C8's "the async ORM keeps the loop free" is weighed against.
ASYNC_PATHS = (L.ASYNC_ORM, L.NATIVE_ASYNC, L.ASYNC_BACKEND)
C8_ENDPOINTS = ("db/read", "db/queries")


def async_orm_cost_figures(tables: list[DbTable]) -> list[Figure]:
    """What keeping the loop free costs, from the database ladder's tables (``C8_ENDPOINTS``): CPU
    per request and hops of Django's async ORM beside raw psycopg async and django-async-backend,
    and the ratio, each figure naming the run it came from (it may not be the card's). Empty
    without a database ladder run."""
    figures = []
    for table in tables:
        if table.run is None:
            continue
        by_path = {r.path: r for r in table.rows}
        where = f"DB ladder (run #{table.run}) {table.endpoint}"
        for path in ASYNC_PATHS:
            row = by_path[path.name]
            figures += [Figure(f"{where}, {path.name}: CPU per request", row.cpu_us.values, " µs"),
                        Figure(f"{where}, {path.name}: hops per request", row.hops.values, "", 1)]
        orm, native = by_path[L.ASYNC_ORM.name].cpu_us, by_path[L.NATIVE_ASYNC.name].cpu_us
        figures.append(Figure(f"{where}: async ORM / raw psycopg async, CPU per request",
                              [ratio(orm.median, native.median)], "x", 2))
    return figures


def tax_rows(tables: list[TaxTable]) -> list[dict]:
    return [{"workload": t.workload, "rung": r.rung, "cpu_us_per_request": r.cpu_us.median,
             "server_cpu_percent": r.server_cpu.median, "rps": r.rps.median,
             "rate": t.rate, "p99_ms_at_rate": r.p99_at_rate.median, "hops_per_request": r.hops.median,
             **{f"{p} µs": (r.parts or {}).get(p) for p in PARTS}, "repeats": r.cpu_us.n,
             "saturation_run": t.saturation_run, "rate_run": t.rate_run}
            for t in tables for r in t.rows]


def db_rows(tables: list[DbTable]) -> list[dict]:
    return [{"endpoint": t.endpoint, "path": r.path, "driver": r.driver, "rps": r.rps.median, "p99_ms": r.p99.median,
             "probe_p99_ms": r.probe_p99.median, "loop_lag_ms": r.loop_lag.median,
             "cpu_us_per_request": r.cpu_us.median, "hops_per_request": r.hops.median, "repeats": r.rps.n,
             "run": t.run, "hops_run": t.hops_run}
            for t in tables for r in t.rows]


def tweak_rows(t: TweakTable) -> list[dict]:
    return [{"rung": r.rung, "workload": r.workload, "tweak": r.tweak, "rps": r.rps.median,
             "cpu_us_per_request": r.cpu_us.median, "rps_gain_pct": r.rps_gain_pct,
             "cpu_saving_pct": r.cpu_saving_pct, "repeats": r.rps.n, "run": t.run} for r in t.rows]
