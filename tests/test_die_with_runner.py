"""Servers die with their runner: a runner killed outright (SIGKILL, the OOM killer) takes its
server and every worker with it; a closed terminal (SIGHUP) stops it cleanly."""
from __future__ import annotations

import signal
import subprocess
import sys
import time

import psutil
import pytest

from lab.database import BASE_DIR
from deploy.process import free_port

pytestmark = pytest.mark.servers

# Each server, as `manage.py serve` is told to start it.
SERVERS = {
    "gunicorn": ["gunicorn"],
    "uvicorn": ["uvicorn"],
    "gunicorn-uvicorn": ["gunicorn-uvicorn"],
    "granian-wsgi": ["granian", "--interface", "wsgi"],
    "granian-asgi": ["granian", "--interface", "asgi"],
}


def serve(args: list[str]) -> tuple[subprocess.Popen, list[psutil.Process]]:
    """``manage.py serve`` with two workers, once it serves: (the command, its server's processes)."""
    proc = subprocess.Popen([sys.executable, "manage.py", "serve", *args, "--workers", "2", "--port", str(free_port())],
                            cwd=BASE_DIR, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    seen = []
    for line in proc.stdout:  # blocks until serve says it serves, or exits
        seen.append(line)
        if "serving at" in line:
            break
    assert proc.poll() is None, "".join(seen)
    tree = psutil.Process(proc.pid).children(recursive=True)
    assert len(tree) >= 3, [p.cmdline() for p in tree]  # the master and its two workers at least
    return proc, tree


def still_running(processes: list[psutil.Process], timeout_s: float) -> list[psutil.Process]:
    """Those still alive after ``timeout_s``. A zombie is dead: it only waits for whoever adopted
    it to reap it (in a container, that may never happen)."""
    deadline = time.monotonic() + timeout_s
    while True:
        alive = []
        for p in processes:
            try:
                if p.status() != psutil.STATUS_ZOMBIE:
                    alive.append(p)
            except psutil.NoSuchProcess:
                pass
        if not alive or time.monotonic() > deadline:
            return alive
        time.sleep(0.2)


@pytest.mark.parametrize("server", SERVERS)
def test_a_killed_runner_takes_its_server_and_workers_with_it(server):
    proc, tree = serve(SERVERS[server])
    proc.kill()  # no handler runs: what SIGKILL or the OOM killer does
    proc.wait(10)
    alive = still_running(tree, timeout_s=20)  # Gunicorn's graceful stop may take a few seconds
    for p in alive:
        p.kill()
    assert not alive, [p.cmdline() for p in alive]


def test_a_closed_terminal_stops_the_server_cleanly():
    proc, tree = serve(SERVERS["uvicorn"])
    proc.send_signal(signal.SIGHUP)
    output, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0, output  # SIGHUP's default action would end it with -1 and no stop
    assert "stopped." in output
    assert not still_running(tree, timeout_s=5)

