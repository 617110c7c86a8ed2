"""The ladders: what each layer of a Python web stack costs one request, and what each way
to reach the database costs under Django's ASGI handler.

1. **The tax ladder.** The same request on one pinned core, from a raw ASGI callable up to Django
   on WSGI: bare ASGI, Starlette, FastAPI (all on the same Uvicorn, uvloop and httptools), Django's
   ASGI handler with an async view and with a sync view (the same Uvicorn), Django on gthread and on
   Granian's WSGI threads (1 worker x 8 threads). ``ping`` and ``db/read`` (the native driver on
   every rung, the ORM too where there is one), each measured twice: saturated (closed loop) for
   RPS and CPU per request, and at a fixed rate every rung serves (open loop, Poisson arrivals)
   for p99. Django's rungs run once more with ``LAB_COUNT_HOPS=1`` (variants of their own: the
   instrument must not move the headline figures) to split the CPU per request into hop
   crossings, request signals and the rest.
2. **The database ladder.** ``db/read``, ``db/queries`` (10 reads) and ``db/write`` through every
   path: the sync ORM and sync raw SQL on gthread, Django's async ORM, django-async-backend and raw
   psycopg async on Uvicorn; with a probe, the server's loop lag, and hops per request (again in
   instrumented variants of their own).
3. **What could close the gap.** Django's ASGI rungs with each ``LAB_ASGI_TWEAK``, both, and Uvicorn
   on asyncio's loop instead of uvloop, on ``ping`` and ``db/read`` (ORM), saturated like the tax
   ladder: each one's gain against the same rung as shipped, from the same run.

The pages read these through ``judging.ladders``; the figures they derive (CPU per request,
the stacked parts, gains) are computed there, never stored.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, replace

from bench.experiments import (Experiment, Variant, bare_asgi, fastapi, granian_wsgi, gthread, starlette,
                               uvicorn)
from deploy.deployments import Deployment

CLAIM = "LADDER"  # ``bench --only ladder`` runs them all
TAX_SCENARIO = "curves.py"  # one endpoint, closed or open loop, no probe
DB_SCENARIO = "db_ladder.py"  # db/read, db/queries or db/write, beside a probe
HOPS_ENV = (("LAB_COUNT_HOPS", "1"),)  # config.hops: per-request hop counts and times in Server-Timing
TWEAK_ENV = "LAB_ASGI_TWEAK"  # config.asgi_tweaks
SATURATION_USERS = 32  # closed-loop users: enough to saturate one core on every rung
DB_USERS = 16  # the database ladder's closed-loop users, as C8's driver ladder


@dataclass(frozen=True)
class Rung:
    """One stack of the tax ladder: what serves, and under which prefix (which view flavour)."""

    name: str
    deployment: Deployment
    prefix: str  # /api: the app's own endpoints; /async, /sync: Django's view flavours
    django: bool  # Django's rungs have the ORM (driver "orm") and the hop instrument


BARE = Rung("bare ASGI", bare_asgi(), "/api", False)
STARLETTE = Rung("Starlette", starlette(), "/api", False)
FASTAPI = Rung("FastAPI", fastapi(), "/api", False)
DJANGO_ASYNC = Rung("Django ASGI, async view", uvicorn(), "/async", True)
DJANGO_SYNC = Rung("Django ASGI, sync view", uvicorn(), "/sync", True)
GTHREAD = Rung("Django WSGI, gthread 1w x 8t", gthread(threads=8), "/sync", True)
GRANIAN = Rung("Django WSGI, Granian 1w x 8t", granian_wsgi(threads=8), "/sync", True)
RUNGS = (BARE, STARLETTE, FASTAPI, DJANGO_ASYNC, DJANGO_SYNC, GTHREAD, GRANIAN)
DJANGO_ASGI_RUNGS = (DJANGO_ASYNC, DJANGO_SYNC)

# A tax-ladder workload: the endpoint and its knobs (``name`` is also the Locust endpoint's name).
PING = "ping"
DB_NATIVE = "db/read native"
DB_ORM = "db/read orm"
TAX_WORKLOADS: dict[str, dict] = {PING: {"endpoint": "ping"},
                                  DB_NATIVE: {"endpoint": "db/read", "driver": "native"},
                                  DB_ORM: {"endpoint": "db/read", "driver": "orm"}}
# The fixed rates of the open-loop steps, requests/s: well below what the slowest rung serves on
# one core (Django ASGI's sync view on db/read with the ORM, ~1.5 ms of CPU per request, ~650/s).
TAX_RATES = {PING: 300.0, DB_NATIVE: 200.0, DB_ORM: 200.0}


def endpoint_of(workload: str) -> str:
    """The endpoint whose figures a workload's steps record."""
    return TAX_WORKLOADS[workload]["endpoint"]


