"""Thousands of requests in flight: the regime the threads-or-coroutines claim (C8) speaks of.

A grid on one server core: N requests in flight (1,000, 4,000, 10,000) x each request's wait
(``io/sleep`` of 1 s, 5 s, 30 s). Each Locust user holds one request at a time, so N users hold
N requests; users start spread evenly over one wait, so that requests start and end evenly and
the measured window, which begins once every user has sent its first request, sees N in flight
throughout. The ideal rate is N / wait; a stack *holds* a cell when it serves about that rate
with little latency added to the wait (``judging.in_flight``).

Every stack runs at its strongest, with no cap of the lab's (docs/claims.md, C8):

- threads: Gunicorn gthread, one worker with as many threads as requests in flight (the
  machine's thread limit is the only bound, ``deploy.limits``), ``worker_connections`` twice
  that (gthread keeps only ``worker_connections - threads`` idle keep-alive connections), and a
  listen backlog of N (the kernel caps it at ``somaxconn``, shown on the card);
- Django's ASGI handler as shipped, on Uvicorn with one and two workers and on Granian (whose
  backpressure, by default backlog / workers, is set to N);
- the same handler with its per-request thread reused (``LAB_ASGI_TWEAK=reuse-thread``): a
  variant that explains where the stock handler's time goes, never one that decides;
- FastAPI on the same Uvicorn: the reference.

Before the grid, in the same run: the load generator's capacity (Locust against the lightest
server the lab has), which puts cells whose ideal rate it could not offer out of scope before
they run; and each stack's saturated ``ping`` rate, which marks cells that are CPU-bound for a
stack (their ideal rate asks for most of what the stack can do at all on the core).
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, replace
from typing import Callable

from bench.experiments import Experiment, Variant, bare_asgi, fastapi, granian_asgi, gthread, uvicorn
from deploy.deployments import Deployment

GRID_N = (1_000, 4_000, 10_000)
GRID_WAITS_S = (1, 5, 30)
# A cell is out of scope when its ideal rate exceeds this share of the calibrated generator capacity.
GENERATOR_SHARE = 0.7
# A cell whose ideal rate exceeds this share of a stack's saturated ping rate is CPU-bound for it.
CPU_BOUND_SHARE = 0.85
# Where the neighbour column sits: a CPU-bound process shares the server's core in this cell.
NEIGHBOUR_CELL = (1_000, 5)
# The row where the variant that explains (reuse-thread) runs: where the stock handler first
# fell behind in the pilot probe. It explains, it never decides, so one row is enough.
EXPLAINED_AT_WAIT_S = 5
SCENARIO = "c8_thousands_in_flight.py"
REUSE_THREAD = (("LAB_ASGI_TWEAK", "reuse-thread"),)


class OutOfScope(LookupError):
    """A cell that cannot decide anything on this machine, known before it runs (its ideal rate
    is beyond what the calibrated load generator can offer)."""


@dataclass(frozen=True)
class GridStack:
    """One row of the grid: how the stack is deployed to hold ``n`` requests in flight."""

    name: str
    role: str  # "threads", "django-asgi" (these two decide), "explains", "reference"
    make: Callable[[int], Deployment]
    env: tuple[tuple[str, str], ...] = ()

    @property
    def decides(self) -> bool:
        return self.role in ("threads", "django-asgi")


STACKS = (
    GridStack("gthread 1w x N threads", "threads",
              lambda n: gthread(workers=1, threads=n, backpressure=2 * n, backlog=n)),
    GridStack("django uvicorn 1w", "django-asgi", lambda n: uvicorn(workers=1, backlog=n)),
    GridStack("django uvicorn 2w", "django-asgi", lambda n: uvicorn(workers=2, backlog=n)),
    GridStack("django granian 1w", "django-asgi", lambda n: granian_asgi(workers=1, backpressure=n, backlog=n)),
    GridStack("django uvicorn 1w reuse-thread", "explains", lambda n: uvicorn(workers=1, backlog=n), REUSE_THREAD),
    GridStack("fastapi uvicorn 1w", "reference", lambda n: fastapi(workers=1, backlog=n)),
)
STACK_NAMES = tuple(s.name for s in STACKS)


def stack_named(name: str) -> GridStack:
    return next(s for s in STACKS if s.name == name)


def warmup_s(n: int, wait_s: int) -> float:
    """Spawning every user (Locust starts about 2,000 a second here) plus one wait: by then each
    user has sent its first request, and N are in flight."""
    return max(2.0, n / 2_000) + wait_s


# The measured window. Requests start and end evenly (each user's phase is random), so the
# completions in any window estimate the rate without bias, however the window compares with the
# wait: 10 s holds N x 10 / wait completions (333 at the smallest cell, 1,000 x 10 / 30). With
# 30 s waits the requests that complete in it are the users' first ones (sent during the warm-up,
# on a new connection); with 1 s and 5 s waits, later ones on kept-alive connections.
MEASURED_S = 10.0


def cell_label(stack: GridStack, n: int, neighbour: bool = False, note: str = "") -> str:
    """A cell's variant label, for people: its stack, then N (readers find the stack by ``Variant.stack``)."""
    return f"{stack.name} · N={n:,}" + (" · CPU-bound neighbour" if neighbour else "") + (f" · {note}" if note else "")


