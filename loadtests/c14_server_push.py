"""C14 — server push: each user subscribes to ``stream/events`` and stays subscribed.

A subscriber opens one stream of ``--events`` events sent ``--every-ms`` apart and reads it line
by line as it arrives. For every event it reports the delivery lag (its own clock when the event
arrived minus the ``sent`` stamp the server put in it; one machine, one clock) as a request named
"event delivery", so the recorder keeps the lag's full histogram beside the streams themselves
(reported once their headers arrive, under "stream/events"). A stream that ends or breaks before
its last event, or a subscription refused, is a failure named "stream lost"; the subscriber waits one
period and subscribes again.

Users start spread evenly over one period (``_stagger``), so with ``--schedule staggered`` the
server's sends are spread evenly too; ``--schedule burst`` makes every stream send on the same
beat instead.

The subscriber is light (one socket read per line, no JSON parsing but the one field it needs),
and the process measures its own lateness: a greenlet that asks to wake every 100 ms reports how
late it woke as "generator loop lag". A delivery lag is only the server's when that stays small.
"""
from __future__ import annotations

import time

import gevent
from locust import events

from _lab import LabUser, options, task
from _stagger import wait_for_my_phase
from groundwork.names import EVENT_DELIVERY, GENERATOR_LAG, STREAM_LOST

LAG_TICK_S = 0.1
SENT = b'"sent":'


def sent_stamp(line: bytes) -> float | None:
    """The ``sent`` stamp of an event's ``data:`` line (``data: {"i":0,"n":10,"sent":1.5}``)."""
    at = line.find(SENT)
    if not line.startswith(b"data:") or at < 0:
        return None
    end = line.find(b"}", at)
    try:
        return float(line[at + len(SENT):end if end > 0 else None])
    except ValueError:
        return None


def subscribe(user) -> None:
    """One stream, read to its end (or until the test stops the user)."""
    o = options(user)
    url = user.url("stream/events", n=o.events, every_ms=o.every_ms, schedule=o.schedule)
    fire = user.environment.events.request.fire
    received = 0
    try:
        response = user.client.request("GET", url, name="stream/events", stream=True)
        if response.status_code != 200:  # reported as a failed request by the client; and a stream lost
            raise RuntimeError(f"subscription refused: {response.status_code or response.error}")
        raw = response._response  # geventhttpclient's response: reads the decoded body line by line
        while line := raw.readline(b"\n"):
            sent = sent_stamp(line)
            if sent is not None:
                received += 1
                fire(request_type="SSE", name=EVENT_DELIVERY, response_time=(time.time() - sent) * 1000,
                     response_length=len(line), exception=None, context={})
        if received < o.events:
            raise RuntimeError(f"stream ended after {received} of {o.events} events")
    except Exception as exc:  # refused, broken mid-stream, or ended early
        fire(request_type="SSE", name=STREAM_LOST, response_time=0, response_length=0, exception=exc, context={})
        gevent.sleep(o.every_ms / 1000)  # a subscriber waits a beat before it tries again, never spins


class C14Subscriber(LabUser):
    connection_timeout = 60.0
    network_timeout = 120.0  # between two reads: far above any every_ms the lab uses

    def on_start(self):
        wait_for_my_phase(self, options(self).every_ms / 1000)

    @task
    def listen(self):
        subscribe(self)


def _watch_own_lag(environment) -> None:
    fire = environment.events.request.fire
    while True:
        asked = time.perf_counter()
        gevent.sleep(LAG_TICK_S)
        late_ms = (time.perf_counter() - asked - LAG_TICK_S) * 1000
        fire(request_type="LAG", name=GENERATOR_LAG, response_time=max(0.0, late_ms), response_length=0,
             exception=None, context={})


_watcher = None


def _runs_subscribers(environment) -> bool:
    """This scenario's users, alone or chosen in the web UI's scenario form (``lab.py``)."""
    chosen = getattr(environment.parsed_options, "scenario", None)
    return chosen == "C14" or any(issubclass(cls, C14Subscriber) for cls in environment.user_classes)


@events.test_start.add_listener
def _start_lag_watch(environment, **kwargs):
    global _watcher
    from locust.runners import MasterRunner

    if _watcher is None and _runs_subscribers(environment) and not isinstance(environment.runner, MasterRunner):
        _watcher = gevent.spawn(_watch_own_lag, environment)


@events.test_stop.add_listener
def _stop_lag_watch(environment, **kwargs):
    global _watcher
    if _watcher is not None:
        _watcher.kill(block=False)
        _watcher = None
