"""What the bench runner stores, recorded inside Locust (master or local runner only).

Active only with ``--lab-out FILE``. After ``--lab-warmup`` seconds the stats are reset
(nothing from the warm-up is kept); from then on it keeps a 1-second time series per
endpoint, and when the test stops it writes, per endpoint: counts, failures by kind,
percentiles and the full response-time histogram (Locust's rounded buckets), so any
percentile can be recomputed later; plus the load generator's own CPU use.
"""
from __future__ import annotations

import json
import os
import time

import gevent
import psutil
from locust import events
from locust.runners import WorkerRunner
from locust.stats import calculate_response_time_percentile

PERCENTILES = {"p50": 0.50, "p90": 0.90, "p95": 0.95, "p99": 0.99, "p999": 0.999}


@events.init_command_line_parser.add_listener
def _recorder_arguments(parser):
    parser.add_argument("--lab-out", default="", include_in_web_ui=False,
                        help="bench runner: write the measured step to this JSON file")
    parser.add_argument("--lab-warmup", type=float, default=0.0, include_in_web_ui=False,
                        help="bench runner: seconds of warm-up to discard before measuring")


class _Recorder:
    def __init__(self, environment):
        self.env = environment
        self.out = environment.parsed_options.lab_out
        self.warmup = environment.parsed_options.lab_warmup
        self.started: float | None = None
        self.series: list[dict] = []
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
        with open(f"{self.out}.measuring", "w") as marker:  # the runner times fault injections from here
            marker.write(str(self.started))
        self._users = self.env.runner.user_count if self.env.runner else None
        self._cpu_start = self._cpu_seconds()
        self._wall_start = time.monotonic()
        while True:
            gevent.sleep(1.0)
            self._tick()

    def _tick(self) -> None:
        t = round(time.time() - self.started, 3)
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
            result = self._result()
        tmp = f"{self.out}.tmp"
        with open(tmp, "w") as f:
            json.dump(result, f)
        os.replace(tmp, self.out)

    def _result(self) -> dict:
        elapsed = max(1e-6, time.monotonic() - self._wall_start)
        cpu_end = self._cpu_seconds()
        per_process = {pid: 100 * (cpu_end[pid] - self._cpu_start.get(pid, 0)) / elapsed for pid in cpu_end}
        endpoints = []
        for entry in self.env.stats.entries.values():
            n = entry.num_requests
            item = {"name": entry.name, "method": entry.method, "requests": n, "failures": entry.num_failures,
                    "rps": n / elapsed, "avg_ms": entry.avg_response_time if n else None,
                    "max_ms": entry.max_response_time if n else None,
                    "histogram": {str(k): v for k, v in sorted(entry.response_times.items())}}
            for label, p in PERCENTILES.items():
                item[label] = calculate_response_time_percentile(entry.response_times, n, p) if n else None
            endpoints.append(item)
        errors = [{"name": e.name, "method": e.method, "error": str(e.error), "count": e.occurrences}
                  for e in self.env.stats.errors.values()]
        return {
            "started_at": self.started, "measured_s": elapsed, "endpoints": endpoints, "errors": errors,
            "timeseries": self.series,
            "generator": {"cpu_percent_total": sum(per_process.values()),
                          "cpu_percent_max_process": max(per_process.values(), default=0.0),
                          "processes": len(per_process),
                          "user_count": self._users},
            "options": {k: v for k, v in vars(self.env.parsed_options).items()
                        if isinstance(v, (int, float, str, bool)) or v is None},
        }


_recorder: _Recorder | None = None


@events.test_start.add_listener
def _on_test_start(environment, **kwargs):
    global _recorder
    if environment.parsed_options and environment.parsed_options.lab_out and \
            not isinstance(environment.runner, WorkerRunner) and _recorder is None:
        _recorder = _Recorder(environment)


@events.test_stop.add_listener
def _on_test_stop(environment, **kwargs):
    global _recorder
    if _recorder is not None:
        _recorder.write()
        _recorder = None
