"""What the bench runner stores, recorded inside Locust (local runner, or master and workers).

Active only with ``--lab-out FILE``. After ``--lab-warmup`` seconds the measured window
begins: Locust's stats are reset and the recorder's own tally starts empty (nothing from
the warm-up is kept). From then on it keeps a 1-second time series per endpoint (from
Locust's stats), and when the test stops it writes, per endpoint:

- ``requests`` (all of them) and ``failures``; ``rps`` = *successful* requests per second;
- over successful requests only: ``avg_ms``, ``p50``..``p999``, ``max_ms`` and the full
  ``histogram`` (Locust's rounded buckets: ms rounded to 1 below 100 ms, to 10 below 1 s,
  to 100 above), so any percentile can be recomputed later;
- ``server_timing``: per metric of the responses' ``Server-Timing`` header (successful
  responses only), e.g. ``{"parse": {"count", "sum_ms", "avg_ms", "max_ms", "p50".."p999",
  "histogram_us"}}``; durations in ms, the histogram in µs with the same rounding (1 µs
  below 100 µs, 10 µs below 1 ms, 100 µs below 10 ms, 1 ms above);

plus failures by kind and the load generator's own CPU use, and, for an open-loop step
(``--lab-rate``, see ``_open_loop.py``), ``open_loop``: the offered rate, the requests the
generator dropped, and three HdrHistograms in µs (kept whole, base64-encoded, beside their
percentiles in ms): ``corrected`` (successful requests, from each one's *intended* start),
``uncorrected`` (the same requests, from the actual send: what Locust reports) and ``lag``
(how late each request started against its schedule).

The per-endpoint numbers come from the recorder's own tally, fed by the ``request`` event
in the process that makes the requests, never from Locust's merged stats (those mix
failures into the response times). In distributed mode (``--processes N``):

- the master opens the window by sending ``lab_measure`` (the window id: its start time)
  to every worker; a worker resets its own Locust stats and tallies from that moment only,
  so no warm-up request can be counted, whenever its reports arrive;
- each worker ships what it tallied since its last report with every ``report_to_master``,
  tagged with the window id; the master merges (``worker_report``) only reports of its
  current window;
- when the test stops, the master closes the window by sending ``lab_flush``: each worker
  stops tallying and sends a last report at once, marked final; the master waits for the
  final report of every connected worker (at most ``FLUSH_TIMEOUT_S``) before writing.
  Without this the last seconds of every worker (reports go every 3 s) would be missing.

Each worker's window is thus the master's, shifted by one message's latency at both ends.
"""
from __future__ import annotations

import json
import os
import time

import gevent
import psutil
from locust import events
from locust import stats as locust_stats
from locust.runners import STATE_MISSING, MasterRunner, WorkerRunner
from locust.stats import calculate_response_time_percentile

import _web_record  # runs started from the web UI are stored too
from _hdr import PERCENTILES, OpenLoopTally

FLUSH_TIMEOUT_S = 10.0
# The open-loop generator's vocabulary (loadtests/_open_loop.py speaks it, the recorder reads it):
DROPPED = "dropped (generator)"  # the request-event name of a request the generator could not start in time
INTENDED_START = "lab_intended_start"  # request-event context: the request's start on the schedule (perf_counter s)


@events.init_command_line_parser.add_listener
def _recorder_arguments(parser):
    parser.add_argument("--lab-out", default="", include_in_web_ui=False,
                        help="bench runner: write the measured step to this JSON file")
    parser.add_argument("--lab-warmup", type=float, default=0.0, include_in_web_ui=False,
                        help="bench runner: seconds of warm-up to discard before measuring")


# --- the tally: what one process (or the merge of all workers) saw -------------------------

def parse_server_timing(header: str) -> dict[str, float]:
    """``parse;dur=0.412, db;dur=3`` -> ``{"parse": 0.412, "db": 3.0}``; a metric without
    ``dur`` (or with an unreadable one) is left out."""
    timings = {}
    for metric in header.split(","):
        name, *params = (part.strip() for part in metric.split(";"))
        for param in params:
            key, _, value = param.partition("=")
            if name and key.strip().lower() == "dur":
                try:
                    timings[name] = float(value.strip().strip('"'))
                except ValueError:
                    pass
    return timings


