"""Open-loop load: requests start on a schedule, whether or not earlier ones have answered.

A Locust user is a closed loop: it sends its next request when the previous one answered,
so when the server stalls the user stops sending and the stall is never measured
(coordinated omission, Gil Tene's "How NOT to measure latency"); ``--arrival-rate`` paces
users but keeps that flaw. With ``--lab-rate R`` every scenario user (``_lab.LabUser``)
becomes instead, like wrk2, a generator:

- requests are *scheduled* at R per second, with ``--lab-arrivals constant`` (even gaps) or
  ``poisson`` (exponential gaps, as independent clients arrive), and each one is started in
  a greenlet of its own at its time, whatever the earlier ones are doing;
- each latency is measured from the request's *intended* start (``corrected``), beside the
  one from its actual send (``uncorrected``, what Locust's own statistics show), and how late
  it actually started (``lag``, the generator's own scheduling error): HdrHistograms kept by
  ``_recorder.py`` for the step;
- at most ``--lab-max-in-flight`` requests are outstanding; a request that finds the bound
  reached, or that could not start within ``--lab-max-lag-ms`` of its time, is not sent and
  counts as ``dropped (generator)`` (a failure in Locust's statistics and the step's
  ``dropped``), never silently skipped. The bench runner marks such a step invalid.

The rate is the total over every scenario user of every Locust process: with U of them
(counted by the master, as for ``--arrival-rate``) each sends R/U, and user k starts k/R
after the first, so that their requests interleave. In distributed mode user k is the
j-th on worker w, k = w + j*W (Locust deals users to its W workers in turn), so one user per
worker gives each worker R/W, offset by w/R.

Each scheduled start runs one of the user's tasks (picked by weight): each task should make
one request, as the lab's scenarios do.
"""
from __future__ import annotations

import argparse
import itertools
import logging
import random
import time

import gevent
from gevent.pool import Pool
from locust import events
from locust.exception import StopUser
from locust.runners import MasterRunner, WorkerRunner
from locust.user.users import LOCUST_STATE_RUNNING, LOCUST_STATE_STOPPING, LOCUST_STATE_WAITING

import _form_guard
import _recorder
from _knob_types import int_between, non_negative
from _schedule import RateChange, global_index, share, starts

log = logging.getLogger("lab.open_loop")
ARRIVALS = ("constant", "poisson")


