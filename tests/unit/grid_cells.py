"""The thousands-in-flight grid built in memory, as ``results.grid.read_grid`` would hand it
to the judging: cells a real run could produce, from a few numbers per stack."""
from __future__ import annotations

from bench import in_flight as G
from results.grid import MEASURED, OUT_OF_SCOPE, CellRepeat, GridEvidence

KiB, MiB = 2**10, 2**20
THREADS, UVICORN_1W, UVICORN_2W, GRANIAN, REUSE, FASTAPI = G.STACK_NAMES
IDLE_USS = 40 * MiB


def measured(stack: str, n: int, wait_s: int, repeat: int = 0, share: float = 1.0, overhead_ms: float = 10.0,
             failures: int = 0, uss_per_request: float = 32 * KiB, threads_per_request: float = 0.0,
             neighbour: bool = False) -> CellRepeat:
    """One measured repeat: ``share`` of the ideal rate served, p99 ``overhead_ms`` over the wait."""
    rps = share * n / wait_s
    requests = int(rps * G.MEASURED_S)
    return CellRepeat(stack, n, wait_s, neighbour, repeat, MEASURED, rps=rps, p50_ms=wait_s * 1000 + overhead_ms / 2,
                      p99_ms=wait_s * 1000 + overhead_ms, requests=requests, failures=failures,
                      uss_bytes=IDLE_USS + uss_per_request * n, pss_bytes=IDLE_USS + uss_per_request * n,
                      threads=int(5 + threads_per_request * n), processes=1, server_cpu_pct=50.0,
                      uss_idle_bytes=IDLE_USS)


def held_cell(stack, n, wait_s, repeat=0, **kw) -> CellRepeat:
    return measured(stack, n, wait_s, repeat, **kw)


def missed_cell(stack, n, wait_s, repeat=0, **kw) -> CellRepeat:
    """Served 60 % of the ideal rate, requests queued for seconds: what a stack that cannot hold N does."""
    return measured(stack, n, wait_s, repeat, share=0.6, overhead_ms=wait_s * 1000, **kw)


def grid_of(reach: dict[str, int | dict[int, int]], repeats: int = 2, uss_per_request: dict[str, float] | None = None,
            threads_per_request: dict[str, float] | None = None, out_of_scope: tuple[tuple[int, int], ...] = (),
            ping_rps: dict[str, float] | None = None) -> GridEvidence:
    """Every stack holds up to ``reach[stack]`` (one N for every wait, or {wait: N}) and misses
    beyond it, in every repeat; cells in ``out_of_scope`` ((n, wait) pairs) were declared so."""
    uss = uss_per_request or {}
    threads = threads_per_request or {}
    grid = GridEvidence(run_id=1, suite="concurrency", generator_capacity_rps=10_000.0,
                        ping_rps={s: [v] * repeats for s, v in (ping_rps or {}).items()},
                        limits={"somaxconn": 4096, "open_files_soft": 20000})
    for wait in G.GRID_WAITS_S:
        for stack in G.row_stacks(wait):
            limit = reach.get(stack.name, 0)
            limit = limit.get(wait, 0) if isinstance(limit, dict) else limit
            for n in G.GRID_N:
                for r in range(repeats):
                    if (n, wait) in out_of_scope:
                        grid.cells.append(CellRepeat(stack.name, n, wait, False, r, OUT_OF_SCOPE, "out of scope: test"))
                        continue
                    make = held_cell if n <= limit else missed_cell
                    grid.cells.append(make(stack.name, n, wait, r, uss_per_request=uss.get(stack.name, 32 * KiB),
                                           threads_per_request=threads.get(stack.name, 0.0)))
    return grid


def replace_cells(grid: GridEvidence, *cells: CellRepeat) -> GridEvidence:
    """``grid`` with each of ``cells`` in place of the repeat it stands for."""
    keys = {(c.stack, c.n, c.wait_s, c.neighbour, c.repeat) for c in cells}
    grid.cells = [c for c in grid.cells if (c.stack, c.n, c.wait_s, c.neighbour, c.repeat) not in keys] + list(cells)
    return grid