class Distribution:
    """Count, sum and max of durations in ms, and their histogram: Locust's rounded buckets
    of the duration in units of 1/``per_ms`` ms (``per_ms`` 1: ms buckets; 1000: µs buckets)."""

    def __init__(self, per_ms: int, wire: dict | None = None):
        self.per_ms = per_ms
        self.count, self.sum_ms, self.max_ms, self.histogram = 0, 0.0, None, {}
        if wire:
            self.merge(wire)

    def add(self, ms: float) -> None:
        self.count += 1
        self.sum_ms += ms
        self.max_ms = ms if self.max_ms is None else max(self.max_ms, ms)
        bucket = locust_stats.bucket_response_time(ms * self.per_ms)  # looked up: Locust lets it be replaced
        self.histogram[bucket] = self.histogram.get(bucket, 0) + 1

    def merge(self, wire: dict) -> None:
        self.count += wire["count"]
        self.sum_ms += wire["sum_ms"]
        if wire["max_ms"] is not None:
            self.max_ms = wire["max_ms"] if self.max_ms is None else max(self.max_ms, wire["max_ms"])
        for bucket, n in wire["histogram"].items():
            self.histogram[bucket] = self.histogram.get(bucket, 0) + n

    def wire(self) -> dict:
        return {"count": self.count, "sum_ms": self.sum_ms, "max_ms": self.max_ms, "histogram": self.histogram}

    def percentiles(self) -> dict[str, float | None]:
        """In ms; None when nothing was counted."""
        return {label: calculate_response_time_percentile(self.histogram, self.count, p) / self.per_ms
                if self.count else None for label, p in PERCENTILES.items()}

    def sorted_histogram(self) -> dict[str, int]:
        return {str(bucket): n for bucket, n in sorted(self.histogram.items())}


class EndpointTally:
    """One endpoint (name, method): every request and failure; the response times and the
    Server-Timing metrics of the successful requests only."""

    def __init__(self, name: str, method: str):
        self.name, self.method = name, method
        self.requests = self.failures = 0
        self.response = Distribution(1)
        self.server_timing: dict[str, Distribution] = {}

    def record(self, response_time: float | None, response, exception) -> None:
        self.requests += 1
        if exception is not None:
            self.failures += 1
            return
        if response_time is not None:
            self.response.add(response_time)
        headers = getattr(response, "headers", None)
        for metric, ms in parse_server_timing((headers and headers.get("Server-Timing")) or "").items():
            self._metric(metric).add(ms)

    def _metric(self, metric: str) -> Distribution:
        if metric not in self.server_timing:
            self.server_timing[metric] = Distribution(1000)
        return self.server_timing[metric]

    def merge(self, wire: dict) -> None:
        self.requests += wire["requests"]
        self.failures += wire["failures"]
        self.response.merge(wire["response"])
        for metric, timing in wire["server_timing"].items():
            self._metric(metric).merge(timing)

    def wire(self) -> dict:
        """A plain dict (int histogram keys), as a worker report carries it (msgpack)."""
        return {"name": self.name, "method": self.method, "requests": self.requests, "failures": self.failures,
                "response": self.response.wire(),
                "server_timing": {metric: d.wire() for metric, d in self.server_timing.items()}}

    def result(self, elapsed: float) -> dict:
        ok = self.response
        item = {"name": self.name, "method": self.method, "requests": self.requests, "failures": self.failures,
                "rps": (self.requests - self.failures) / elapsed,
                "avg_ms": ok.sum_ms / ok.count if ok.count else None, "max_ms": ok.max_ms,
                "histogram": ok.sorted_histogram(), **ok.percentiles()}
        item["server_timing"] = {
            metric: {"count": d.count, "sum_ms": d.sum_ms, "avg_ms": d.sum_ms / d.count, "max_ms": d.max_ms,
                     **d.percentiles(), "histogram_us": d.sorted_histogram()}
            for metric, d in sorted(self.server_timing.items())}
        return item


