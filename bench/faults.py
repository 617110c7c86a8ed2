"""Fault injections, run in the middle of a measured step while Locust keeps a steady load.

Each action returns what it observed (times, counts); ``summarise`` adds what the load
generator saw around the fault (failed seconds, recovery, the slowest request). Loads and
connections stay on loopback, bounded in number and time.
"""
from __future__ import annotations

import ctypes
import os
import random
import re
import signal
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Callable, ClassVar

import psutil
import psycopg
import requests

from bench.pg_activity import PG_SLEEP, count_connections

from groundwork.database import database_target
from deploy.process import RunningDeployment
from deploy.upstream_stub import UpstreamStubProcess


@dataclass
class FaultContext:
    running: RunningDeployment
    url: str
    stub: UpstreamStubProcess | None = None  # the upstream stub the server calls, when it calls one

    @property
    def application_name(self) -> str:
        return self.running.deployment.application_name


def _answers(url: str, timeout: float = 2.0) -> dict | None:
    try:
        r = requests.get(f"{url}/api/whoami", headers={"Connection": "close"}, timeout=timeout)
        return r.json() if r.status_code == 200 else None
    except requests.RequestException:
        return None


def connections_held(pid: int, port: int) -> int | None:
    """The client connections process ``pid`` holds on the server's ``port`` (established TCP): the
    requests it serves and its idle kept-alive connections, whichever they are."""
    try:
        return sum(1 for c in psutil.Process(pid).net_connections(kind="tcp")
                   if c.status == psutil.CONN_ESTABLISHED and c.laddr and c.laddr.port == port)
    except psutil.Error:
        return None


