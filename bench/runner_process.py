"""Which process runs a run, so that a run whose runner died unannounced (SIGKILL, the OOM
killer, a power cut) is marked aborted by the next runner instead of staying "running" forever.

A pid alone would not do: pids are reused. A runner is the process with this pid *and* this start
time, on this machine since this boot. A run recorded from another machine (a shared
``DATABASE_URL``) cannot be judged from here and is left as it is.
"""
from __future__ import annotations

import socket
from dataclasses import asdict, dataclass
from pathlib import Path

import psutil
from django.db.models import Max

from bench import store
from bench.models import Run

BOOT_ID = Path("/proc/sys/kernel/random/boot_id")
START_TIME_TOLERANCE_S = 1.0  # psutil derives start times from the boot time, which NTP may shift by a second


def boot_id() -> str:
    """This boot of this machine (Linux); empty where unknown, and then a reboot goes unnoticed."""
    try:
        return BOOT_ID.read_text().strip()
    except OSError:
        return ""


@dataclass(frozen=True)
class RunnerProcess:
    host: str
    boot_id: str
    pid: int
    started: float  # the process's start time, seconds since the epoch (psutil's create_time)

    @classmethod
    def this(cls) -> RunnerProcess:
        me = psutil.Process()
        return cls(socket.gethostname(), boot_id(), me.pid, me.create_time())

    @classmethod
    def from_dict(cls, data: dict) -> RunnerProcess | None:
        """None for a run that recorded no runner (older runs, imported runs)."""
        try:
            return cls(str(data["host"]), str(data["boot_id"]), int(data["pid"]), float(data["started"]))
        except (KeyError, TypeError, ValueError):
            return None

    def as_dict(self) -> dict:
        return asdict(self)

    def is_gone(self) -> bool:
        """True when this runner surely no longer runs; False while it runs or when this machine
        cannot tell (it ran on another host)."""
        if self.host != socket.gethostname():
            return False
        if self.boot_id != boot_id():
            return True  # the machine rebooted since
        try:
            process = psutil.Process(self.pid)
            if process.status() == psutil.STATUS_ZOMBIE:
                return True
            return abs(process.create_time() - self.started) > START_TIME_TOLERANCE_S  # the pid was reused
        except psutil.NoSuchProcess:
            return True


def abort_orphaned_runs() -> list[Run]:
    """Mark aborted every "running" run whose runner is gone; returns them. Its finish time is
    its last recorded activity (when its runner died is not known; the moment found is not it)."""
    found = []
    for run in Run.objects.filter(status=Run.RUNNING):
        runner = RunnerProcess.from_dict(run.runner)
        if runner is None or not runner.is_gone():
            continue
        last = run.experiments.aggregate(last=Max("finished_at"))["last"] or run.started_at
        store.finish_run(run, Run.ABORTED, f"its runner (pid {runner.pid}) died without finishing it (killed, or "
                                           "out of memory); marked aborted by the next bench command", at=last)
        found.append(run)
    return found
