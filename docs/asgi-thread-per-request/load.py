"""Closed-loop load on /sleep: N keep-alive connections, each sending one request after another.

    python load.py --port 8000 --connections 1000 --wait-ms 5000 --duration 20 --pid SERVER_PID

Connection i opens at i * W / N (the starts are spread evenly over the first W ms), then sends
``GET /sleep?ms=W`` and, as soon as the answer is in, the next one, until the duration is over.
A server that holds every request makes N / W requests per second once all connections are
open; everything below is measured over the "hold": from W until the end of the run.

Printed: requests/s against that ideal N / W, the latency overhead (latency minus W; p50, p99,
max), failures, and, read from outside the server process (its code is not touched):

- server CPU: its user + system time during the hold (/proc/PID/stat), in % of one core;
- threads: the server's /proc/PID/status ``Threads`` (max seen during the hold, 2 samples a
  second), USS: /proc/PID/smaps_rollup Private_Clean + Private_Dirty (max during the hold);
- threads created per request: threads created by the server during the hold divided by the
  requests completed during the hold. Counted, when ``perf`` works here, by the kernel
  tracepoint task:task_newtask on the server's process (``perf stat -p PID``: one event per
  new thread or child, exact). Without perf, two bounds: a lower one (thread ids newly seen
  in /proc/PID/task, listed 10 times a second: a thread living less than 0.1 s can be missed)
  and an upper one (process ids the kernel handed out in this PID namespace,
  /proc/sys/kernel/ns_last_pid: counts every other process or thread started meanwhile too).

The last line printed is the same result as JSON (for run.py).
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time


def raise_nofile() -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


# --- reading the server from /proc -------------------------------------------------------------
def proc_threads(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("Threads:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def proc_uss_kib(pid: int) -> int | None:
    total = 0
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith(("Private_Clean:", "Private_Dirty:")):
                    total += int(line.split()[1])
    except OSError:
        return None
    return total


def ns_last_pid() -> int | None:
    try:
        with open("/proc/sys/kernel/ns_last_pid") as f:
            return int(f.read())
    except OSError:
        return None


def proc_cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of the whole process (all its threads, dead ones included)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


def pid_max() -> int:
    try:
        with open("/proc/sys/kernel/pid_max") as f:
            return int(f.read())
    except OSError:
        return 1 << 22


class PerfNewTasks:
    """``perf stat -I 250 -e task:task_newtask -p PID``: new threads of the server, per interval."""

    def __init__(self, pid: int):
        self.proc = None
        self.t0 = None
        if not shutil.which("perf"):
            self.error = "perf not found"
            return
        self.out = tempfile.NamedTemporaryFile(prefix="newtask-", suffix=".csv", delete=False)
        self.out.close()
        self.t0 = time.monotonic()
        self.proc = subprocess.Popen(
            ["perf", "stat", "-I", "250", "-x", ",", "-e", "task:task_newtask", "-p", str(pid),
             "-o", self.out.name],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.error = None

    def stop(self) -> list[tuple[float, int]] | None:
        """Intervals as (end, count), end in seconds of time.monotonic(); None if perf failed."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        try:
            _, err = self.proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            _, err = self.proc.communicate()
        intervals = []
        with open(self.out.name) as f:
            for line in f:
                fields = line.strip().split(",")
                if len(fields) < 4 or fields[3] != "task:task_newtask":
                    continue
                count = int(fields[1]) if fields[1].isdigit() else 0  # "<not counted>": no run
                intervals.append((self.t0 + float(fields[0]), count))
        os.unlink(self.out.name)
        if not intervals:
            self.error = (err or b"").decode(errors="replace").strip()[-300:] or "perf printed nothing"
            return None
        return intervals


# --- the load ------------------------------------------------------------------------------------
class Stats:
    def __init__(self):
        self.done: list[tuple[float, float]] = []  # (completed at, latency), monotonic seconds
        self.failures: dict[str, int] = {}
        self.sent = 0

    def fail(self, kind: str) -> None:
        self.failures[kind] = self.failures.get(kind, 0) + 1


