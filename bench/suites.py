"""The suites: which experiments ``bench --suite NAME`` runs, in order, and which suites' runs the
pages read. Kept apart from the catalogue (``experiments.py``, ``curves.py``) so that both can be
read without the other."""
from __future__ import annotations

from bench.curves import CURVES, CURVES_SUITE
from bench.in_flight import CALIBRATION, IN_FLIGHT_SUITE
from bench.server_push import PUSH_ROWS, PUSH_SUITE, STAGGERED_QUICK
from bench.handover import HANDOVER_SUITE, QUICK as HANDOVER_QUICK
from bench.upstream_calls import QUICK_ROW as UPSTREAM_QUICK, ROWS as UPSTREAM_ROWS, UPSTREAM_SUITE
from bench.ladders import LADDERS_FULL, LADDERS_QUICK
from bench.two_cores import C10_FULL, C10_QUICK
from bench.worker_memory import C13_QUICK, C13_SUITE
from bench.overload import overload_experiment
from bench.experiments import (C1_FULL, C1_QUICK, C2_FULL, C2_QUICK, C3, C3_QUICK, C4, C5, C5_QUICK, C6, C6_QUICK, C7,
                               C3_OPEN, C7_QUICK, C8_DB, C8_DB_QUICK, C8_OPEN, C8_SLEEP_FULL, C8_SLEEP_QUICK, FAULTS,
                               PG_ALONE, PG_ALONE_QUICK, SMOKE, Experiment)

# Suites whose runs the claims page reads (a smoke run proves the chain works, nothing more).
VERDICT_SUITES = ("quick", "full", "concurrency", "push", "upstream", "cores", "memory", "handover")
# Suites whose runs the curves page reads.
CURVE_SUITES = ("curves", "full")
# Suites whose runs the ladders page reads (``ladders``: the ladder experiments alone).
LADDER_SUITES = ("quick", "full", "ladders")
OVERLOAD = overload_experiment(CURVES)
SUITES: dict[str, tuple[Experiment, ...]] = {
    "smoke": SMOKE,
    "quick": (C1_QUICK, C2_QUICK, C3_QUICK, C4, C5_QUICK, C6_QUICK, C7_QUICK, C8_SLEEP_QUICK, C8_DB_QUICK,
              PG_ALONE_QUICK, *LADDERS_QUICK, CALIBRATION, STAGGERED_QUICK, UPSTREAM_QUICK, C10_QUICK, *C13_QUICK,
              *HANDOVER_QUICK),
    "full": (C1_FULL, C2_FULL, C3, C4, C5, C6, C7, C8_SLEEP_FULL, C8_DB, PG_ALONE, C3_OPEN, C8_OPEN, *CURVES_SUITE,
             OVERLOAD, *FAULTS, *LADDERS_FULL, *IN_FLIGHT_SUITE, *PUSH_ROWS, *UPSTREAM_ROWS, C10_FULL, *C13_SUITE,
             *HANDOVER_SUITE),
    # C8 at the scale it speaks of (bench.in_flight), with the async-ORM part of its card
    "concurrency": (*IN_FLIGHT_SUITE, C8_DB),
    # C14: subscribers to a server-sent-events stream (bench.server_push)
    "push": PUSH_SUITE,
    # C15: calls to another service through each kind of client (bench.upstream_calls)
    "upstream": UPSTREAM_SUITE,
    # C10: threads, processes and the GIL on two cores shared with the load generator (bench.two_cores)
    "cores": (C10_FULL,),
    # C13: what a worker process costs in memory (PSS, --preload, gc.freeze) and buys in isolation
    "memory": C13_SUITE,
    # C11: work handed to a thread from an async view, four ways, and the shared pool's size (bench.handover)
    "handover": HANDOVER_SUITE,
    "curves": (PG_ALONE, *CURVES_SUITE),
    "database": (PG_ALONE,),
    "faults": FAULTS,
    "overload": (OVERLOAD,),
    "open-loop": (C3_QUICK, C3_OPEN, C8_SLEEP_QUICK, C8_OPEN),  # each beside its closed-loop twin
    "ladders": LADDERS_FULL,
}
FULL_REPEATS = 3


def experiments_named(name: str) -> tuple[Experiment, ...]:
    """Every definition of an experiment (quick and full versions share a name)."""
    return tuple({id(e): e for suite in SUITES.values() for e in suite if e.name == name}.values())


def catalogue_key(experiment: str, label: str) -> str:
    """The key of today's catalogue variant that ``experiment`` calls ``label``, or "" when none does:
    for rows stored before keys were (the data migration, an old export file), matched by label once."""
    for e in experiments_named(experiment):
        for variant in e.variants:
            if variant.label == label:
                return variant.key
    return ""
