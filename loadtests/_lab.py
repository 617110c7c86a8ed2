"""Shared parts of the lab's Locust scenarios (not a locustfile itself: the leading
underscore keeps Locust from loading it as one).

- Every knob a scenario has is a Locust custom argument, so it shows and can be edited in
  the web UI: ``--prefix``, ``--ms``, ``--n``, ``--count``, ``--driver``, ``--mode``,
  ``--body-kb``, ``--parser``, ``--offload``, ``--endpoint``, ``--client``, ``--how``, ``--work``, ``--events``, ``--every-ms``,
  ``--schedule``, ``--arrival-rate``.
- ``ProbeUser`` is the light user on ``ping``, reported under its own name ("probe"), so
  how long a cheap request waits while heavy ones run is always visible.
- ``--arrival-rate R`` switches every scenario user from closed loop (next request as soon
  as the previous answered) to a paced loop: together they aim at R requests per second.
  The rate is shared among the paced users only (the probe keeps its own rate) and across
  Locust worker processes: the master counts the paced users when the test starts and
  hands the count to every worker with the other options.
  A closed loop alone hides overload (coordinated omission); with a target rate, a server
  that cannot keep up shows as achieved RPS below R, which the runner records.
- ``--lab-rate R`` switches them to an open loop instead (``_open_loop.py``): requests start
  on a schedule whether or not earlier ones answered, and latency counts from each one's
  intended start.
- ``_recorder.py`` records what the bench runner stores (only with ``--lab-out``).
"""
from __future__ import annotations

import argparse
import functools
import json
import sys
from pathlib import Path

from gevent import GreenletExit
from locust import FastHttpUser, between, events, task
from locust import constant_throughput
from locust.exception import StopTest, StopUser
from locust.runners import WorkerRunner

import _form_guard  # before the recorder: its test_start check must run first
import _dashboard_link  # noqa: F401  (links the web UI to the lab's dashboard)
import _open_loop
import _recorder  # noqa: F401  (registers the runner's recorder: --lab-out)
from _knob_types import int_between, non_negative, positive

# The knobs' defaults, bounds and choices are the endpoint catalogue's: the project root must be
# importable however Locust was started (its console script puts only loadtests/ on the path).
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from workloads import catalogue as c  # noqa: E402


def _int_knob(param, what: str) -> dict:
    """An integer knob whose default and bounds are the catalogue's (one place for both); a
    value out of bounds is refused on the command line, as the server would refuse it."""
    def bounded(text: str) -> int:
        try:
            return param.parse(text)
        except Exception as exc:  # workloads.errors.ApiError: its message names the bounds
            raise argparse.ArgumentTypeError(getattr(exc, "message", str(exc))) from None

    bounded.__name__ = "int"  # argparse names the type in its error messages
    return {"type": bounded, "default": param.default,
            "help": f"{what} ({param.low}-{param.high}, default {param.default})"}


# The generator builds each body in memory (and caches a few): this keeps a typo from exhausting it.
BODY_KB_MAX = 64 * 1024


def _choice_knob(param, what: str) -> dict:
    return {"choices": list(param.choices), "default": param.default, "help": what}


@events.init_command_line_parser.add_listener
def _lab_arguments(parser):
    # On the parser itself, not an argument group: only these show in the web UI's
    # "Custom parameters" panel, with their help, choices and defaults.
    parser.add_argument("--prefix", choices=["/api", "/sync", "/async"], default="/api",
                        help="/api = the deployment's own view flavour; /sync, /async = a fixed flavour (cross cells)")
    parser.add_argument("--endpoint", default="", help="the endpoint a scenario's main user hits "
                        "(each scenario says which it accepts; empty = its default)")
    parser.add_argument("--ms", **_int_knob(c.WAIT_MS, f"sleep length in ms for io/*, db/sleep, mixed (io/sleep "
                                                       f"takes up to {c.WAIT_MS.high}, the others {c.MS.high})"))
    parser.add_argument("--n", **_int_knob(c.N, "CPU work size for cpu, cpu/offload, mixed; steps of cpu/cython's loop"))
    parser.add_argument("--mib", **_int_knob(c.MIB, "cpu/hash: MiB hashed per request (C work that releases the GIL)"))
    parser.add_argument("--count", **_int_knob(c.COUNT, "reads per db/queries request"))
    parser.add_argument("--driver", **_choice_knob(c.DRIVER, "DB path for db/*: Django's ORM, raw SQL on psycopg, or django-async-backend (async views on ASGI only)"))
    parser.add_argument("--mode", **_choice_knob(c.UPLOAD_MODE, "upload: read the body at once or in chunks"))
    parser.add_argument("--body-kb", type=int_between(1, BODY_KB_MAX), default=5120,
                        help=f"request body size for upload/json (KiB, 1-{BODY_KB_MAX})")
    parser.add_argument("--parser", **_choice_knob(c.JSON_PARSER, "json: the parser"))
    parser.add_argument("--offload", type=int, choices=[c.OFFLOAD.low, c.OFFLOAD.high], default=c.OFFLOAD.default,
                        help="json: parse in the thread pool (1) or inline (0)")
    parser.add_argument("--call", **_choice_knob(c.BACKGROUND_CALL, "io/background: hand asyncio.sleep (sleep) "
                                                                    "or the blocking call (blocking) to background work"))
    parser.add_argument("--client", **_choice_knob(c.UPSTREAM_CLIENT, "io/upstream: the view flavour's pooled client, "
                                                                      "a client per request, or the pooled sync client "
                                                                      "in the thread pool"))
    parser.add_argument("--how", **_choice_knob(c.HANDOVER_HOW, "handover: how the view hands its work to a thread "
                                                                "(a pool per request, the shared pool, "
                                                                "asyncio.to_thread, sync_to_async)"))
    parser.add_argument("--work", **_choice_knob(c.HANDOVER_WORK, "handover: a blocking call of --ms, or CPU work "
                                                                  "of size --n"))
    parser.add_argument("--events", **_int_knob(c.EVENTS, "stream/events: events per stream (a subscriber then "
                                                          "subscribes again)"))
    parser.add_argument("--every-ms", **_int_knob(c.EVERY_MS, "stream/events: ms between two events"))
    parser.add_argument("--schedule", **_choice_knob(c.SCHEDULE, "stream/events: each stream on its own beat "
                                                                 "(staggered) or all on one (burst)"))
    parser.add_argument("--arrival-rate", type=non_negative, default=0.0,
                        help="target requests/s shared by the scenario's users (0 = closed loop)")
    parser.add_argument("--probe-rate", type=positive, default=10.0, help="the probe user's requests/s")
    parser.add_argument("--lab-paced-users", type=int, default=0, include_in_web_ui=False,
                        help="set by the master: how many users share --arrival-rate or --lab-rate, over all workers")


