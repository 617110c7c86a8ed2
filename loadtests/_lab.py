"""Shared parts of the lab's Locust scenarios (not a locustfile itself: the leading
underscore keeps Locust from loading it as one).

- Every knob a scenario has is a Locust custom argument, so it shows and can be edited in
  the web UI: ``--prefix``, ``--ms``, ``--n``, ``--count``, ``--driver``, ``--mode``,
  ``--body-kb``, ``--parser``, ``--offload``, ``--endpoint``, ``--arrival-rate``.
- ``ProbeUser`` is the light user on ``ping``, reported under its own name ("probe"), so
  how long a cheap request waits while heavy ones run is always visible.
- ``--arrival-rate R`` switches every user from closed loop (next request as soon as the
  previous answered) to a paced loop: together the users aim at R requests per second.
  A closed loop alone hides overload (coordinated omission); with a target rate, a server
  that cannot keep up shows as achieved RPS below R, which the runner records.
- ``_recorder.py`` records what the bench runner stores (only with ``--lab-out``).
"""
from __future__ import annotations

import functools
import json

from locust import FastHttpUser, between, events, task
from locust import constant_throughput

import _dashboard_link  # noqa: F401  (links the web UI to the lab's dashboard)
import _recorder  # noqa: F401  (registers the runner's recorder: --lab-out)


@events.init_command_line_parser.add_listener
def _lab_arguments(parser):
    group = parser.add_argument_group("lab scenario knobs")
    group.add_argument("--prefix", choices=["/api", "/sync", "/async"], default="/api",
                       help="/api = the deployment's own flavour; /sync, /async = fixed flavour")
    group.add_argument("--endpoint", default="", help="which endpoint a scenario's main user hits "
                       "(each scenario says which it accepts; empty = its default)")
    group.add_argument("--ms", type=int, default=100, help="sleep length for io/*, db/sleep, mixed")
    group.add_argument("--n", type=int, default=200_000, help="CPU work size for cpu, mixed")
    group.add_argument("--count", type=int, default=10, help="reads per db/queries request")
    group.add_argument("--driver", choices=["orm", "native"], default="orm", help="DB path for db/*")
    group.add_argument("--mode", choices=["buffer", "stream"], default="buffer", help="upload read mode")
    group.add_argument("--body-kb", type=int, default=5120, help="request body size for upload/json (KiB)")
    group.add_argument("--parser", choices=["json", "orjson"], default="json", help="json parser")
    group.add_argument("--offload", type=int, choices=[0, 1], default=0, help="json: parse in a thread pool")
    group.add_argument("--arrival-rate", type=float, default=0.0,
                       help="target requests/s over all users (0 = closed loop)")
    group.add_argument("--probe-rate", type=float, default=10.0, help="probe user's requests/s")


def options(user):
    return user.environment.parsed_options


def chosen_endpoint(user, allowed: tuple[str, ...]) -> str:
    """``--endpoint``, or the scenario's default (the first it allows); anything else is refused."""
    endpoint = options(user).endpoint or allowed[0]
    if endpoint not in allowed:
        raise ValueError(f"{type(user).__name__}: --endpoint must be one of {', '.join(allowed)}, got {endpoint!r}")
    return endpoint


class LabUser(FastHttpUser):
    """Base of every scenario user: closed loop, or paced by --arrival-rate."""

    abstract = True

    def wait_time(self):
        rate = options(self).arrival_rate
        if rate <= 0:
            return 0
        users = max(1, self.environment.runner.user_count if self.environment.runner else 1)
        return constant_throughput(rate / users)(self)

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
