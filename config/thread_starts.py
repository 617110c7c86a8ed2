"""Threads started by each server process, for the bench runner (claim C11).

Only active when ``LAB_THREAD_STARTS_DIR`` is set (the runner sets it for the deployments whose
experiment counts thread starts; every other process carries nothing). An audit hook
(``sys.addaudithook``) sees every thread the interpreter starts: the event is
``_thread.start_joinable_thread`` on Python 3.13 (``threading.Thread.start``) and
``_thread.start_new_thread`` on 3.12. The hook keeps a count per process and overwrites one line in
``<dir>/<pid>.threads`` at each start: the number of threads this process has started since the
hook was installed. The sampler reads the files out of process, as it reads the loop-lag files
(``config.loop_lag``); threads per request = the count's rise over a step / the requests served.

The hook runs in the thread that starts the new one, before it starts: one small write per thread
start (a thread start costs far more). A forked child inherits the hook and counts afresh under its
own pid.
"""
from __future__ import annotations

import os
import sys
import threading
from pathlib import Path

ENV = "LAB_THREAD_STARTS_DIR"
EVENTS = frozenset({"_thread.start_joinable_thread", "_thread.start_new_thread"})
SUFFIX = ".threads"


class ThreadStartCounter:
    """The audit hook: counts this process's thread starts into ``<directory>/<pid>.threads``."""

    def __init__(self, directory: str | Path):
        self.directory = Path(directory)
        self.pid: int | None = None
        self.count = 0
        self._fd = -1
        self._lock = threading.Lock()
        self._open()

    def _open(self) -> None:
        """This process's file, at 0 (a forked child's count is its own, not its parent's)."""
        self.directory.mkdir(parents=True, exist_ok=True)
        self.pid, self.count = os.getpid(), 0
        self._fd = os.open(self.directory / f"{self.pid}{SUFFIX}", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        self._write()

    def _write(self) -> None:
        os.pwrite(self._fd, f"{self.count}\n".ljust(24).encode(), 0)

    def __call__(self, event: str, args: tuple) -> None:
        if event not in EVENTS:
            return
        with self._lock:
            if os.getpid() != self.pid:
                self._open()
            self.count += 1
            self._write()


def install() -> ThreadStartCounter | None:
    """Count thread starts when the runner asks (``LAB_THREAD_STARTS_DIR``); an audit hook cannot
    be removed, so a process that is not asked never gets one."""
    directory = os.environ.get(ENV)
    if not directory:
        return None
    counter = ThreadStartCounter(directory)
    sys.addaudithook(counter)
    return counter


def read_thread_starts(directory: str | Path, pid: int) -> int | None:
    """How many threads process ``pid`` has started since its counter was installed (None: not counted)."""
    try:
        return int(Path(directory, f"{pid}{SUFFIX}").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None
