"""Server-side samples, about twice a second, over the deployment's whole process tree.

psutil ``Process`` objects are kept between samples: ``cpu_percent`` is measured against
the previous call on the *same* object, and re-creating them would also re-read
``/proc/<pid>/stat`` for nothing. USS needs ``/proc/<pid>/smaps_rollup``; that is the
sampler's most expensive read, and the sampler-overhead figure (`manage.py bench --sampler-overhead`) includes it.
Context switches are read per thread (``thread_ctx_switches``): one small read per thread.
"""
from __future__ import annotations

import os
import re
import threading
import time
from dataclasses import dataclass, field

import psutil
import psycopg

from groundwork.database import database_target
from bench.pg_activity import count_on
from config.loop_lag import read_lag_ms
from config.thread_starts import read_thread_starts

INTERVAL_S = 0.5
# Above this many threads a process's context switches are read from its main thread only:
# reading every thread's /proc status twice a second (10,000 files for a gthread worker holding
# 10,000 requests) would cost the sampler a good part of a core, on whichever core it runs.
PER_THREAD_READS_UP_TO = 512
_CTX_SWITCHES = re.compile(r"^(non)?voluntary_ctxt_switches:\s*(\d+)", re.MULTILINE)


def thread_ctx_switches(pid: int) -> tuple[int, int]:
    """(voluntary, involuntary) context switches of every thread of ``pid``, summed from
    ``/proc/<pid>/task/*/status``.

    psutil's ``num_ctx_switches`` reads ``/proc/<pid>/status``, which counts the main thread
    only: a Gunicorn gthread worker, which serves on its other threads, would look idle.
    Threads (or the whole process) that exit between the listing and the read are skipped.
    The counts stay "cumulative as the kernel counts them", but over the live threads only: an
    exited thread's counts leave ``/proc`` with it (the kernel folds them into the process's
    rusage, which only the process itself can read), so the total can go down between two
    samples when threads exit.
    """
    voluntary = involuntary = 0
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return 0, 0
    for tid in tids:
        try:
            with open(f"/proc/{pid}/task/{tid}/status") as f:
                status = f.read()
        except OSError:
            continue
        for non, count in _CTX_SWITCHES.findall(status):
            if non:
                involuntary += int(count)
            else:
                voluntary += int(count)
    return voluntary, involuntary


@dataclass
class Sample:
    t: float
    step_index: int | None
    processes: int
    cpu_percent: float
    rss_bytes: int
    uss_bytes: int
    vms_bytes: int
    threads: int
    ctx_voluntary: int
    ctx_involuntary: int
    open_files: int
    db_connections: int | None
    loop_lag_ms: dict[str, float] = field(default_factory=dict)
    wall: float = 0.0  # epoch seconds, to match the sample to Locust's measured window
    pss_bytes: int = 0  # proportional set size: pages shared between processes split among them
    thread_starts: int | None = None  # threads started so far, summed over the counted processes (C11)


class ServerSampler:
    def __init__(self, root_pid: int, application_name: str, lag_dir: str | None, interval_s: float = INTERVAL_S,
                 thread_starts_dir: str | None = None):
        self.root_pid = root_pid
        self.application_name = application_name
        self.lag_dir = lag_dir
        self.thread_starts_dir = thread_starts_dir  # config.thread_starts' files, where the server counts them
        self.interval_s = interval_s
        self.samples: list[Sample] = []
        self._procs: dict[int, psutil.Process] = {}
        self._stop = threading.Event()
        self._t0 = time.monotonic()
        self._thread = threading.Thread(target=self._loop, name="server-sampler", daemon=True)
        self._db: psycopg.Connection | None = None

    def start(self) -> "ServerSampler":
        self._thread.start()
        return self

    def stop(self) -> list[Sample]:
        self._stop.set()
        self._thread.join(5)
        if self._db is not None:
            self._db.close()
        return self.samples

    def _tree(self) -> list[psutil.Process]:
        try:
            root = self._procs.get(self.root_pid) or psutil.Process(self.root_pid)
            current = [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []
        alive = {}
        for p in current:
            kept = self._procs.get(p.pid)
            if kept is None:
                p.cpu_percent(None)  # first call primes the counter
                kept = p
            alive[p.pid] = kept
        self._procs = alive
        return list(alive.values())

    def _db_connections(self) -> int | None:
        try:
            if self._db is None or self._db.closed:
                self._db = psycopg.connect(database_target().conninfo(), autocommit=True)
            return count_on(self._db, self.application_name)
        except psycopg.Error:
            self._db = None
            return None

    def take(self) -> Sample | None:
        procs = self._tree()
        if not procs:
            return None
        totals = dict(cpu=0.0, rss=0, uss=0, pss=0, vms=0, threads=0, vol=0, invol=0, files=0)
        lag: dict[str, float] = {}
        starts: list[int] = []
        now = time.time()
        for p in procs:
            try:
                with p.oneshot():
                    totals["cpu"] += p.cpu_percent(None)
                    mem = p.memory_full_info()
                    totals["rss"] += mem.rss
                    totals["uss"] += mem.uss
                    totals["pss"] += getattr(mem, "pss", 0)
                    totals["vms"] += mem.vms
                    threads = p.num_threads()
                    totals["threads"] += threads
                    voluntary, involuntary = (thread_ctx_switches(p.pid) if threads <= PER_THREAD_READS_UP_TO
                                              else p.num_ctx_switches())
                    totals["vol"] += voluntary
                    totals["invol"] += involuntary
                    totals["files"] += p.num_fds()
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                continue
            if self.lag_dir:
                value = read_lag_ms(self.lag_dir, p.pid, now)
                if value is not None:
                    lag[str(p.pid)] = round(value, 3)
            if self.thread_starts_dir:
                started = read_thread_starts(self.thread_starts_dir, p.pid)
                if started is not None:
                    starts.append(started)
        return Sample(t=round(time.monotonic() - self._t0, 3), step_index=None, wall=now, processes=len(procs),
                      cpu_percent=round(totals["cpu"], 2), rss_bytes=totals["rss"], uss_bytes=totals["uss"], pss_bytes=totals["pss"], vms_bytes=totals["vms"],
                      threads=totals["threads"], ctx_voluntary=totals["vol"], ctx_involuntary=totals["invol"],
                      open_files=totals["files"], db_connections=self._db_connections(), loop_lag_ms=lag,
                      thread_starts=sum(starts) if starts else None)

    def window_cpu(self, step_index: int) -> float | None:
        """The server's mean CPU (100 = one core) over the samples of one step's measured window."""
        values = [s.cpu_percent for s in self.samples if s.step_index == step_index]
        return sum(values) / len(values) if values else None

    def label_window(self, step_index: int, start_wall: float, end_wall: float) -> None:
        """Mark the samples taken inside a step's measured window (warm-up excluded)."""
        for sample in list(self.samples):
            if start_wall <= sample.wall <= end_wall:
                sample.step_index = step_index

    def _loop(self) -> None:
        while not self._stop.wait(self.interval_s):
            sample = self.take()
            if sample is not None:
                self.samples.append(sample)