class Tally:
    def __init__(self):
        self.endpoints: dict[tuple[str, str], EndpointTally] = {}
        self.open_loop = OpenLoopTally()

    def endpoint(self, name: str, method: str) -> EndpointTally:
        key = (name, method)
        if key not in self.endpoints:
            self.endpoints[key] = EndpointTally(name, method)
        return self.endpoints[key]

    def record(self, request_type: str, name: str, response_time, response, exception, context) -> None:
        if name == DROPPED:  # not a request the server saw: the generator's own failure
            self.open_loop.dropped += 1
            self.open_loop.dropped_late += bool(getattr(exception, "late", True))
            return
        self.endpoint(name, request_type).record(response_time, response, exception)
        intended = (context or {}).get(INTENDED_START)
        if intended is not None and exception is None and response_time is not None:
            self.open_loop.completed(time.perf_counter() - intended, response_time / 1000)

    def merge(self, wire: dict) -> None:
        for item in wire["endpoints"]:
            self.endpoint(item["name"], item["method"]).merge(item)
        if wire.get("open_loop"):
            self.open_loop.merge(wire["open_loop"])

    def take(self) -> dict:
        """What was tallied since the last take, as sent to the master; the tally starts over."""
        wire = {"endpoints": [e.wire() for e in self.endpoints.values()],
                "open_loop": None if self.open_loop.empty else self.open_loop.wire()}
        self.endpoints, self.open_loop = {}, OpenLoopTally()
        return wire


class _Window:
    """This process's own measured window, in the process that makes the requests (a local
    runner or a worker): it tallies only while open. Its id is the master's start time."""

    def __init__(self):
        self.id: float | None = None
        self.open = False
        self.tally = Tally()

    def begin(self, window_id: float) -> None:
        self.id, self.open, self.tally = window_id, True, Tally()

    def end(self) -> None:
        self.open = False

    def report(self) -> dict | None:
        """A worker's report: what it tallied since the last one; the last one is marked final."""
        if self.id is None:
            return None
        report = {"window": self.id, **self.tally.take(), "final": not self.open}
        if not self.open:
            self.id = None
        return report


_window = _Window()


@events.request.add_listener
def _on_request(request_type, name, response_time, response=None, exception=None, context=None, **kwargs):
    if _window.open:
        _window.tally.record(request_type, name, response_time, response, exception, context)


def open_loop_started(lag_s: float) -> None:
    """The open-loop generator started a request ``lag_s`` after its intended time."""
    if _window.open:
        _window.tally.open_loop.started(lag_s)


@events.init.add_listener
def _on_init(environment, **kwargs):
    if isinstance(environment.runner, WorkerRunner):
        environment.runner.register_message("lab_measure", _on_measure)
        environment.runner.register_message("lab_flush", _on_flush)


def _on_measure(environment, msg, **kwargs):
    """Worker: the measured window begins. Warm-up stats not reported yet are dropped too."""
    environment.stats.reset_all()
    _window.begin(msg.data)


def _on_flush(environment, msg, **kwargs):
    """Worker: the window ends; report at once (Locust's stats too), as the worker's stats
    reporter would, instead of up to 3 s later, when the master has already written."""
    if _window.id != msg.data:
        return
    _window.end()
    data: dict = {}
    environment.events.report_to_master.fire(client_id=environment.runner.client_id, data=data)
    environment.runner.send_message("stats", data)


@events.report_to_master.add_listener
def _on_report_to_master(client_id, data, **kwargs):
    report = _window.report()
    if report is not None:
        data["lab"] = report


@events.worker_report.add_listener
def _on_worker_report(client_id, data, **kwargs):
    report = data.get("lab")
    if _recorder is not None and report and report["window"] == _recorder.started:
        _recorder.tally.merge(report)
        if report["final"]:
            _recorder.final_reports.add(client_id)


# --- the recorder: on the master or the local runner ---------------------------------------

