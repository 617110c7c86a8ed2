"""Start, health-check and stop a deployment's server with all of its workers.

The server runs in its own process group, so stopping it reaches every worker even if the
master died first; SIGTERM lets Gunicorn/Uvicorn/Granian shut down gracefully, SIGKILL follows if
they do not within the grace period. If the process that started it dies without stopping it
(SIGKILL, the OOM killer), the kernel sends the master SIGTERM (``die_with_parent``).
"""
from __future__ import annotations

import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
import http.client
import urllib.request
from pathlib import Path
from typing import IO, Callable

import psutil
import psycopg

from groundwork.database import BASE_DIR, database_target
from deploy.deployments import Deployment, DeploymentError
from deploy.limits import raise_open_files


# Besides Ctrl-C (SIGINT), the signals that ask a runner to stop: SIGTERM, and SIGHUP, which a
# closed terminal sends (its default action would kill the runner without stopping anything).
STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP)
PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def sigterm_as_interrupt(signum, frame) -> None:
    """SIGTERM/SIGHUP handler: stop the way Ctrl-C does, so one ``except KeyboardInterrupt`` path
    stops servers and Locust for all of them."""
    raise KeyboardInterrupt


def stop_on_signals() -> None:
    """SIGTERM and SIGHUP stop this process the way Ctrl-C does (``sigterm_as_interrupt``), and
    Ctrl-C itself raises KeyboardInterrupt even when this process was started with SIGINT ignored
    (a shell starts background commands so, and Python then keeps it ignored): a runner or a
    server started in the background still stops, with its servers, on SIGINT."""
    signal.signal(signal.SIGINT, signal.default_int_handler)
    for sig in STOP_SIGNALS:
        signal.signal(sig, sigterm_as_interrupt)


def ignore_interrupts() -> None:
    """From here on, SIGINT, SIGTERM and SIGHUP wait: used while stopping servers after the first one."""
    for sig in (signal.SIGINT, *STOP_SIGNALS):
        signal.signal(sig, signal.SIG_IGN)


def die_with_parent(sig: int = signal.SIGTERM) -> Callable[[], None] | None:
    """A ``preexec_fn`` for a child that must not outlive the process starting it: the kernel
    sends the child ``sig`` when its parent dies, however it dies (SIGKILL, the OOM killer), so
    no server keeps its CPU and port for nobody. SIGTERM, not SIGKILL: the master then stops its
    workers as on a normal stop (a SIGKILLed Uvicorn or Granian master leaves its workers running).

    Linux only (``prctl(PR_SET_PDEATHSIG)``); the setting survives ``exec`` (``taskset`` too).
    The kernel fires it when the *thread* that forked the child exits, so call ``Popen`` from a
    thread that lives as long as the child should (the main thread, as every runner here does).
    The function is looked up before the fork, so the child only makes the call."""
    if not sys.platform.startswith("linux"):
        return None
    prctl = ctypes.CDLL(None, use_errno=True).prctl
    parent = os.getpid()

    def arm() -> None:
        if prctl(PR_SET_PDEATHSIG, int(sig), 0, 0, 0) != 0 or os.getppid() != parent:
            os._exit(70)  # cannot be armed, or the parent already died before it was: do not start
    return arm


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def answers(url: str, timeout_s: float = 5.0) -> bool:
    """True when ``url`` answers 200 now; any failure to get there is a plain no.

    A freshly booted worker may take seconds to answer its first request on a busy machine
    (imports, the first DB pool): a slow answer is "not ready yet", never an error.
    """
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as response:
            return response.status == 200
    except (OSError, http.client.HTTPException):  # URLError, refused, reset, timeout, bad status line
        return False


