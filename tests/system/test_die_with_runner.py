"""Servers die with their runner: a runner killed outright (SIGKILL, the OOM killer) takes its
server and every worker with it; a closed terminal (SIGHUP) stops it cleanly; and a run its
runner left "running" is marked aborted by the next bench command."""
from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time

import psutil
import pytest
import requests
from django.utils import timezone

from bench.models import Run
from bench.runner_process import RunnerProcess, boot_id
from deploy.process import free_port
from groundwork.database import BASE_DIR

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
    """``manage.py serve`` with two workers, once both serve: (the command, its server's processes).

    Both workers must have answered first: a Granian master told to stop while a worker is still
    booting can wait for it forever (seen about once in a dozen tries even with
    ``--workers-kill-timeout``), a race of Granian's own that this test is not about."""
    port = free_port()
    proc = subprocess.Popen([sys.executable, "manage.py", "serve", *args, "--workers", "2", "--port", str(port)],
                            cwd=BASE_DIR, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    seen = []
    for line in proc.stdout:  # blocks until serve says it serves, or exits
        seen.append(line)
        if "serving at" in line:
            break
    assert proc.poll() is None, "".join(seen)
    pids, deadline = set(), time.monotonic() + 30
    while len(pids) < 2 and time.monotonic() < deadline:
        pids.add(requests.get(f"http://127.0.0.1:{port}/api/whoami", headers={"Connection": "close"},
                              timeout=10).json()["pid"])
    assert len(pids) == 2, pids
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
    # A graceful stop may take up to the deployments' 10 s worker kill timeout (Gunicorn's
    # graceful_timeout, Granian's --workers-kill-timeout), and then the master's own exit: on a
    # machine busy with the rest of the suite, Granian's ASGI master once needed just over 20 s.
    alive = still_running(tree, timeout_s=45)
    described = [f"{p.pid} {p.name()}" for p in alive]
    for p in alive:
        p.kill()
    assert not alive, described


def test_a_closed_terminal_stops_the_server_cleanly():
    proc, tree = serve(SERVERS["uvicorn"])
    proc.send_signal(signal.SIGHUP)
    output, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0, output  # SIGHUP's default action would end it with -1 and no stop
    assert "stopped." in output
    assert not still_running(tree, timeout_s=5)


def dead_process() -> RunnerProcess:
    """A runner that existed on this machine and is gone now."""
    child = subprocess.Popen(["sleep", "60"])
    runner = RunnerProcess(socket.gethostname(), boot_id(), child.pid, psutil.Process(child.pid).create_time())
    child.kill()
    child.wait()
    return runner


def test_a_run_whose_runner_is_gone_is_marked_aborted_by_the_next_bench_command():
    gone = dead_process()
    me = RunnerProcess.this()
    reused = RunnerProcess(me.host, me.boot_id, me.pid, me.started - 3600)  # this pid, another process
    elsewhere = RunnerProcess("another-host", "another-boot", gone.pid, gone.started)
    rebooted = RunnerProcess(me.host, "an-earlier-boot", me.pid, me.started)
    runs = {name: Run.objects.create(suite="smoke", started_at=timezone.now(), runner=runner.as_dict())
            for name, runner in (("gone", gone), ("alive", me), ("reused", reused), ("elsewhere", elsewhere),
                                 ("rebooted", rebooted))}
    runs["unknown"] = Run.objects.create(suite="smoke", started_at=timezone.now())  # older runs record no runner
    try:
        listed = subprocess.run([sys.executable, "manage.py", "bench", "--list"], cwd=BASE_DIR, capture_output=True,
                                text=True, timeout=60)
        assert listed.returncode == 0, listed.stderr
        status = {name: Run.objects.get(id=run.id).status for name, run in runs.items()}
        assert status == {"gone": Run.ABORTED, "alive": Run.RUNNING, "reused": Run.ABORTED,
                          "elsewhere": Run.RUNNING, "rebooted": Run.ABORTED, "unknown": Run.RUNNING}
        line = next(line for line in listed.stdout.splitlines() if line.split("\t")[0] == str(runs["gone"].id))
        assert "\taborted\t" in line
        gone_run = Run.objects.get(id=runs["gone"].id)
        assert f"pid {gone.pid}" in gone_run.note and gone_run.finished_at == gone_run.started_at  # nothing ran
    finally:
        Run.objects.filter(id__in=[r.id for r in runs.values()]).delete()