def serves(rung: Rung, workload: str) -> bool:
    return rung.django or TAX_WORKLOADS[workload].get("driver") != "orm"


def tax_variant(rung: Rung, workload: str, hops: bool = False) -> Variant:
    """One object per cell, however often and however it is asked for (variants compare by
    identity; ``functools.cache`` alone would key ``f(r, w)`` and ``f(r, w, False)`` apart)."""
    return _tax_variant(rung, workload, hops)


@functools.cache
def _tax_variant(rung: Rung, workload: str, hops: bool) -> Variant:
    label = f"{rung.name} · {workload}" + (" · hops counted" if hops else "")
    return Variant(label, rung.deployment, {"prefix": rung.prefix, **TAX_WORKLOADS[workload]},
                   HOPS_ENV if hops else ())


def by_server(variants) -> tuple[Variant, ...]:
    """Variants grouped by the server they need (deployment and environment), first come first, so
    that the runner starts each server once."""
    variants, order = list(variants), {}
    for v in variants:
        order.setdefault((v.deployment, v.env), len(order))
    return tuple(sorted(variants, key=lambda v: order[(v.deployment, v.env)]))


def tax_cells(workloads, rungs=RUNGS, hops: bool = False) -> tuple[Variant, ...]:
    return tuple(tax_variant(r, w, hops) for r in rungs for w in workloads
                 if serves(r, w) and (r.django or not hops))


def _saturation(variants, step_s: float, warmup_s: float) -> Experiment:
    return Experiment(
        "ladder-tax-saturation", CLAIM, "What does each layer cost a request, saturated on one core?",
        TAX_SCENARIO, by_server(variants), users=(SATURATION_USERS,), step_s=step_s, warmup_s=warmup_s,
        probe=False)


def _at_rate(name: str, workloads: tuple[str, ...], step_s: float, warmup_s: float) -> Experiment:
    (rate,) = {TAX_RATES[w] for w in workloads}
    return Experiment(
        name, CLAIM, f"Each layer at {rate:g} requests/s offered (open loop): the latency, and the hops",
        TAX_SCENARIO, by_server(tax_cells(workloads) + tax_cells(workloads, hops=True)), users=(1,),
        step_s=step_s, warmup_s=warmup_s, probe=False, rates=(rate,), arrivals="poisson")


TAX_SATURATION = _saturation(tax_cells(TAX_WORKLOADS), step_s=3.0, warmup_s=1.0)
# The quick suite's share (~20 s): ping saturated on Django's three rungs, the ASGI tax itself.
# (The bare ASGI and FastAPI rungs outrun a one-core load generator on ping: their quick steps
# were invalid on the development machine, so they run in the ladders and full suites only.)
TAX_SATURATION_QUICK = _saturation(tax_cells((PING,), (DJANGO_ASYNC, DJANGO_SYNC, GTHREAD)),
                                   step_s=2.0, warmup_s=0.5)
TAX_RATE_PING = _at_rate("ladder-tax-rate-ping", (PING,), step_s=3.0, warmup_s=1.0)
TAX_RATE_DB = _at_rate("ladder-tax-rate-db", (DB_NATIVE, DB_ORM), step_s=3.0, warmup_s=1.0)
TAX_AT_RATE = {PING: TAX_RATE_PING, DB_NATIVE: TAX_RATE_DB, DB_ORM: TAX_RATE_DB}

# --- the database ladder ----------------------------------------------------------------------


@dataclass(frozen=True)
class DbPath:
    """One way to reach PostgreSQL: which server (and so which view flavour) and which driver."""

    name: str
    deployment: Deployment
    driver: str


SYNC_ORM = DbPath("sync ORM (gthread)", gthread(threads=8), "orm")
SYNC_RAW = DbPath("sync raw SQL, psycopg pool (gthread)", gthread(threads=8), "native")
ASYNC_ORM = DbPath("Django async ORM (uvicorn)", uvicorn(), "orm")
ASYNC_BACKEND = DbPath("django-async-backend (uvicorn)", uvicorn(), "asyncbackend")
NATIVE_ASYNC = DbPath("raw psycopg async (uvicorn)", uvicorn(), "native")
DB_PATHS = (SYNC_ORM, SYNC_RAW, ASYNC_ORM, ASYNC_BACKEND, NATIVE_ASYNC)
DB_ENDPOINTS: dict[str, dict] = {"db/read": {}, "db/queries": {"count": 10}, "db/write": {}}