def wait_until_serving(url: str, timeout_s: float, alive=lambda: True) -> bool:
    """Poll ``answers(url)`` until it says yes (True) or ``timeout_s`` passes or ``alive()``
    turns false (False)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and alive():
        if answers(url, timeout_s=min(5.0, max(0.5, deadline - time.monotonic()))):
            return True
        time.sleep(0.1)
    return False


def kill_tree(pid: int, grace_s: float = 5.0) -> list[psutil.Process]:
    """SIGTERM, then SIGKILL, a process and every descendant, including descendants that
    started a session of their own (a deployment's server does). Returns the survivors."""
    try:
        root = psutil.Process(pid)
        tree = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []
    alive = tree
    for ask in (psutil.Process.terminate, psutil.Process.kill):
        for p in alive:
            try:
                ask(p)
            except psutil.Error:
                pass
        _, alive = psutil.wait_procs(alive, timeout=grace_s)
        if not alive:
            break
    return alive


def prepare_database() -> None:
    """Make sure the database is up, migrated and seeded (cheap when it already is)."""
    from django.core.management import call_command

    if database_target().embedded:
        from deploy import embedded_postgres

        embedded_postgres.start()
    call_command("migrate", verbosity=0, interactive=False)
    call_command("seed", verbosity=0)


def database_capacity() -> tuple[int, int, int]:
    """(max_connections, superuser_reserved_connections, client connections open now)."""
    with psycopg.connect(database_target().conninfo(), autocommit=True) as conn:
        max_conn = int(conn.execute("SHOW max_connections").fetchone()[0])
        reserved = int(conn.execute("SHOW superuser_reserved_connections").fetchone()[0])
        in_use = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'").fetchone()[0]
    return max_conn, reserved, int(in_use)


def port_is_free(host: str, port: int) -> bool:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def check_deployment(deployment: Deployment) -> list[str]:
    """All checks, including the live ones (port, PostgreSQL capacity). Returns warnings."""
    warnings = deployment.validate()
    if not port_is_free(deployment.host, deployment.port):
        raise DeploymentError(f"{deployment.host}:{deployment.port} is already in use; choose another --port")
    deployment.check_capacity(*database_capacity())
    deployment.argv()  # raises if pinning is impossible
    return warnings


class RunningDeployment:
    def __init__(self, deployment: Deployment, process: subprocess.Popen, log_path: Path | None,
                 extra_env: dict[str, str] | None = None):
        self.deployment = deployment
        self.process = process
        self.log_path = log_path
        self.extra_env = extra_env or {}

    @classmethod
    def start(cls, deployment: Deployment, log_path: Path | None = None,
              extra_env: dict[str, str] | None = None) -> "RunningDeployment":
        """Launch the server (no checks: call ``check_deployment`` first). It inherits this
        process's open-file limit, raised to the hard limit first: one descriptor per connection."""
        raise_open_files()
        log: IO | None = open(log_path, "ab") if log_path else None
        process = subprocess.Popen(
            deployment.argv(), cwd=BASE_DIR, env={**deployment.environment(), **(extra_env or {})},
            stdout=log, stderr=subprocess.STDOUT if log else None, stdin=subprocess.DEVNULL,
            start_new_session=True, preexec_fn=die_with_parent(),
        )
        if log:
            log.close()
        return cls(deployment, process, log_path, extra_env)

    @property
    def url(self) -> str:
        return self.deployment.url

    def log_tail(self, lines: int = 30) -> str:
        if not self.log_path or not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def wait_healthy(self, timeout_s: float = 30.0) -> None:
        """Until every worker could have booted: the health URL answers 200."""
        if wait_until_serving(self.deployment.health_url, timeout_s, alive=lambda: self.process.poll() is None):
            return
        if self.process.poll() is not None:
            raise DeploymentError(f"{self.deployment.label} exited with code {self.process.returncode}"
                                  f" before it served.\n{self.log_tail()}")
        self.stop()
        raise DeploymentError(f"{self.deployment.label} did not answer {self.deployment.health_url} within "
                              f"{timeout_s:.0f} s."
                              f"\n{self.log_tail()}")

    def processes(self) -> list[psutil.Process]:
        """The server's process tree: the master (or taskset's exec) and every worker."""
        try:
            root = psutil.Process(self.process.pid)
            return [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []

    def worker_pids(self) -> list[int]:
        """Live worker processes (a killed one lingers as a zombie until reaped: not counted)."""
        tree = self.processes()
        if self.deployment.uvicorn_managed and self.deployment.workers == 1:
            return [p.pid for p in tree[:1]]  # single-process uvicorn serves from its main process
        pids = []
        for p in tree[1:]:
            try:
                if p.status() == psutil.STATUS_ZOMBIE or "resource_tracker" in " ".join(p.cmdline()):
                    continue  # uvicorn's multiprocessing helper is no worker
            except psutil.Error:
                continue
            pids.append(p.pid)
        return pids

    def worker_cpu_seconds(self) -> dict[int, float]:
        """Each live worker's CPU time so far (user + system, s): two readings around a step give
        each worker's share of the work, which shows whether the connections spread over them."""
        seconds = {}
        for pid in self.worker_pids():
            try:
                times = psutil.Process(pid).cpu_times()
            except psutil.Error:
                continue
            seconds[pid] = times.user + times.system
        return seconds

    def stop(self, grace_s: float = 10.0) -> int | None:
        if self.process.poll() is None:
            self._signal_group(signal.SIGTERM)
            try:
                self.process.wait(grace_s)
            except subprocess.TimeoutExpired:
                pass
        self._signal_group(signal.SIGKILL)  # stragglers, even if the master is gone
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            print(f"warning: {self.deployment.label} did not die", file=sys.stderr)
        return self.process.returncode

    def _signal_group(self, sig: int) -> None:
        try:
            os.killpg(self.process.pid, sig)
        except (ProcessLookupError, PermissionError):
            pass

    def __enter__(self) -> "RunningDeployment":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