def _await_replacement(ctx: FaultContext, before: set[int], killed_at: float) -> tuple[int | None, float | None]:
    """The first worker not in ``before`` that answers a request, and when (s after ``killed_at``)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and ctx.running.process.poll() is None:
        new = set(ctx.running.worker_pids()) - before
        if new:
            answer = _answers(ctx.url)
            if answer and answer["pid"] in new:
                return answer["pid"], time.time() - killed_at
        time.sleep(0.02)
    return None, None


def kill_worker(ctx: FaultContext, busiest: bool = False) -> dict:
    """SIGKILL one worker; time until a new worker process answers a request. The connections the
    victim held are counted first: they are what its death may fail (C13's isolation).

    A server may also give up instead: Granian exits altogether when a worker it respawned
    dies again within 5.5 s ("crash loop"). Its exit code is then part of what was observed."""
    before = set(ctx.running.worker_pids())
    port = ctx.running.deployment.port
    victim = (max(sorted(before), key=lambda pid: connections_held(pid, port) or 0) if busiest
              else random.choice(sorted(before)))
    held = connections_held(victim, port)
    killed_at = time.time()
    os.kill(victim, signal.SIGKILL)
    replacement, replaced_after = _await_replacement(ctx, before, killed_at)
    return {"killed_pid": victim, "fault_wall": killed_at, "victim_connections": held, "replacement_pid": replacement,
            "replacement_serving_after_s": replaced_after, "workers_after": len(ctx.running.worker_pids()),
            "server_exit_code": ctx.running.process.poll()}


def crash_thread(ctx: FaultContext) -> dict:
    """A fatal signal (SIGSEGV) aimed at one request thread of one worker, as a crash in a C
    extension on that thread would raise: the kernel ends the whole process, every thread of it.
    The connections the process held are counted first; then the time until a new worker answers."""
    before = set(ctx.running.worker_pids())
    victim = random.choice(sorted(before))
    threads = [t.id for t in psutil.Process(victim).threads() if t.id != victim]  # not the main thread
    target = random.choice(threads)
    held = connections_held(victim, ctx.running.deployment.port)
    crashed_at = time.time()
    if _tgkill(victim, target, signal.SIGSEGV) != 0:
        raise OSError(ctypes.get_errno(), f"tgkill({victim}, {target}, SIGSEGV) failed")
    replacement, replaced_after = _await_replacement(ctx, before, crashed_at)
    return {"crashed_pid": victim, "crashed_thread": target, "threads": len(threads) + 1, "fault_wall": crashed_at,
            "victim_connections": held, "replacement_pid": replacement, "replacement_serving_after_s": replaced_after,
            "server_exit_code": ctx.running.process.poll()}


def _tgkill(pid: int, tid: int, sig: int) -> int:
    """glibc's tgkill(2): a signal to one thread of another process (os.kill picks any thread)."""
    libc = ctypes.CDLL(None, use_errno=True)
    return libc.tgkill(pid, tid, sig)


def restart_postgres(ctx: FaultContext) -> dict:
    """Fast restart of PostgreSQL (every connection is cut); time until a DB read succeeds."""
    if not database_target().embedded:
        return {"skipped": "only the embedded PostgreSQL can be restarted by the lab"}
    from deploy import embedded_postgres

    started = time.time()
    embedded_postgres.restart()
    restarted = time.time()
    ok_after = None
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{ctx.url}/api/db/read", timeout=15).status_code == 200:
                ok_after = time.time() - started
                break
        except requests.RequestException:
            pass
        time.sleep(0.05)
    return {"fault_wall": started, "postgres_down_s": restarted - started, "db_read_ok_after_s": ok_after}


def _raw_get(url: str, path: str) -> socket.socket:
    host, port = url.removeprefix("http://").rsplit(":", 1)
    s = socket.create_connection((host.strip("[]"), int(port)), timeout=5)
    s.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
    return s


def disconnect_clients(ctx: FaultContext, clients: int = 6, sleep_ms: int = 3000) -> dict:
    """Clients ask for db/sleep (3 s in PostgreSQL) and hang up after 0.3 s: does the query go
    on, and does every connection come back to the pool?"""
    baseline_active = count_connections(ctx.application_name, "active", PG_SLEEP)
    sockets = [_raw_get(ctx.url, f"/api/db/sleep?ms={sleep_ms}&driver={'native' if i % 2 else 'orm'}")
               for i in range(clients)]
    started = time.time()
    time.sleep(0.3)
    running_before_hangup = count_connections(ctx.application_name, "active", PG_SLEEP) - baseline_active
    for s in sockets:
        s.close()
    time.sleep(0.7)
    running_after_1s = count_connections(ctx.application_name, "active", PG_SLEEP) - baseline_active
    time.sleep(sleep_ms / 1000 + 1.0)
    running_after_sleep = count_connections(ctx.application_name, "active", PG_SLEEP) - baseline_active
    return {"fault_wall": started, "clients": clients, "queries_running_before_hangup": running_before_hangup,
            "queries_still_running_1s_after_hangup": running_after_1s,
            "queries_running_after_their_length": running_after_sleep,
            "server_healthy_after": _answers(ctx.url) is not None}


def slow_clients(ctx: FaultContext, clients: int = 40, seconds: float = 5.0) -> dict:
    """Clients that send their headers one byte at a time, for a bounded few seconds."""
    opened: list[socket.socket] = []
    host, port = ctx.url.removeprefix("http://").rsplit(":", 1)
    for _ in range(clients):
        try:
            s = socket.create_connection((host.strip("[]"), int(port)), timeout=2)
            s.sendall(b"GET /api/ping HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            opened.append(s)
        except OSError:
            break
    started = time.time()
    probe_ms = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for s in list(opened):
            try:
                s.send(b"X")
            except OSError:
                opened.remove(s)
        t = time.perf_counter()
        try:
            ok = requests.get(f"{ctx.url}/api/ping", timeout=2).status_code == 200
        except requests.RequestException:
            ok = False
        probe_ms.append((time.perf_counter() - t) * 1000 if ok else None)
        time.sleep(0.5)
    still_open = len(opened)
    for s in opened:
        s.close()
    answered = [p for p in probe_ms if p is not None]
    return {"fault_wall": started, "slow_clients": clients, "still_connected_at_end": still_open,
            "probe_requests": len(probe_ms), "probe_failed": len(probe_ms) - len(answered),
            "probe_worst_ms": max(answered) if answered else None}


def durable_writes(ctx: FaultContext, writers: int = 6, seconds: float = 4.0) -> dict:
    """db/write from several clients while one worker is killed: every write acknowledged
    with a 2xx must be in the table afterwards."""
    acknowledged: list[int] = []
    failed = 0
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def writer(i: int) -> None:
        nonlocal failed
        while time.monotonic() < stop:
            try:
                r = requests.post(f"{ctx.url}/api/db/write?driver={'native' if i % 2 else 'orm'}", timeout=10)
                with lock:
                    if 200 <= r.status_code < 300:
                        acknowledged.append(r.json()["write_id"])
                    else:
                        failed += 1
            except requests.RequestException:
                with lock:
                    failed += 1

    with ThreadPoolExecutor(writers) as pool:
        futures = [pool.submit(writer, i) for i in range(writers)]
        time.sleep(seconds / 3)
        kill = kill_worker(ctx)
        for f in futures:
            f.result()
    with psycopg.connect(database_target().conninfo(), autocommit=True) as conn:
        stored = {row[0] for row in conn.execute("SELECT id FROM write_log WHERE id = ANY(%s)", (acknowledged,))}
    return {**kill, "acknowledged": len(acknowledged), "write_requests_failed": failed,
            "missing_acknowledged": len(set(acknowledged) - stored)}


def pool_exhaustion(ctx: FaultContext) -> dict:
    """Nothing to break: the deployment's pool is too small for the load by construction."""
    env = dict(ctx.running.extra_env or {})
    return {"fault_wall": time.time(), "pool_size": ctx.running.deployment.pool_size,
            "pool_timeout_s": float(env.get("LAB_DB_POOL_TIMEOUT_S", 10))}


def bad_input(ctx: FaultContext) -> dict:
    """Every bad-input case of ``bench.bad_input``, then: is the server still healthy?"""
    from bench.bad_input import send_all

    started = time.time()
    results = send_all(ctx.url)
    return {"fault_wall": started, "cases": results, "server_healthy_after": _answers(ctx.url) is not None,
            "server_errors_5xx": sum(1 for r in results if (r["status"] or 0) >= 500)}


def held_by_server(ctx: FaultContext) -> dict:
    """Threads and established TCP connections over the server's whole process tree, counted from
    outside (a stream or a call that outlived its client would show in them)."""
    import psutil

    threads = connections = 0
    for p in ctx.running.processes():
        try:
            threads += p.num_threads()
            connections += sum(1 for c in p.net_connections("tcp") if c.status == psutil.CONN_ESTABLISHED)
        except psutil.Error:
            continue
    return {"threads": threads, "connections": connections}


def _answered_200(sock: socket.socket) -> bool:
    """Whether the server began a 200 answer on this socket (read without waiting long)."""
    sock.settimeout(0.2)  # the request went out a second ago: a stream that began has answered
    try:
        return sock.recv(64).startswith(b"HTTP/1.1 200")
    except OSError:
        return False


def stop_upstream(ctx: FaultContext, down_s: float = 3.0) -> dict:
    """The upstream stub is killed mid-run and started again ``down_s`` later on the same port:
    the calls in between answer 502 (never 500, never hanging), and the pools recover."""
    before = held_by_server(ctx)
    started = time.time()
    ctx.stub.kill()
    time.sleep(down_s)
    during = held_by_server(ctx)
    ctx.stub.restart()
    back = time.time()
    time.sleep(2.0)
    return {"fault_wall": started, "down_s": back - started, "held_before": before, "held_down": during,
            "held_after": held_by_server(ctx), "server_healthy_after": _answers(ctx.url) is not None}


def leave_streams(ctx: FaultContext, subscribers: int = 20) -> dict:
    """Subscribers open event streams (an event every 100 ms), stay 1 s, then hang up: does the
    server free what each stream held (its thread under gthread, its task under ASGI)?"""
    before = held_by_server(ctx)
    sockets = [_raw_get(ctx.url, "/api/stream/events?n=3600&every_ms=100") for _ in range(subscribers)]
    started = time.time()
    time.sleep(1.0)
    served = sum(_answered_200(s) for s in sockets)  # a stream that was refused holds nothing: count them
    during = held_by_server(ctx)
    for s in sockets:
        s.close()
    time.sleep(2.0)  # a sync stream notices at its next write (100 ms); an async one at once
    return {"fault_wall": started, "subscribers": subscribers, "streams_served": served, "held_before": before,
            "held_during": during,
            "held_after": held_by_server(ctx), "server_healthy_after": _answers(ctx.url) is not None}


def _s(value, unit="", digits=1) -> str:
    if value is None:
        return "n/a"
    return f"{value:.{digits}f}{unit}" if isinstance(value, float) else f"{value}{unit}"


# --- the faults: each one's injection and the sentence that reports its outcome, together ---

@dataclass(frozen=True)
class Fault:
    """Something that breaks ``at_s`` seconds into a measured step. ``inject`` breaks it and
    returns what it observed; ``describe`` turns that (with ``summarise``'s figures added)
    into the reliability table's sentence."""

    at_s: float = 3.0  # seconds after the measured window opens
    kind: ClassVar[str] = ""
    injection: ClassVar[Callable[[FaultContext], dict]]  # one of the functions above

    def inject(self, ctx: FaultContext) -> dict:
        return type(self).injection(ctx)

    def describe(self, f: dict, er=None) -> str:
        raise NotImplementedError

    def report(self, f: dict, er=None) -> str:
        if "action_error" in f:
            return f"the injection failed: {f['action_error']}"
        return self.describe(f, er)


@dataclass(frozen=True)
class KillWorker(Fault):
    kind = "kill-worker"
    busiest: bool = False  # the worker holding the most connections, not one at random (C13)

    injection = staticmethod(kill_worker)

    def inject(self, ctx: FaultContext) -> dict:
        return kill_worker(ctx, self.busiest)

    def describe(self, f, er=None):
        if f.get("server_exit_code") is not None:
            replaced = f"the whole server exited (code {f['server_exit_code']}) instead of replacing the worker"
        else:
            replaced = f"new worker serving after {_s(f.get('replacement_serving_after_s'), ' s', 2)}"
        return f"{replaced}; {f['failed_requests']} of {f['requests']} requests failed"


class CrashThread(Fault):
    kind = "crash-thread"

    injection = staticmethod(crash_thread)

    def describe(self, f, er=None):
        if f.get("server_exit_code") is not None:
            replaced = f"the whole server exited (code {f['server_exit_code']})"
        else:
            replaced = f"new worker serving after {_s(f.get('replacement_serving_after_s'), ' s', 2)}"
        return (f"one of {f['threads']} threads of a worker holding {f.get('victim_connections')} connections "
                f"crashed (SIGSEGV): {replaced}; {f['failed_requests']} of {f['requests']} requests failed")


class RestartPostgres(Fault):
    kind = "restart-postgres"

    injection = staticmethod(restart_postgres)

    def describe(self, f, er=None):
        return (f"{f['failed_requests']} requests failed (503) over {f['failing_seconds']} s; recovered "
                f"{_s(f['recovered_after_s'], ' s', 1)} after the restart; slowest {_s(f['slowest_ms'], ' ms', 0)}")


class ClientDisconnect(Fault):
    kind = "disconnect"

    injection = staticmethod(disconnect_clients)

    def describe(self, f, er=None):
        return (f"{f['queries_running_before_hangup']} of {f['clients']} pg_sleep queries running at hang-up, "
                f"{f['queries_still_running_1s_after_hangup']} still running 1 s later; "
                f"steady load's slowest {_s(f['slowest_ms'], ' ms', 0)}")


class PoolExhaustion(Fault):
    kind = "pool-exhaustion"

    injection = staticmethod(pool_exhaustion)

    def describe(self, f, er=None):
        return (f"pool {f['pool_size']}, timeout {_s(f['pool_timeout_s'], ' s', 0)}: {f['failed_requests']} of "
                f"{f['requests']} answered 503; slowest {_s(f['slowest_ms'], ' ms', 0)}")


class SlowClients(Fault):
    kind = "slow-clients"

    injection = staticmethod(slow_clients)

    def describe(self, f, er=None):
        held = ""
        if er is not None:
            before = er.samples.filter(step_index=None).order_by("t").first()
            peak_fds = max((s.open_files for s in er.samples.filter(step_index=0)), default=None)
            if before and peak_fds is not None:
                held = f"; server fds {before.open_files} -> {peak_fds}"
        return (f"{f['slow_clients']} slow clients; steady load's slowest {_s(f['slowest_ms'], ' ms', 0)}, "
                f"{f['requests']} requests; {f['probe_failed']} of {f['probe_requests']} probes failed{held}")


class Durability(Fault):
    kind = "durability"

    injection = staticmethod(durable_writes)

    def describe(self, f, er=None):
        return (f"{f['acknowledged']} writes acknowledged, {f['missing_acknowledged']} missing; "
                f"{f['write_requests_failed']} write requests failed")


class BadInput(Fault):
    kind = "bad-input"

    injection = staticmethod(bad_input)

    def describe(self, f, er=None):
        return (f"{f['server_errors_5xx']} answers were 5xx; healthy after: "
                f"{'yes' if f['server_healthy_after'] else 'NO'}")

    @staticmethod
    def cases(f: dict) -> list[tuple[str, str]]:
        """(case, what the server answered) for each bad request sent, from this fault's summary."""
        return [(c["case"], c["outcome"]) for c in f.get("cases", [])]


def failed_statuses(errors: list[dict]) -> dict[int, int]:
    """HTTP status -> failed requests, from the load generator's failure descriptions (Locust's
    fast client names the status as ``code=502``); failures without a status are left out."""
    counts: dict[int, int] = {}
    for e in errors:
        found = re.search(r"code=(\d{3})", str(e.get("error", "")))
        if found:
            counts[int(found[1])] = counts.get(int(found[1]), 0) + int(e.get("count", 0))
    return counts


def _held(f: dict, *moments: str) -> str:
    parts = [f"{moment} {f[f'held_{moment}']['threads']} threads, {f[f'held_{moment}']['connections']} connections"
             for moment in moments if f.get(f"held_{moment}")]
    return "; ".join(parts)


class UpstreamDown(Fault):
    kind = "upstream-down"

    injection = staticmethod(stop_upstream)

    def describe(self, f, er=None):
        statuses = failed_statuses(f.get("errors", []))
        told = ", ".join(f"{n} x {code}" for code, n in sorted(statuses.items())) or "none with a status"
        return (f"the upstream was down {_s(f['down_s'], ' s', 1)}: {f['failed_requests']} of {f['requests']} calls "
                f"failed ({told}), the last failure {_s(f['recovered_after_s'], ' s', 1)} after it went; "
                f"{_held(f, 'before', 'down', 'after')}")


class SubscribersLeave(Fault):
    kind = "subscribers-leave"

    injection = staticmethod(leave_streams)

    def describe(self, f, er=None):
        return (f"{f['subscribers']} subscribers came ({f['streams_served']} streams served) and hung up: "
                f"{_held(f, 'before', 'during', 'after')}; steady load's slowest {_s(f['slowest_ms'], ' ms', 0)}")


def summarise(result: dict, observed: dict) -> dict:
    """What the load generator saw around the fault, from its 1-second series."""
    fault_t = observed.get("fault_wall", result.get("started_at", 0)) - result.get("started_at", 0)
    failing = sorted({p["t"] for p in result.get("timeseries", []) if p["failures"]})
    after = [t for t in failing if t >= fault_t]
    return {
        **observed,
        "fault_at_s": round(fault_t, 3),
        "failed_requests": sum(e["failures"] for e in result.get("endpoints", [])),
        # requests completed from the second after the fault on: did the rest keep serving?
        "served_after_fault": sum(p["requests"] - p["failures"] for p in result.get("timeseries", [])
                                  if p["t"] >= fault_t + 1),
        "requests": sum(e["requests"] for e in result.get("endpoints", [])),
        "failing_seconds": len(failing),
        "recovered_after_s": round(after[-1] - fault_t, 3) if after else 0.0,
        "slowest_ms": max((e["max_ms"] or 0 for e in result.get("endpoints", [])), default=None),
        "errors": result.get("errors", []),
    }
