"""The claims under test, in our own words (see docs/claims.md for the full account). C3-C7
are also judged on FastAPI, shown beside Django's verdict on each card."""

from bench.models import Run
from results.reference import describe_machine, describe_software
from dashboard.cards import all_verdicts

CLAIMS = {
    "C1": ("Extra workers on one core hurt",
           "On a single CPU, running Uvicorn with more than one worker backfires: the kernel time-slices the "
           "processes, switching is expensive, and throughput falls by 20-30 %.",
           "Server pinned to one CPU; 1, 2 and 4 workers of each stack; ping, cpu, mixed, io/sleep and db/read, "
           "each at saturation; a verdict per workload."),
    "C2": ("Threads are preempted, coroutines are not",
           "On one core the interpreter forces thread switches every few milliseconds, so a long task cannot "
           "starve the others; coroutines only switch at await. CPU work belongs in a thread pool.",
           "1, 2 and 4 CPU-heavy users beside a light probe on ping: sync views on gthread, async views computing "
           "inline, async views offloading to a thread pool; a mixed load for the utilisation half."),
    "C3": ("A blocking call in async def blocks the whole worker",
           "Calling a blocking function such as time.sleep inside an async view stalls the event loop, so every "
           "other request on that worker waits. Fixes: a real async call, a thread pool, or background work.",
           "One Uvicorn worker at a fixed arrival rate; the probe alone first, then io/blocking, io/sleep, "
           "io/threadpool and the blocking call handed to background work, with the probe beside them; the same "
           "cells on FastAPI (run_in_threadpool, BackgroundTasks with the blocking call)."),
    "C4": ("N workers means N processes with one event loop each",
           "uvicorn --workers 4 (or Gunicorn with 4 UvicornWorkers) runs 4 processes, each driving exactly one "
           "single-threaded event loop.",
           "whoami sampled over fresh connections on each ASGI deployment: Django on Uvicorn and on "
           "Gunicorn+UvicornWorker, FastAPI on Uvicorn, 3 workers each."),
    "C5": ("An event loop is a single-threaded scheduler",
           "The loop polls for ready tasks and runs them one at a time; a task that does not yield holds up all "
           "the others.",
           "Event-loop lag of each ASGI worker, under non-blocking and blocking load, on Django and on FastAPI."),
    "C6": ("A 5 MB body is fine if read and parsed well",
           "An async view copes with a 5 MB body; what matters is streaming versus loading it at once, and that "
           "JSON parsing is CPU work: orjson is faster, and a thread pool keeps it off the loop.",
           "5 MB bodies at two concurrencies to upload (buffered, chunked; each on a fresh server) and json "
           "(json, orjson; inline, offloaded; parse timed in the server), with a probe; the same on FastAPI, whose "
           "chunked read takes the body from the socket where Django's reads its own spool."),
    "C7": ("Async views run on the worker's main thread",
           "Under Uvicorn the worker runs its event loop in the main thread and calls coroutines directly; sync "
           "code needs a thread.",
           "whoami from async views and from sync views under ASGI; on FastAPI from an async def endpoint and a "
           "def endpoint (run in its thread pool)."),
    "C8": ("Threads are heavy, coroutines are light",
           "A thread costs about 8 MB and a coroutine about 1 KB; thread-per-request suits low concurrency, "
           "coroutines suit many concurrent I/O waits; async database access keeps the loop free.",
           "One core; 1,000, 4,000 and 10,000 requests in flight, each waiting 1, 5 or 30 s: gthread with a thread "
           "per request against stock Django ASGI on Uvicorn (1 and 2 workers) and Granian, every stack at its "
           "strongest; Django with its per-request thread reused, and FastAPI, shown beside; memory and threads "
           "sampled during the hold; a CPU-bound neighbour column; DB reads through the sync ORM, sync raw SQL, "
           "Django's async ORM and a native async driver, with a probe and loop lag. Where Django's async stack "
           "loses requests, outside the lab: docs/asgi-thread-per-request/ in the repository."),
    "C10": ("Threads share one core for Python, processes use them all",
            "Because of the GIL only one thread runs Python at a time, so CPU-bound threads use about one core; "
            "separate processes use several; C code that releases the GIL (Cython, say) lets threads use every core.",
            "Two cores shared with the load generator; a ~50 ms task as pure Python, as SHA-256 in hashlib and as a "
            "Cython nogil loop; gthread 1 worker x 4 threads against 2 x 2, Uvicorn 1 worker against 2 (async views "
            "handing the task to the thread pool), one thread alone as the floor; server CPU and throughput."),
    "C13": ("Worker processes cost memory and buy isolation",
            "Every worker process loads the whole application again, so several processes take more memory than one "
            "process with threads; in return, a crash stays inside the process it happened in.",
            "One core; total PSS (shared pages counted once, the master included) of gthread 1 worker x 8 threads "
            "against 4 x 2, Uvicorn 1 worker against 4, and gthread's 4 workers with --preload and with --preload "
            "plus gc.freeze, idle and under load; a worker of four killed, and one request thread of the single "
            "process crashed, each under a load that keeps every thread busy."),
    "C11": ("Hand blocking work to a thread pool, sized to the cores",
            "Inside an async view, blocking work belongs in a thread pool (the source opens a ThreadPoolExecutor "
            "inside the view, once per request, in a with block), and the pool should have as many threads as the "
            "machine has logical cores.",
            "One Uvicorn worker, 32 users; a 50 ms blocking call and a ~20 ms CPU task, each handed over four ways: "
            "a pool opened per request (the sample, joined on exit), the shared pool, asyncio.to_thread and "
            "sync_to_async, every sized pool given a thread per user; the shared pool's size swept over 1, cores, "
            "4 x cores and 32, the blocking call on one core and the CPU task on every core; throughput, p99, CPU "
            "and threads started per request, loop lag."),
    "C14": ("Coroutines suit server push",
            "Real-time push (server-sent events, WebSocket) means many long-lived connections that are idle most of "
            "the time; one event loop holds them, where threads would need one each.",
            "One core; 100, 1,000 and 4,000 subscribers to a server-sent-events stream, an event a second each, "
            "sends staggered: sync views streaming on gthread with a thread per subscriber against async views "
            "streaming on Django's stock ASGI handler (Uvicorn); the reused-thread handler, FastAPI and a one-beat "
            "(burst) row shown beside; delivery lag from the event's send stamp, memory and threads during the hold."),
    "C15": ("Async clients with a reused pool suit calls to other services",
            "For outbound I/O such as calls to external APIs, an async client (httpx.AsyncClient) with a connection "
            "pool that is kept and reused gets the most out of coroutines.",
            "One core; 100 calls of 1 s and 1,000 calls of 5 s in flight to a local upstream stub (on the load "
            "generator's core): stock Django ASGI with a pooled AsyncClient per worker loop, the pooled sync "
            "httpx.Client carried by a thread pool of N, and an AsyncClient per request; gthread with a shared "
            "httpx.Client and a client per request, FastAPI, shown beside; every pool keeps N connections; each "
            "call's CPU measured against io/sleep of the same wait on the same server."),
    "C9": ("Processes contain threads, threads run coroutines",
           "A process can host an event loop that runs many coroutines: the layers nest.",
           "Covered by C4 and C7."),
    "C12": ("Choose by load: sync for low concurrency, async for high",
            "Low concurrency and simple logic: sync views on WSGI; high concurrency and I/O-bound work: async views "
            "on ASGI; a mixed load: a thread pool for its CPU part.",
            "A map from the same run: each Django stack at its best on the latency curves (the knee within the "
            "SLO) for the low band, and C8's thousands-in-flight grid for the high band."),
}