def db_variant(path: DbPath, endpoint: str, hops: bool = False) -> Variant:
    return _db_variant(path, endpoint, hops)  # one object per cell, as ``tax_variant``


@functools.cache
def _db_variant(path: DbPath, endpoint: str, hops: bool) -> Variant:
    label = f"{path.name} · {endpoint}" + (" · hops counted" if hops else "")
    return Variant(label, path.deployment, {"endpoint": endpoint, "driver": path.driver, **DB_ENDPOINTS[endpoint]},
                   HOPS_ENV if hops else ())


def _db(name: str, hops: bool, step_s: float, warmup_s: float) -> Experiment:
    return Experiment(
        name, CLAIM, "Every way to reach the database: throughput, tail, the probe, the loop, the hops"
        + (" (hops counted)" if hops else ""), DB_SCENARIO,
        by_server(db_variant(p, e, hops) for p in DB_PATHS for e in DB_ENDPOINTS),
        users=(DB_USERS,), step_s=step_s, warmup_s=warmup_s)


DB_LADDER = _db("ladder-db", False, step_s=3.0, warmup_s=1.0)
DB_LADDER_HOPS = _db("ladder-db-hops", True, step_s=2.0, warmup_s=0.5)  # counts are exact: short steps

# --- what could close the gap -----------------------------------------------------------------


@dataclass(frozen=True)
class Tweak:
    """A change to Django's ASGI rungs: an environment (``LAB_ASGI_TWEAK``) or a deployment field."""

    name: str
    env: tuple[tuple[str, str], ...] = ()
    deployment: tuple[tuple[str, object], ...] = ()  # (field, value) replaced on the rung's deployment

    def apply(self, rung: Rung) -> Deployment:
        return replace(rung.deployment, **dict(self.deployment))


REUSE_THREAD = Tweak("reuse-thread", ((TWEAK_ENV, "reuse-thread"),))
NO_START_RECEIVERS = Tweak("no-start-receivers", ((TWEAK_ENV, "no-start-receivers"),))
BOTH_TWEAKS = Tweak("reuse-thread + no-start-receivers", ((TWEAK_ENV, "reuse-thread,no-start-receivers"),))
ASYNCIO_LOOP = Tweak("asyncio loop instead of uvloop", deployment=(("loop", "asyncio"),))
TWEAKS = (REUSE_THREAD, NO_START_RECEIVERS, BOTH_TWEAKS, ASYNCIO_LOOP)
TWEAK_WORKLOADS = (PING, DB_ORM)


@functools.cache
def tweak_variant(tweak: Tweak, rung: Rung, workload: str) -> Variant:
    return Variant(f"{rung.name} · {workload} · {tweak.name}", tweak.apply(rung),
                   {"prefix": rung.prefix, **TAX_WORKLOADS[workload]}, tweak.env)


def baseline(variant: Variant) -> Variant:
    """The as-shipped cell of the tax ladder (``TAX_SATURATION``) that a tweaked cell is compared to."""
    for tweak in TWEAKS:
        for rung in DJANGO_ASGI_RUNGS:
            for workload in TWEAK_WORKLOADS:
                if tweak_variant(tweak, rung, workload) is variant:
                    return tax_variant(rung, workload)
    raise LookupError(f"{variant.label!r} is not a tweaked cell of the catalogue")


TWEAK_LADDER = Experiment(
    "ladder-tweaks", CLAIM, "What could close the gap: each ASGI tweak and asyncio's loop against Django as shipped",
    TAX_SCENARIO, by_server(tweak_variant(t, r, w) for t in TWEAKS for r in DJANGO_ASGI_RUNGS for w in TWEAK_WORKLOADS),
    users=(SATURATION_USERS,), step_s=3.0, warmup_s=1.0, probe=False)

# In the order a run takes them: the tweaks need the as-shipped saturation of the same run.
LADDERS_FULL = (TAX_SATURATION, TAX_RATE_PING, TAX_RATE_DB, DB_LADDER, DB_LADDER_HOPS, TWEAK_LADDER)
LADDERS_QUICK = (TAX_SATURATION_QUICK,)