async def read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    if "content-length" in headers:
        await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            await reader.readexactly(size + 2)  # the chunk and its CRLF
            if size == 0:
                break
    if headers.get("connection", "").lower() == "close":
        raise ConnectionResetError("server closed the connection")
    return status


async def connection(host: str, port: int, request: bytes, start_at: float, stats: Stats) -> None:
    await asyncio.sleep(max(0.0, start_at - time.monotonic()))
    writer = None
    while True:
        try:
            if writer is None:
                reader, writer = await asyncio.open_connection(host, port)
        except OSError as exc:
            stats.fail(f"connect: {type(exc).__name__}")
            await asyncio.sleep(0.5)
            continue
        sent = time.monotonic()
        try:
            writer.write(request)
            stats.sent += 1
            status = await read_response(reader)
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError) as exc:
            stats.fail(f"read: {type(exc).__name__}")
            writer.close()
            writer = None
            await asyncio.sleep(0.1)
            continue
        now = time.monotonic()
        if status == 200:
            stats.done.append((now, now - sent))
        else:
            stats.fail(f"HTTP {status}")


def percentile(sorted_values: list[float], q: float) -> float | None:
    if not sorted_values:
        return None
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))]


async def sample(pid: int, hold_start: float, samples: dict) -> None:
    """Threads and USS twice a second; thread ids in /proc/PID/task and the namespace's last
    process id ten times a second (the ids wrap at pid_max: summed step by step)."""
    tick = 0
    wrap, last = pid_max(), ns_last_pid()
    while True:
        now_last = ns_last_pid()
        if last is not None and now_last is not None:
            if time.monotonic() >= hold_start:
                samples["pids_allocated"] += (now_last - last) % wrap
            last = now_last
        try:
            samples["tids"].update(os.listdir(f"/proc/{pid}/task"))
        except OSError:
            pass
        if tick % 5 == 0 and time.monotonic() >= hold_start:
            threads, uss = proc_threads(pid), proc_uss_kib(pid)
            if threads is not None:
                samples["threads"].append(threads)
            if uss is not None:
                samples["uss_kib"].append(uss)
        if time.monotonic() >= hold_start and samples["tids_at_hold"] is None:
            samples["tids_at_hold"] = set(samples["tids"])
            samples["cpu_at_hold"] = (time.monotonic(), proc_cpu_seconds(pid))
        tick += 1
        await asyncio.sleep(0.1)


