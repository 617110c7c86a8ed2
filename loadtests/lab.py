"""The lab in Locust's web UI: one scenario per claim, chosen with ``--scenario``.

    .venv/bin/locust -f loadtests/lab.py --host http://127.0.0.1:8002

The UI listens on loopback only unless ``--web-host '*'`` says otherwise; what its form may set,
and how, is checked by ``_form_guard.py``.

Pick the claim in "Custom parameters" (``scenario``; one runs at a time, C3 unless you choose
another), set its knobs, start. A probe user pings beside the load so that how long a cheap
request waits is always on screen. The same scenarios, one file each, are what the bench
runner drives headless (``loadtests/c1_...py`` to ``c15_...py``).
"""
import random

from locust import events

from _lab import LabUser, ProbeUser, options, task

import c1_workers_on_one_core as c1
import c2_threads_vs_coroutines_cpu as c2
import c3_blocking_call_in_async_view as c3
import c4_one_loop_per_worker as c4
import c5_event_loop_lag as c5
import c6_big_request_bodies as c6
import c7_who_runs_the_view as c7
import c8_many_slow_requests as c8
import c8_thousands_in_flight as c8k
import c10_gil_on_two_cores as c10
import c13_workers_memory as c13
import c11_thread_pool_handover as c11
import c14_server_push as c14
import c15_calls_to_other_services as c15

# claim -> (the scenario's user class, what it does and what to look for)
SCENARIOS = {
    "C1": (c1.C1SaturateOneEndpoint, "saturate one endpoint (--endpoint); compare RPS across worker counts"),
    "C2": (c2.C2CpuHeavy, "CPU-heavy requests (cpu, cpu/offload, mixed); watch the probe's p99"),
    "C3": (c3.C3SleepyRequests, "io/blocking vs io/sleep, io/threadpool, io/background; watch the probe"),
    "C4": (c4.C4WhoamiFreshConnections, "whoami over fresh connections; count the (pid, loop) pairs"),
    "C5": (c5.C5BlockingThenYielding, "blocking and yielding sleeps; watch the event-loop lag on the dashboard"),
    "C6": (c6.C6BigBodies, "5 MB bodies to upload or json (--mode, --parser, --offload); watch memory and probe"),
    "C7": (c7.C7WhoRunsTheView, "whoami from async and sync views; which thread, which loop"),
    "C8": (c8.C8ManySlowRequests, "many slow requests (io/sleep, db/sleep, db/read); use hundreds of users"),
    "C8-thousands": (c8k.C8InFlight, "thousands in flight: one io/sleep of --ms per user at a time; use thousands of users"),
    "C10": (c10.C10CpuTask, "one ~50 ms CPU task per request: pure Python (cpu, cpu/offload) or C that releases the "
                            "GIL (cpu/hash --mib, cpu/cython --n); compare server CPU and RPS, threads vs processes"),
    "C13": (c13.C13SteadyLoad, "steady load on --endpoint (db/read; io/blocking --ms 500 to keep threads busy); "
                               "compare total PSS across worker counts and --preload on the run page"),
    "C11": (c11.C11Handover, "work handed to a thread (--how, --work with --ms or --n); compare throughput, p99, "
                             "loop lag and threads started per request"),
    "C14": (c14.C14Subscriber, "server push: each user subscribes to stream/events (--events, --every-ms); "
                               "watch 'event delivery' (its lag) and 'generator loop lag'"),
    "C15": (c15.C15CallsUpstream, "calls to another service: io/upstream (--client, --ms) against a running "
                                  "upstream stub (python -m deploy.upstream_stub); compare with --endpoint io/sleep"),
}


@events.init_command_line_parser.add_listener
def _scenario_argument(parser):
    parser.add_argument("--scenario", choices=list(SCENARIOS), default="C3",
                        help="the claim to load-test: " + " | ".join(f"{k}: {d}" for k, (_, d) in SCENARIOS.items()))


class LabScenario(LabUser):
    """Runs the tasks of the chosen claim's scenario (with their weights)."""

    @task
    def scenario(self):
        user_class, _ = SCENARIOS[options(self).scenario]
        random.choice(user_class.tasks)(self)


class LabProbe(ProbeUser):
    pass