@functools.cache
def cell(stack_name: str, n: int, wait_s: int, neighbour: bool = False) -> Variant:
    """One cell of the grid, one object however often it is asked for (variants compare by
    identity). Each cell has a server process of its own: its memory is measured."""
    stack = stack_named(stack_name)
    return Variant(cell_label(stack, n, neighbour), stack.make(n), {"ms": wait_s * 1000}, env=stack.env,
                   users=(n,), fresh_server=True, neighbour=neighbour, stack=stack.name)


@dataclass(frozen=True)
class InFlightExperiment(Experiment):
    """The grid's row of one wait. Its cells' warm-up and window depend on N, so each cell runs
    as its own copy of the experiment (``resolve``); cells beyond the generator are out of scope."""

    wait_s: int = 5
    calibration: Experiment | None = None

    def resolve(self, run, variant: Variant, read=None) -> tuple[Experiment, Variant, dict]:
        n = variant.users[0]
        ideal = n / self.wait_s
        capacity = generator_capacity(read(self.calibration, run)) if self.calibration and read else None
        decided = {"n": n, "wait_s": self.wait_s, "ideal_rps": ideal, "generator_capacity_rps": capacity}
        if capacity is not None and ideal > GENERATOR_SHARE * capacity:
            raise OutOfScope(f"out of scope: its ideal rate {ideal:,.0f} requests/s is beyond "
                             f"{GENERATOR_SHARE:.0%} of the load generator's calibrated {capacity:,.0f}")
        return replace(self, warmup_s=warmup_s(n, self.wait_s)), variant, decided


def generator_capacity(evidence) -> float | None:
    """Requests/s the load generator reached against the lightest server (median over repeats)."""
    if evidence is None:
        return None
    values = [m.rps("ping") for m in evidence.get(CALIBRATION_CELL)]
    values = sorted(v for v in values if v)
    return values[len(values) // 2] if values else None


# The lightest server the lab has (a raw ASGI callable on Uvicorn) against 64 closed-loop users:
# what Locust can offer on its core, to within the server's own limit (then a lower bound).
CALIBRATION_CELL = Variant("generator capacity: bare ASGI ping", bare_asgi(), {"endpoint": "ping"}, users=(64,))
CALIBRATION = Experiment(
    "generator-calibration", "C8", "How many requests/s can the load generator offer on its core?",
    "curves.py", (CALIBRATION_CELL,), users=(64,), step_s=6.0, warmup_s=2.0, key_endpoint="ping", probe=False,
    measures_generator=True)


@functools.cache
def ping_cell(stack_name: str) -> Variant:
    stack = stack_named(stack_name)
    return Variant(f"{stack.name} · ping saturated", stack.make(GRID_N[0]), {"endpoint": "ping"}, env=stack.env,
                   users=(64,), stack=stack.name)


PING = Experiment(
    "c8-in-flight-ping", "C8", "How many ping requests/s does each grid stack serve on its core?",
    "curves.py", tuple(ping_cell(s.name) for s in STACKS), users=(64,), step_s=5.0, warmup_s=2.0,
    key_endpoint="ping", probe=False)


def row_stacks(wait_s: int) -> tuple[GridStack, ...]:
    return tuple(s for s in STACKS if s.role != "explains" or wait_s == EXPLAINED_AT_WAIT_S)


def row(wait_s: int) -> InFlightExperiment:
    cells = [cell(s.name, n, wait_s) for n in GRID_N for s in row_stacks(wait_s)]
    if wait_s == NEIGHBOUR_CELL[1]:
        cells += [cell(s.name, NEIGHBOUR_CELL[0], wait_s, neighbour=True) for s in row_stacks(wait_s)]
    return InFlightExperiment(
        f"c8-in-flight-{wait_s}s", "C8", f"Thousands of requests in flight, each waiting {wait_s} s: who holds them?",
        SCENARIO, tuple(cells), users=GRID_N, step_s=MEASURED_S, warmup_s=warmup_s(GRID_N[0], wait_s),
        key_endpoint="io/sleep", probe=False, wait_s=wait_s, calibration=CALIBRATION, server_core_exclusive=True)


ROWS = tuple(row(w) for w in GRID_WAITS_S)
ROW_BY_WAIT = {r.wait_s: r for r in ROWS}
IN_FLIGHT_SUITE = (CALIBRATION, PING, *ROWS)


@dataclass(frozen=True)
class Grid:
    """A family of rows read and judged alike (``results.grid``): cells are stacks x N, each
    row one period (a wait, or the time between two events), the ideal rate N / period of the
    ``key`` request name; ``ping`` measures each stack's saturated rate (None: not measured)."""

    name: str
    rows: tuple[InFlightExperiment, ...]
    stacks: tuple[GridStack, ...]
    sizes: tuple[int, ...]
    key: str
    ping: Experiment | None = None

    def stack_of(self, cell: Variant) -> GridStack | None:
        """The stack a cell belongs to (``Variant.stack``), None for a variant of no grid stack."""
        return next((s for s in self.stacks if s.name == cell.stack), None)


IN_FLIGHT = Grid("in flight", ROWS, STACKS, GRID_N, "io/sleep", PING)
