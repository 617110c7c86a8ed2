"""What the runner observed of one experiment run beside its steps (``ExperimentRun.observations``),
as one typed record: ``ExperimentRun.observed`` parses the stored JSON once, and the judging and the
pages read attributes of it, never keys. A misspelt attribute is an AttributeError in the first test
that reads it, where a misspelt key used to read as nothing (an empty list, an "inconclusive" card).

The keys the JSON is written under are named here once (``WORKER_PIDS``...), for the runner that
writes them. Parsing is lenient about the document: a key absent from an older row reads as the
field's default, and a key this module does not know is ignored. The import checks a file's shape
(``bench.run_schema.ObservationsDoc``); this module only reads the store.

Two parts stay plain JSON, each read by the code that wrote it: a fault's summary (written and
described by its ``bench.faults.Fault`` class), and the sweep table rows of a curve's decision
(shown by the curves page as they were decided).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

# --- the keys the runner writes (bench.runner) -------------------------------------------------
CONFIGURATION = "configuration"  # what ``Experiment.resolve`` decided before the run
FAULT = "fault"  # ``bench.faults.summarise``: what the injection saw
WORKER_PIDS = "worker_pids"
COROUTINES = "coroutines"  # io/gather with each n: the server's USS before and during
DB_CONNECTIONS_AT_END = "db_connections_at_end"
DB_CONNECTIONS_AFTER_STOP = "db_connections_after_stop"  # the leak check, once its server stopped
POSTGRES_CPUS = "postgres_cpus"  # pgbench: where PostgreSQL was pinned (None: not pinned)
# whoami samples, each under the URL prefix they were taken on (``Experiment.observe_whoami``)
WHOAMI_PREFIXES = ("/api", "/async", "/sync")


def _from(cls, raw: dict | None):
    """An instance of dataclass ``cls`` from the keys of ``raw`` it has fields for."""
    raw = raw or {}
    names = {f.name for f in dataclasses.fields(cls)}
    return cls(**{k: v for k, v in raw.items() if k in names})


@dataclass(frozen=True)
class Context:
    """One (pid, loop, thread, view) context whoami answered from (``bench.runner.observe_whoami``)."""

    pid: int
    loop_id: int | None
    is_main_thread: bool
    count: int = 1
    thread_names: tuple[str, ...] = ()
    switch_interval_s: float | None = None
    loop_class: str | None = None
    view: str | None = None
    interface: str | None = None

    def __post_init__(self):
        object.__setattr__(self, "thread_names", tuple(self.thread_names))


@dataclass(frozen=True)
class Whoami:
    """The whoami samples taken on one URL prefix after the steps."""

    samples: int = 0
    answered: int = 0
    contexts: tuple[Context, ...] = ()

    @classmethod
    def parse(cls, raw: dict) -> "Whoami":
        return cls(raw.get("samples", 0), raw.get("answered", 0),
                   tuple(_from(Context, c) for c in raw.get("contexts") or ()))


@dataclass(frozen=True)
class Coroutines:
    """io/gather with ``n`` coroutines: the server's USS before and while they wait, or the error."""

    n: int
    uss_before: int | None = None
    uss_during: int | None = None
    error: str | None = None


@dataclass(frozen=True)
class CurveChoice:
    """What a curve's sweep decided (``bench.curves.CurveExperiment.resolve``): its best and default
    configurations (labels as they were, the best's key too), the rates offered, the sweep's table."""

    best: str | None = None
    best_key: str = ""  # absent from curves stored before variant keys
    default: str | None = None
    saturated_rps: float | None = None
    rates: tuple[float, ...] = ()
    sweep: tuple[dict, ...] = ()  # ``Evidence.strongest``'s rows, as the page shows them
    generator_limited: bool = False  # every candidate outran the load generator: the rates are a lower bound


@dataclass(frozen=True)
class OverloadPlan:
    """What an overload run was planned from (``bench.overload.OverloadExperiment.resolve``)."""

    knee_rps: float
    overload_rps: float
    calm_rps: float
    change_at_s: float
    knee_from_run: int | None = None
    configuration: str | None = None
    limit_per_worker: int | None = None


@dataclass(frozen=True)
class Observations:
    """One experiment run's observations (see the module's note). Each part is None, or empty, when it
    was not observed."""

    configuration: dict = field(default_factory=dict)  # as decided; read through ``curve``/``overload``
    fault: dict | None = None  # a ``bench.faults.Fault``'s summary: read by that class (``report``)
    worker_pids: tuple[int, ...] = ()
    coroutines: tuple[Coroutines, ...] = ()
    db_connections_at_end: int | None = None
    db_connections_after_stop: int | None = None
    postgres_cpus: tuple[int, ...] | None = None
    whoami_by_prefix: dict[str, Whoami] = field(default_factory=dict)

    @classmethod
    def parse(cls, raw: dict[str, Any] | None) -> "Observations":
        raw = raw or {}
        cpus = raw.get(POSTGRES_CPUS)
        return cls(configuration=raw.get(CONFIGURATION) or {}, fault=raw.get(FAULT),
                   worker_pids=tuple(raw.get(WORKER_PIDS) or ()),
                   coroutines=tuple(_from(Coroutines, c) for c in raw.get(COROUTINES) or ()),
                   db_connections_at_end=raw.get(DB_CONNECTIONS_AT_END),
                   db_connections_after_stop=raw.get(DB_CONNECTIONS_AFTER_STOP),
                   postgres_cpus=tuple(cpus) if cpus is not None else None,
                   whoami_by_prefix={p: Whoami.parse(raw[p]) for p in WHOAMI_PREFIXES if raw.get(p)})

    def whoami(self, prefix: str) -> Whoami | None:
        """The whoami samples taken on ``prefix`` (one of ``WHOAMI_PREFIXES``), or None if none were."""
        if prefix not in WHOAMI_PREFIXES:
            raise KeyError(f"whoami is never sampled on {prefix!r}; the prefixes are {', '.join(WHOAMI_PREFIXES)}")
        return self.whoami_by_prefix.get(prefix)

    def contexts(self, prefix: str) -> tuple[Context, ...]:
        found = self.whoami(prefix)
        return found.contexts if found else ()

    @property
    def curve(self) -> CurveChoice:
        """What a curve's sweep decided (every field at its default on a run that is not a curve)."""
        return _from(CurveChoice, {**self.configuration, "rates": tuple(self.configuration.get("rates") or ()),
                                   "sweep": tuple(self.configuration.get("sweep") or ())})

    @property
    def overload(self) -> OverloadPlan | None:
        """What an overload run was planned from; None on a run that is not one."""
        return _from(OverloadPlan, self.configuration) if "knee_rps" in self.configuration else None
