"""The sampler's context switches count every thread, not just the main one: psutil reads
``/proc/<pid>/status``, the main thread's counters, and a gthread worker serves on others.
And the sampler's process tree holds every worker of a Granian deployment."""
from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from contextlib import contextmanager

import psutil
import pytest
import requests

from bench.sampler import ServerSampler, thread_ctx_switches
from tests.conftest import launch

THREADS, SLEEPS = 8, 200

# Each worker thread sleeps SLEEPS times (every sleep blocks: one voluntary switch at least),
# then stays alive, so that its counters are still in /proc when the test reads them.
SLEEPERS = textwrap.dedent(f"""
    import sys, threading, time
    done, hold = threading.Barrier({THREADS} + 1), threading.Event()

    def sleeper():
        for _ in range({SLEEPS}):
            time.sleep(0.001)
        done.wait()
        hold.wait()

    for _ in range({THREADS}):
        threading.Thread(target=sleeper, daemon=True).start()
    done.wait()
    print("ready", flush=True)
    sys.stdin.readline()
""")

ONE_THREAD = textwrap.dedent(f"""
    import sys, time
    for _ in range({SLEEPS}):
        time.sleep(0.001)
    print("ready", flush=True)
    sys.stdin.readline()
""")


@contextmanager
def child(code: str) -> Iterator[psutil.Process]:
    """A Python process that runs ``code``, blocked on stdin (its counters still) once ready."""
    proc = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "ready"
        yield psutil.Process(proc.pid)
    finally:
        proc.communicate("\n", timeout=10)


def test_all_threads_count_well_above_the_main_thread_only():
    with child(SLEEPERS) as p:
        voluntary, _ = thread_ctx_switches(p.pid)
        main_only = p.num_ctx_switches().voluntary
        assert p.num_threads() == THREADS + 1
    assert voluntary >= THREADS * SLEEPS, (voluntary, main_only)
    assert voluntary >= 2 * main_only, (voluntary, main_only)


def test_one_thread_counts_as_psutil_does():
    with child(ONE_THREAD) as p:
        assert p.num_threads() == 1
        voluntary, involuntary = thread_ctx_switches(p.pid)
        expected = p.num_ctx_switches()
    assert voluntary >= SLEEPS
    assert abs(voluntary - expected.voluntary) <= 2 and abs(involuntary - expected.involuntary) <= 2


def test_a_vanished_process_counts_nothing():
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    assert thread_ctx_switches(proc.pid) == (0, 0)


def test_the_sample_sums_every_thread(monkeypatch):
    monkeypatch.setattr(ServerSampler, "_db_connections", lambda self: None)  # no PostgreSQL needed here
    with child(SLEEPERS) as p:
        sample = ServerSampler(p.pid, "djlab-test-sampler", lag_dir=None).take()
    assert sample is not None and sample.threads == THREADS + 1
    assert sample.ctx_voluntary >= THREADS * SLEEPS


@pytest.mark.parametrize("interface", ["wsgi", "asgi"])
def test_the_sampler_sees_every_granian_worker(database, tmp_path, interface):
    """Granian forks its workers from a main process that serves nothing: the sampler must
    count main + every worker, the faults must target exactly the processes that answer, and
    each ASGI worker's loop-lag file must be read (the runner sets LAB_LOOP_LAG_DIR for ASGI)."""
    lag_dir = tmp_path / "loop-lag"
    running = launch("granian", interface=interface, workers=2,
                     extra_env={"LAB_LOOP_LAG_DIR": str(lag_dir)} if interface == "asgi" else None)
    try:
        serving: set[int] = set()
        for _ in range(500):  # a fresh connection per request, so either worker may take it
            serving.add(requests.get(f"{running.url}/api/whoami", headers={"Connection": "close"},
                                     timeout=10).json()["pid"])
            if len(serving) == 2:
                break
        assert set(running.worker_pids()) == serving and len(serving) == 2
        assert requests.get(f"{running.url}/api/db/read", timeout=10).status_code == 200  # opens a pool
        sampler = ServerSampler(running.process.pid, running.deployment.application_name,
                                str(lag_dir) if interface == "asgi" else None, interval_s=0.2).start()
        time.sleep(1.0)  # a few samples; the lag monitors tick every 50 ms
        samples = sampler.stop()
        assert samples
        sample = samples[-1]
        assert sample.processes == 1 + len(serving)
        assert sample.db_connections and sample.db_connections >= 1  # the deployment's, by application_name
        expected_lag = {str(pid) for pid in serving} if interface == "asgi" else set()
        assert set(sample.loop_lag_ms) == expected_lag
    finally:
        running.stop()