def probe_users(user_classes) -> int:
    """How many probe users a test runs (each probe class runs a fixed count)."""
    return sum(cls.fixed_count for cls in user_classes if issubclass(cls, ProbeUser))


@events.test_start.add_listener
def _count_paced_users(environment, **kwargs):
    """On the master (or a local runner): the users that share --arrival-rate are all the
    users but the probes. Workers receive this with the options of every spawn message."""
    if environment.parsed_options is None or isinstance(environment.runner, WorkerRunner):
        return
    target = environment.runner.target_user_count if environment.runner else 0
    _form_guard.set_by_runner(environment, "lab_paced_users", max(1, target - probe_users(environment.user_classes)))


def options(user):
    return user.environment.parsed_options


def chosen_endpoint(user, allowed: tuple[str, ...]) -> str:
    """``--endpoint``, or the scenario's default (the first it allows); anything else is refused."""
    endpoint = options(user).endpoint or allowed[0]
    if endpoint not in allowed:
        raise ValueError(f"{type(user).__name__}: --endpoint must be one of {', '.join(allowed)}, got {endpoint!r}")
    return endpoint


class LabUser(FastHttpUser):
    """Base of every scenario user: closed loop, paced by --arrival-rate, or open loop (--lab-rate)."""

    abstract = True

    def __init__(self, environment):
        o = environment.parsed_options
        if o is not None and o.lab_rate > 0:  # one connection per request in flight: none waits for the pool
            self.concurrency = o.lab_max_in_flight
        super().__init__(environment)

    def run(self):
        if options(self).lab_rate <= 0:
            return super().run()
        generator = _open_loop.OpenLoop(self, options(self))
        try:
            generator.run()
        except (GreenletExit, StopUser, StopTest):
            pass
        finally:
            generator.stop()

    def context(self) -> dict:
        return _open_loop.request_context()

    def wait_time(self):
        rate = options(self).arrival_rate
        if rate <= 0:
            return 0
        return constant_throughput(rate / max(1, options(self).lab_paced_users))(self)

    def url(self, endpoint: str, **params) -> str:
        query = "&".join(f"{k}={v}" for k, v in params.items())
        return f"{options(self).prefix}/{endpoint}" + (f"?{query}" if query else "")

    def get(self, endpoint: str, name: str | None = None, **params):
        return self.client.get(self.url(endpoint, **params), name=name or endpoint)


class ProbeUser(FastHttpUser):
    """The fairness probe: a few ``ping`` per second, reported as "probe"."""

    abstract = True  # scenarios subclass it so it runs only beside their load
    weight = 1
    fixed_count = 1

    def wait_time(self):
        return constant_throughput(options(self).probe_rate)(self)

    @functools.cached_property
    def _probe_url(self) -> str:
        return f"{options(self).prefix}/ping"

    @task
    def probe(self):
        self.client.get(self._probe_url, name="probe")


@functools.lru_cache(maxsize=8)
def json_body(kb: int) -> bytes:
    """A JSON array of small objects, about ``kb`` KiB: parsing it is real CPU work."""
    item = json.dumps({"id": 12345, "name": "x" * 40, "tags": ["a", "b", "c"], "score": 1.5})
    count = max(1, kb * 1024 // (len(item) + 1))
    return ("[" + ",".join([item] * count) + "]").encode()


@functools.lru_cache(maxsize=8)
def raw_body(kb: int) -> bytes:
    return bytes(range(256)) * (kb * 1024 // 256)


__all__ = ["LabUser", "ProbeUser", "between", "chosen_endpoint", "json_body", "raw_body", "options", "task"]