def _rate_change(text: str) -> str:
    """``AT_SECONDS:FACTOR`` or empty, checked here; the generator parses it when it starts."""
    if text:
        try:
            RateChange.parse(text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None
    return text


@events.init_command_line_parser.add_listener
def _open_loop_arguments(parser):
    parser.add_argument("--lab-rate", type=non_negative, default=0.0,
                        help="open loop: requests/s started on a schedule whether or not earlier ones answered, "
                             "latency measured from each one's intended start (0 = off)")
    parser.add_argument("--lab-arrivals", choices=ARRIVALS, default="poisson",
                        help="open loop: constant gaps, or Poisson arrivals (exponential gaps) at --lab-rate")
    parser.add_argument("--lab-max-in-flight", type=int_between(1), default=1000,
                        help="open loop: most outstanding requests; a request beyond is dropped (generator)")
    parser.add_argument("--lab-max-lag-ms", type=non_negative, default=1000.0,
                        help="open loop: a request that cannot start this late after its time is dropped (generator)")
    parser.add_argument("--lab-rate-change", default="", type=_rate_change,
                        help="open loop: AT_SECONDS:FACTOR, from then on the rate is multiplied by FACTOR "
                             "(e.g. 31:0.25: an overload, then a quarter of it to see the recovery)")
    parser.add_argument("--lab-generators", type=int, default=1, include_in_web_ui=False,
                        help="set by the master: how many Locust processes share --lab-rate")


# --- the generator -----------------------------------------------------------------------

class GeneratorFellBehind(Exception):
    """A scheduled request the generator could not start in time (it was not sent): the generator
    itself was late, so the step measured the generator, not the server."""

    late = True


class InFlightBoundReached(GeneratorFellBehind):
    """A scheduled request not sent because ``--lab-max-in-flight`` earlier ones were still unanswered:
    the server is not keeping up (overload), which is a finding, not a fault of the generator."""

    late = False


_local_users = itertools.count()  # this process's open-loop users, in the order they start


@events.test_start.add_listener
def _count_generators(environment, **kwargs):
    """The master hands the number of Locust processes to the workers (with every spawn
    message's options); every process restarts its own count of users."""
    global _local_users
    _local_users = itertools.count()
    if isinstance(environment.runner, MasterRunner) and environment.parsed_options is not None:
        _form_guard.set_by_runner(environment, "lab_generators", max(1, environment.runner.worker_count))


def request_context() -> dict:
    """For ``User.context()``: a request made by an open-loop start carries its intended start."""
    intended = getattr(gevent.getcurrent(), "lab_intended_start", None)
    return {} if intended is None else {_recorder.INTENDED_START: intended}


class OpenLoop:
    """Drives one Locust user open loop: starts its tasks on the schedule, each in a greenlet."""

    def __init__(self, user, options):
        self.user = user
        self.options = options
        self.pool = Pool(options.lab_max_in_flight)
        runner = user.environment.runner
        workers = max(1, options.lab_generators) if isinstance(runner, WorkerRunner) else 1
        users = max(1, options.lab_paced_users)
        index = global_index(max(0, getattr(runner, "worker_index", 0)), workers, next(_local_users)) % users
        self.part = share(options.lab_rate, users, index)
        self.tasks = [t for t in user.tasks if callable(t) and not hasattr(t, "tasks")]
        if len(self.tasks) != len(user.tasks):
            raise TypeError(f"{type(user).__name__}: open loop runs task functions, not TaskSets")

    def run(self) -> None:
        """Until the user is stopped: sleep to each intended start, then start or drop it."""
        origin = time.perf_counter()
        change = RateChange.parse(self.options.lab_rate_change) if self.options.lab_rate_change else None
        for offset in starts(self.part, self.options.lab_arrivals, random.Random(), change):
            intended = origin + offset
            delay = intended - time.perf_counter()
            if delay > 0:
                self.user._state = LOCUST_STATE_WAITING  # a graceful stop may kill us while we sleep
                gevent.sleep(delay)
            if self.user._state == LOCUST_STATE_STOPPING:
                raise StopUser()
            self.user._state = LOCUST_STATE_RUNNING
            self.start(intended)

    def start(self, intended: float) -> None:
        late_ms = (time.perf_counter() - intended) * 1000
        if self.pool.full():
            self.drop(InFlightBoundReached(f"{self.options.lab_max_in_flight} requests already in flight "
                                           "(--lab-max-in-flight)"))
        elif late_ms > self.options.lab_max_lag_ms:
            self.drop(GeneratorFellBehind(f"could not start within {self.options.lab_max_lag_ms:g} ms of its time "
                                          "(--lab-max-lag-ms)"))
        else:
            greenlet = gevent.Greenlet(self._request, intended)
            greenlet.lab_intended_start = intended  # read by request_context() in that greenlet
            self.pool.start(greenlet)

    def drop(self, why: GeneratorFellBehind) -> None:
        self.user.environment.events.request.fire(
            request_type="OPEN", name=_recorder.DROPPED, response_time=0, response_length=0,
            exception=why, context={}, response=None, url=None)

    def _request(self, intended: float) -> None:
        _recorder.open_loop_started(time.perf_counter() - intended)
        task = random.choice(self.tasks)
        try:
            task(self.user)
        except (StopUser, gevent.GreenletExit):
            pass
        except Exception as exc:  # as Locust's TaskSet does: log, tell listeners, go on
            log.error("%s: %s", type(self.user).__name__, exc, exc_info=True)
            self.user.environment.events.user_error.fire(user_instance=self.user, exception=exc,
                                                         tb=exc.__traceback__)

    def stop(self) -> None:
        """Requests still in flight when the test stops are abandoned (never counted)."""
        self.pool.kill(block=False)
