"""The bench runner's distributed Locust (``--locust-workers N``): the master listens on loopback
at a port free when the step starts, so two runs at once do not collide on Locust's fixed 5557
and no host of the network can join as a worker and add its numbers to a step."""
from __future__ import annotations

import json
import subprocess
import sys
import time

import psutil
import pytest

from bench.runner import locust_processes
from groundwork.database import BASE_DIR
from deploy.process import kill_tree

pytestmark = pytest.mark.slow


def start(tmp_path, name: str) -> tuple[subprocess.Popen, object]:
    """A short headless step with two workers, paced so that a dead target costs little CPU."""
    out = tmp_path / f"{name}.json"
    argv = [sys.executable, "-m", "locust", "-f", "loadtests/c3_blocking_call_in_async_view.py", "--headless",
            "-u", "2", "-r", "2", "-t", "4s", "--host", "http://127.0.0.1:9", "--arrival-rate", "4",
            "--probe-rate", "1", "--stop-timeout", "1", "--lab-out", str(out), *locust_processes(2)]
    with open(tmp_path / f"{name}.log", "wb") as log:
        return subprocess.Popen(argv, cwd=BASE_DIR, stdout=log, stderr=subprocess.STDOUT), out


def listening(pid: int) -> set[tuple[str, int]]:
    try:
        return {(c.laddr.ip, c.laddr.port) for c in psutil.Process(pid).net_connections("tcp")
                if c.status == psutil.CONN_LISTEN}
    except psutil.NoSuchProcess:
        return set()


def test_two_distributed_steps_at_once_each_have_their_own_master_on_loopback(tmp_path):
    runs = [start(tmp_path, name) for name in ("first", "second")]
    masters: dict[int, set] = {}
    try:
        deadline = time.monotonic() + 30
        while len(masters) < len(runs) and time.monotonic() < deadline:
            masters |= {proc.pid: found for proc, _ in runs if (found := listening(proc.pid))}
            time.sleep(0.1)
        for proc, _ in runs:
            proc.wait(60)
    finally:
        for proc, _ in runs:
            kill_tree(proc.pid)
    sockets = set().union(*masters.values())
    assert len(masters) == 2 and {ip for ip, _ in sockets} == {"127.0.0.1"}, masters
    ports = [{port for _, port in found} for found in masters.values()]
    assert not ports[0] & ports[1] and 5557 not in ports[0] | ports[1]
    for _, out in runs:  # both steps ran with both their workers
        assert json.loads(out.read_text())["generator"]["processes"] >= 3
