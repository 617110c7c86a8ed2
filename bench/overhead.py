"""How much the server sampler costs: saturated ``ping`` on one deployment, measured with
sampling on and off, alternately, several times (GUIDE rule 10: show the spread)."""
from __future__ import annotations

import statistics
from typing import Callable

from bench.experiments import Experiment, Variant, gthread, uvicorn
from bench.runner import BenchRunner, RunnerOptions

DEPLOYMENTS = {"uvicorn": lambda: uvicorn(), "gunicorn": lambda: gthread(threads=8)}


def sampler_overhead(alternations: int, server: str = "uvicorn", out: Callable[[str], None] = print) -> dict:
    experiment = Experiment("sampler-overhead", "-", "What does server sampling cost?", "c1_workers_on_one_core.py",
                            (Variant(f"{server} 1w ping", DEPLOYMENTS[server](), {"endpoint": "ping"}),),
                            users=(32,), step_s=8.0, warmup_s=2.0)
    rps: dict[bool, list[float]] = {True: [], False: []}
    invalid = 0
    for i in range(alternations):
        for sampling in (True, False):
            run = BenchRunner(RunnerOptions(suite="sampler-overhead", experiments=(experiment,),
                                            server_samples=sampling), out=lambda line: None).execute()
            step = run.experiments.get().steps.get()
            ping = step.endpoints.get(name="ping")
            invalid += not step.valid
            rps[sampling].append(ping.rps)
            out(f"{i + 1}/{alternations} sampling {'on ' if sampling else 'off'}: {ping.rps:8.1f} RPS, "
                f"generator {step.generator_cpu_max_process:.0f} %{'' if step.valid else ' INVALID'}")
    on, off = statistics.median(rps[True]), statistics.median(rps[False])
    result = {"median_on": on, "median_off": off, "overhead_pct": 100 * (off - on) / off,
              "spread_on": max(rps[True]) - min(rps[True]), "spread_off": max(rps[False]) - min(rps[False]),
              "invalid_steps": invalid}
    out(f"median {on:.0f} RPS sampling vs {off:.0f} without: overhead {result['overhead_pct']:.1f} % "
        f"(spread {result['spread_on']:.0f} / {result['spread_off']:.0f} RPS; {invalid} invalid steps)")
    return result