class _Recorder:
    def __init__(self, environment, out: str, warmup: float, web_ui: bool = False):
        self.env = environment
        self.distributed = isinstance(environment.runner, MasterRunner)
        self.out = out
        self.warmup = warmup
        self.web_ui = web_ui  # a run started from the web UI: stored when it stops
        self.started: float | None = None
        self.tally = Tally()  # distributed: the workers' reports merged; local: the local window's
        self.final_reports: set[str] = set()
        self.series: list[dict] = []
        self.machine: list[dict] = []  # per second: each CPU's busy share, the busiest generator process
        self._machine_prev: tuple[list, dict[int, float], float, dict[int, float]] | None = None
        self._previous: dict = {}
        self._cpu_start: dict[int, float] = {}
        self._procs: dict[int, psutil.Process] = {}
        self._greenlet = gevent.spawn(self._run)

    # --- generator CPU, over the measured window only --------------------------------
    def _generator_processes(self) -> list[psutil.Process]:
        me = psutil.Process(os.getpid())
        for p in [me, *me.children(recursive=True)]:
            self._procs.setdefault(p.pid, p)  # keep objects: cpu_percent needs the same one
        return list(self._procs.values())

    def _cpu_seconds(self) -> dict[int, float]:
        seconds = {}
        for p in self._generator_processes():
            try:
                t = p.cpu_times()
                seconds[p.pid] = t.user + t.system
            except psutil.NoSuchProcess:
                pass
        return seconds

    # --- the measurement --------------------------------------------------------------
    def _run(self) -> None:
        gevent.sleep(self.warmup)
        self.env.stats.reset_all()
        self.started = time.time()
        if self.distributed:
            self.env.runner.send_message("lab_measure", self.started)
        else:
            _window.begin(self.started)
        with open(f"{self.out}.measuring", "w") as marker:  # the runner times fault injections from here
            marker.write(str(self.started))
        self._users = self.env.runner.user_count if self.env.runner else None
        self._cpu_start = self._cpu_seconds()
        self._wall_start = time.monotonic()
        self._machine_prev = (psutil.cpu_times(percpu=True), dict(self._cpu_start), self._wall_start,
                              self._runqueue_seconds())
        while True:
            gevent.sleep(1.0)
            self._tick()

    def _runqueue_seconds(self) -> dict[int, float]:
        """Per generator process, the seconds its threads spent runnable but waiting for a CPU
        (``/proc/PID/task/*/schedstat``, second field): the direct sign of a starved generator,
        whoever took the CPU. Empty where the kernel does not keep scheduler statistics."""
        waited = {}
        for p in self._generator_processes():
            total = 0
            try:
                for task in os.scandir(f"/proc/{p.pid}/task"):
                    with open(f"{task.path}/schedstat") as f:
                        total += int(f.read().split()[1])
            except (OSError, ValueError, IndexError):
                continue
            waited[p.pid] = total / 1e9
        return waited

    def _tick_machine(self, t: float) -> None:
        """What the machine did in the last second, for validity: a generator can be starved by
        another process on its core (PostgreSQL is not pinned) without its own CPU showing it, and
        its mean over the window hides the seconds it spent at a full core."""
        if self._machine_prev is None:
            return
        cpus, procs, wall, waits = (psutil.cpu_times(percpu=True), self._cpu_seconds(), time.monotonic(),
                                    self._runqueue_seconds())
        prev_cpus, prev_procs, prev_wall, prev_waits = self._machine_prev
        busy = []
        for now, before in zip(cpus, prev_cpus):
            total = sum(now) - sum(before)
            idle = (now.idle + getattr(now, "iowait", 0.0)) - (before.idle + getattr(before, "iowait", 0.0))
            busy.append(round(100 * (total - idle) / total, 1) if total > 0 else 0.0)
        elapsed = max(1e-6, wall - prev_wall)
        busiest = max((100 * (procs[pid] - prev_procs.get(pid, procs[pid])) / elapsed for pid in procs), default=0.0)
        waited = max((100 * (waits[pid] - prev_waits.get(pid, waits[pid])) / elapsed for pid in waits), default=None)
        self.machine.append({"t": t, "cpu_busy": busy, "generator_max_process": round(busiest, 1),
                             "generator_runqueue_pct": None if waited is None else round(waited, 1)})
        self._machine_prev = (cpus, procs, wall, waits)

    def _tick(self) -> None:
        t = round(time.time() - self.started, 3)
        self._tick_machine(t)
        for key, entry in list(self.env.stats.entries.items()):
            hist = dict(entry.response_times)
            prev_hist, prev_n, prev_f = self._previous.get(key, ({}, 0, 0))
            delta = {ms: c - prev_hist.get(ms, 0) for ms, c in hist.items() if c - prev_hist.get(ms, 0) > 0}
            n = entry.num_requests - prev_n
            point = {"t": t, "name": entry.name, "method": entry.method, "requests": n,
                     "failures": entry.num_failures - prev_f}
            for label in ("p50", "p99"):
                point[label] = calculate_response_time_percentile(delta, n, PERCENTILES[label]) if n else None
            self.series.append(point)
            self._previous[key] = (hist, entry.num_requests, entry.num_failures)

    def write(self) -> None:
        self._greenlet.kill(block=False)
        if self.started is None:
            result = {"error": "the test stopped during warm-up: nothing was measured"}
        else:
            elapsed = max(1e-6, time.monotonic() - self._wall_start)
            self._tick()  # the last, partial second: without it a short or starved step had no series
            cpu_end = self._cpu_seconds()
            missing = self._close_window()
            result = self._result(elapsed, cpu_end)
            if missing:
                result["error"] = (f"{missing} Locust worker(s) sent no final report within {FLUSH_TIMEOUT_S:.0f} s: "
                                   f"the step's counts are incomplete")
        tmp = f"{self.out}.tmp"
        with open(tmp, "w") as f:
            json.dump(result, f)
        os.replace(tmp, self.out)

    def _close_window(self) -> int:
        """End the measured window; distributed: wait for every worker's final report.
        Returns how many workers never sent theirs."""
        if not self.distributed:
            _window.end()
            self.tally = _window.tally
            return 0
        expected = {c.id for c in self.env.runner.clients.all if c.state != STATE_MISSING}
        self.env.runner.send_message("lab_flush", self.started)
        deadline = time.monotonic() + FLUSH_TIMEOUT_S
        while not expected <= self.final_reports and time.monotonic() < deadline:
            gevent.sleep(0.02)
        return len(expected - self.final_reports)

    def _result(self, elapsed: float, cpu_end: dict[int, float]) -> dict:
        per_process = {pid: 100 * (cpu_end[pid] - self._cpu_start.get(pid, 0)) / elapsed for pid in cpu_end}
        # every endpoint Locust has seen, even with nothing in the window, then any only the tally has
        keys = dict.fromkeys([*((e.name, e.method) for e in self.env.stats.entries.values() if e.name != DROPPED),
                              *self.tally.endpoints])
        endpoints = [self.tally.endpoint(*key).result(elapsed) for key in keys]
        errors = [{"name": e.name, "method": e.method, "error": str(e.error), "count": e.occurrences}
                  for e in self.env.stats.errors.values()]
        return {
            "started_at": self.started, "measured_s": elapsed, "endpoints": endpoints, "errors": errors,
            "timeseries": self.series,
            "machine": {"series": self.machine, "generator_cpus": sorted(os.sched_getaffinity(0))},
            "generator": {"cpu_percent_total": sum(per_process.values()),
                          "cpu_percent_max_process": max(per_process.values(), default=0.0),
                          "processes": len(per_process),
                          "user_count": self._users},
            "options": {k: v for k, v in vars(self.env.parsed_options).items()
                        if isinstance(v, (int, float, str, bool)) or v is None},
            "open_loop": self.tally.open_loop.result(self.env.parsed_options) if self.env.parsed_options.lab_rate > 0
            else None,
        }


_recorder: _Recorder | None = None


@events.test_start.add_listener
def _on_test_start(environment, **kwargs):
    global _recorder
    o = environment.parsed_options
    if o is None or isinstance(environment.runner, WorkerRunner) or _recorder is not None:
        return
    if o.lab_out:  # the bench runner's step
        _recorder = _Recorder(environment, o.lab_out, o.lab_warmup)
    elif _web_record.wanted(environment):  # a run from the web UI, measured whole
        _recorder = _Recorder(environment, _web_record.result_path(), 0.0, web_ui=True)


@events.test_stop.add_listener
def _on_test_stop(environment, **kwargs):
    global _recorder
    if _recorder is not None:
        recorder = _recorder
        recorder.write()  # still the current recorder meanwhile: the workers' final reports go to it
        _recorder = None
        if recorder.web_ui:
            _web_record.submit(environment, recorder.out)