def claim_cards(runs=None, anchor: str = "") -> list[dict]:
    """What each claim's card shows, for the claims page and the report file. ``anchor``: what
    makes the card's element ids its own where two cards of a claim share a page."""
    return [{"v": v, "title": CLAIMS[v.claim][0], "text": CLAIMS[v.claim][1], "experiment": CLAIMS[v.claim][2],
             "chart": v.chart, "chart_id": f"chart-{anchor}{v.claim}", "anchor": f"{anchor}{v.claim}",
             "heatmap": painted(v.heatmap)}
            for v in all_verdicts(runs)]


def claim_pairs(runs, reference) -> list[dict]:
    """Per claim, the card the user's runs give (``runs``: None reads the newest measured here)
    beside the card the reference machine's runs give (``reference``: those runs, passed
    explicitly, e.g. ``results.runs.reference_runs()``; None: no reference shown). A card with
    no run behind it is left out when the other has one: where the user has no run, the reference
    card stands alone, labelled, with the command that would measure the claim here."""
    mine = claim_cards(runs)
    theirs = claim_cards(reference, anchor="reference-") if reference is not None else [None] * len(mine)
    pairs = []
    for own, ref in zip(mine, theirs, strict=True):
        if ref is not None and ref["v"].run_id is None:
            ref = None
        if ref is not None:
            run = Run.objects.get(id=ref["v"].run_id)
            ref.update(reference=True, run=run, machine=describe_machine(run.environment),
                       software=describe_software(run.environment))
            if own["v"].run_id is None:
                ref["yours_needs"], own = own["v"].needs, None
        pairs.append({"claim": (own or ref)["v"].claim, "mine": own, "reference": ref})
    return pairs


def cell_colour(share: float | None, state: str) -> str:
    """A heat-map cell's background, as one of eleven CSS classes (dashboard.css; the page's
    Content-Security-Policy refuses inline styles): ``shade-0`` red at half the ideal rate or less
    to ``shade-10`` green at all of it; ``shade-none`` grey where nothing was measured."""
    if share is None:
        return "shade-none"
    t = max(0.0, min(1.0, (share - 0.5) / 0.5))
    return f"shade-{round(10 * t)}"


def painted(maps: list[dict]) -> list[dict]:
    """The grid's heat maps with each cell's colour and short text (achieved share, p99 over the wait)."""
    out = []
    for m in maps:
        rows = []
        for row in m["rows"]:
            cells = []
            for c in row["cells"]:
                text = "" if c["share"] is None else f"{c['share']:.0%}"
                if c.get("p99_overhead_ms") is not None:  # a wait's grid: what the server added to it
                    text += f" · +{c['p99_overhead_ms'] / 1000:.1f} s"
                elif c.get("p99_ms") is not None:  # a stream's grid: the delivery lag itself
                    text += f" · p99 {c['p99_ms']:.0f} ms"
                cells.append({**c, "colour": cell_colour(c["share"], c["state"]), "text": text or c["state"]})
            rows.append({**row, "cells": cells})
        out.append({**m, "rows": rows})
    return out
