"""The sampler's context switches count every thread, not just the main one: psutil reads
``/proc/<pid>/status``, the main thread's counters, and a gthread worker serves on others."""
from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager

import psutil

from bench.sampler import ServerSampler, thread_ctx_switches

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