async def run(args) -> dict:
    wait = args.wait_ms / 1000
    request = (f"GET /sleep?ms={args.wait_ms} HTTP/1.1\r\nHost: {args.host}:{args.port}\r\n"
               f"User-Agent: repro-load\r\n\r\n").encode()
    stats = Stats()
    samples = {"threads": [], "uss_kib": [], "tids": set(), "tids_at_hold": None, "pids_allocated": 0,
               "cpu_at_hold": None}
    perf = PerfNewTasks(args.pid) if args.pid and not args.no_perf else None
    await asyncio.sleep(0.3 if perf else 0)  # perf attaches to every thread of the process first
    cpu0 = time.process_time()
    t0 = time.monotonic()  # every time below is time.monotonic()
    hold_start, end = t0 + wait, t0 + args.duration
    tasks = [asyncio.create_task(connection(args.host, args.port, request, t0 + i * wait / args.connections, stats))
             for i in range(args.connections)]
    sampler = asyncio.create_task(sample(args.pid, hold_start, samples)) if args.pid else None
    await asyncio.sleep(max(0.0, end - time.monotonic()))
    tids_at_end = set(samples["tids"])
    cpu_at_end = (time.monotonic(), proc_cpu_seconds(args.pid)) if args.pid else None
    intervals = perf.stop() if perf else None
    client_cpu = time.process_time() - cpu0
    for task in tasks + ([sampler] if sampler else []):
        task.cancel()
    await asyncio.gather(*tasks, *([sampler] if sampler else []), return_exceptions=True)

    hold = end - hold_start
    in_hold = sorted(lat for done, lat in stats.done if hold_start <= done <= end)
    overhead_ms = [(lat - wait) * 1000 for lat in in_hold]
    ideal = args.connections / wait
    result = {
        "connections": args.connections, "wait_ms": args.wait_ms, "duration_s": args.duration,
        "hold_s": round(hold, 2), "ideal_rps": round(ideal, 1),
        "completed_in_hold": len(in_hold), "rps": round(len(in_hold) / hold, 1) if hold > 0 else None,
        "pct_of_ideal": round(100 * len(in_hold) / hold / ideal, 1) if hold > 0 else None,
        "overhead_p50_ms": round(percentile(overhead_ms, 0.50), 1) if overhead_ms else None,
        "overhead_p99_ms": round(percentile(overhead_ms, 0.99), 1) if overhead_ms else None,
        "overhead_max_ms": round(overhead_ms[-1], 1) if overhead_ms else None,
        "completed_total": len(stats.done), "sent_total": stats.sent,
        "failures": sum(stats.failures.values()), "failure_kinds": stats.failures,
        "client_cpu_pct": round(100 * client_cpu / args.duration, 1),
    }
    if args.pid:
        result["threads_max"] = max(samples["threads"], default=None)
        if samples["cpu_at_hold"] and samples["cpu_at_hold"][1] is not None and cpu_at_end[1] is not None:
            (t_a, c_a), (t_b, c_b) = samples["cpu_at_hold"], cpu_at_end
            result["server_cpu_pct"] = round(100 * (c_b - c_a) / (t_b - t_a), 1)
        result["uss_mib_max"] = round(max(samples["uss_kib"]) / 1024, 1) if samples["uss_kib"] else None
        done = len(in_hold)
        if intervals is not None:
            created = sum(c for t_end, c in intervals if hold_start < t_end <= end + 0.05)
            result["threads_created_hold"] = created
            result["threads_per_request"] = round(created / done, 2) if done else None
            result["threads_per_request_source"] = "perf task:task_newtask"
        else:
            result["threads_per_request_source"] = f"bounds from /proc ({perf.error if perf else 'perf off'})"
        if samples["tids_at_hold"] is not None and done:
            seen = len(tids_at_end - samples["tids_at_hold"])
            result["threads_per_request_min"] = round(seen / done, 2)
            if ns_last_pid() is not None:
                result["threads_per_request_max"] = round(samples["pids_allocated"] / done, 2)
    return result


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--connections", "-n", type=int, default=1000)
    p.add_argument("--wait-ms", "-w", type=int, default=5000)
    p.add_argument("--duration", "-d", type=float, default=20.0, help="seconds, ramp included")
    p.add_argument("--pid", type=int, default=0, help="the server's process id (for threads, USS)")
    p.add_argument("--no-perf", action="store_true", help="don't count new threads with perf")
    args = p.parse_args(argv)
    if args.duration <= args.wait_ms / 1000:
        p.error("--duration must be longer than the wait: the hold starts after it")
    nofile = raise_nofile()
    if nofile < args.connections + 100:
        print(f"warning: open-file limit {nofile} is below {args.connections} connections", file=sys.stderr)
    try:
        import uvloop
        runner = uvloop.run
    except ImportError:
        runner = asyncio.run
    result = runner(run(args))
    r = result
    print(f"{r['connections']} connections x /sleep?ms={r['wait_ms']} for {r['duration_s']} s "
          f"(hold {r['hold_s']} s):")
    print(f"  {r['rps']} req/s = {r['pct_of_ideal']} % of ideal {r['ideal_rps']}; overhead p50 "
          f"{r['overhead_p50_ms']} ms, p99 {r['overhead_p99_ms']} ms; failures {r['failures']} "
          f"{r['failure_kinds'] or ''}; client CPU {r['client_cpu_pct']} %")
    if args.pid:
        print(f"  server: CPU {r.get('server_cpu_pct')} % of a core during the hold, threads max {r.get('threads_max')}, USS max {r.get('uss_mib_max')} MiB, threads "
              f"created per request {r.get('threads_per_request', '?')} ({r['threads_per_request_source']}; "
              f"/proc bounds {r.get('threads_per_request_min')}..{r.get('threads_per_request_max')})")
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
