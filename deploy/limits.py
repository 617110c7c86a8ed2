"""The kernel's and the process's limits on concurrency: what bounds how many requests a server
(or the load generator) can hold at once, read so that a card can show them, and the one limit
the lab raises itself (open files).

Thousands of requests in flight run into limits that are not the server's: open files (one per
connection, on both ends), the listen backlog (``somaxconn`` caps whatever a server asks for),
threads (``threads-max``, ``pid_max`` and ``RLIMIT_NPROC`` count every thread; each thread
stack is two memory mappings, counted against ``max_map_count``) and the thread stack size
(``RLIMIT_STACK``, the default size of a new thread's stack in glibc: reserved, not resident).
"""
from __future__ import annotations

import resource
from dataclasses import asdict, dataclass
from pathlib import Path

PROC_SYS = Path("/proc/sys")
# Threads a process may hold beyond its request threads: the main thread, the server's own
# (heartbeat, accept loop, the DB pool's workers) and the interpreter's. Kept free under the cap.
SPARE_THREADS = 64


def _read_int(name: str, default: int | None = None) -> int | None:
    try:
        return int((PROC_SYS / name).read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return default


def _soft_hard(which: int) -> tuple[int | None, int | None]:
    soft, hard = resource.getrlimit(which)
    unlimited = resource.RLIM_INFINITY
    return (None if soft == unlimited else soft), (None if hard == unlimited else hard)


@dataclass(frozen=True)
class Limits:
    """The limits as read now (None: unlimited or unreadable)."""

    open_files_soft: int | None
    open_files_hard: int | None
    processes_soft: int | None  # RLIMIT_NPROC: threads count as processes
    stack_kib: int | None  # RLIMIT_STACK: glibc's default size of a thread's stack
    threads_max: int | None
    pid_max: int | None
    max_map_count: int | None
    somaxconn: int | None
    tcp_max_syn_backlog: int | None
    local_ports: int | None  # ephemeral ports: connections one client address may open to one server port

    @classmethod
    def read(cls) -> "Limits":
        nofile_soft, nofile_hard = _soft_hard(resource.RLIMIT_NOFILE)
        nproc_soft, _ = _soft_hard(resource.RLIMIT_NPROC)
        stack_soft, _ = _soft_hard(resource.RLIMIT_STACK)
        try:
            low, high = map(int, (PROC_SYS / "net/ipv4/ip_local_port_range").read_text().split())
            ports = high - low + 1
        except (OSError, ValueError):
            ports = None
        return cls(nofile_soft, nofile_hard, nproc_soft, None if stack_soft is None else stack_soft // 1024,
                   _read_int("kernel/threads-max"), _read_int("kernel/pid_max"), _read_int("vm/max_map_count"),
                   _read_int("net/core/somaxconn"), _read_int("net/ipv4/tcp_max_syn_backlog"), ports)

    def as_dict(self) -> dict:
        return asdict(self)

    @property
    def threads_per_process(self) -> int:
        """The most request threads one worker can be given: the smallest of the kernel's and this
        user's thread limits and half the memory mappings (a stack and its guard page each),
        less ``SPARE_THREADS``. Not the lab's choice: the machine's."""
        bounds = [b for b in (self.threads_max, self.pid_max, self.processes_soft,
                              None if self.max_map_count is None else self.max_map_count // 2) if b]
        return max(1, min(bounds, default=32_768) - SPARE_THREADS)

    @property
    def listen_backlog(self) -> int | None:
        """What a listening socket can queue at most, whatever the server asks (``somaxconn``)."""
        return self.somaxconn


def raise_open_files() -> tuple[int | None, int | None]:
    """Lift this process's soft open-file limit to its hard limit (children inherit it): a
    server holding N connections needs N descriptors, and so does the load generator. Returns
    (soft, hard) after. An unprivileged process may always do this."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        except (ValueError, OSError):
            pass
    return _soft_hard(resource.RLIMIT_NOFILE)
