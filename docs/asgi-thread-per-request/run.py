"""Runs every server variant under load.py and prints one table.

    python run.py                                   # N = 1000 and 4000, W = 5000 ms, 20 s each
    python run.py -n 500 2000 -w 2000 -d 12 --variants stock reuse

For each variant and each N: a fresh Uvicorn (one process, uvloop, httptools, --backlog 4096)
pinned to CPU 0 with `taskset -c 0`, its open-file soft limit raised to the hard limit; the
load client pinned to CPU 1; the server stopped before the next cell. Needs Linux, two CPUs
and `taskset` (util-linux); `perf` is optional (see load.py on counting new threads).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from importlib import metadata
from pathlib import Path

HERE = Path(__file__).resolve().parent
VARIANTS = {
    # name: (ASGI app, environment, Uvicorn's lifespan; Django's handler refuses lifespan events)
    "fastapi": ("fastapi_app:app", {}, "on"),
    "stock": ("app:application", {"REPRO_VARIANT": "stock"}, "off"),
    "reuse": ("app:application", {"REPRO_VARIANT": "reuse"}, "off"),
    "shared": ("app:application", {"REPRO_VARIANT": "shared"}, "off"),
}


def raise_nofile() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def start_server(variant: str, port: int, server_cpu: str) -> subprocess.Popen:
    target, env, lifespan = VARIANTS[variant]
    command = ["taskset", "-c", server_cpu, sys.executable, "-m", "uvicorn", target,
               "--host", "127.0.0.1", "--port", str(port), "--loop", "uvloop", "--http", "httptools",
               "--lifespan", lifespan, "--backlog", "4096", "--no-access-log", "--log-level", "warning",
               "--timeout-graceful-shutdown", "5"]
    # taskset execs the command: the process id is the server's
    server = subprocess.Popen(command, cwd=HERE, env={**os.environ, **env}, preexec_fn=raise_nofile)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"{variant}: the server exited with {server.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/ping", timeout=1) as response:
                if response.read() == b"pong":
                    return server
        except OSError:
            time.sleep(0.2)
    stop_server(server)
    raise SystemExit(f"{variant}: no answer on /ping within 30 s")


def stop_server(server: subprocess.Popen) -> None:
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def run_cell(variant: str, connections: int, args, port: int) -> dict:
    server = start_server(variant, port, args.server_cpu)
    try:
        command = ["taskset", "-c", args.client_cpu, sys.executable, str(HERE / "load.py"),
                   "--port", str(port), "--connections", str(connections), "--wait-ms", str(args.wait_ms),
                   "--duration", str(args.duration), "--pid", str(server.pid)]
        if args.no_perf:
            command.append("--no-perf")
        out = subprocess.run(command, capture_output=True, text=True, preexec_fn=raise_nofile)
        lines = out.stdout.strip().splitlines()
        if out.returncode or not lines:
            raise SystemExit(f"load.py failed ({out.returncode}):\n{out.stdout}\n{out.stderr}")
        print(f"[{variant}] " + "\n".join(lines[:-1]), flush=True)
        if out.stderr.strip():
            print(out.stderr.strip(), file=sys.stderr)
        return json.loads(lines[-1])
    finally:
        stop_server(server)


def fmt(value, suffix="") -> str:
    return "-" if value is None else f"{value}{suffix}"


def table(rows: list[tuple[str, dict]]) -> str:
    head = ["server", "N", "ideal/s", "req/s", "% ideal", "p50 over", "p99 over", "fail",
            "server CPU", "threads", "USS MiB", "thr/req", "client CPU"]
    body = []
    for variant, r in rows:
        per_req = r.get("threads_per_request")
        if per_req is None and r.get("threads_per_request_min") is not None:
            per_req = f"{r['threads_per_request_min']}..{r.get('threads_per_request_max')}"
        body.append([variant, str(r["connections"]), fmt(r["ideal_rps"]), fmt(r["rps"]),
                     fmt(r["pct_of_ideal"], " %"), fmt(r["overhead_p50_ms"], " ms"),
                     fmt(r["overhead_p99_ms"], " ms"), str(r["failures"]), fmt(r.get("server_cpu_pct"), " %"),
                     fmt(r.get("threads_max")),
                     fmt(r.get("uss_mib_max")), fmt(per_req), fmt(r["client_cpu_pct"], " %")])
    widths = [max(len(row[i]) for row in [head] + body) for i in range(len(head))]
    lines = ["| " + " | ".join(c.ljust(w) for c, w in zip(head, widths)) + " |",
             "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    lines += ["| " + " | ".join(c.ljust(w) for c, w in zip(row, widths)) + " |" for row in body]
    return "\n".join(lines)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--connections", "-n", type=int, nargs="+", default=[1000, 4000])
    p.add_argument("--wait-ms", "-w", type=int, default=5000)
    p.add_argument("--duration", "-d", type=float, default=20.0, help="seconds per cell, ramp included")
    p.add_argument("--variants", nargs="+", choices=list(VARIANTS), default=list(VARIANTS))
    p.add_argument("--port", type=int, default=8101, help="first port; each cell takes the next one")
    p.add_argument("--server-cpu", default="0")
    p.add_argument("--client-cpu", default="1")
    p.add_argument("--no-perf", action="store_true", help="don't count new threads with perf")
    p.add_argument("--json", type=Path, help="also write every cell's result to this file")
    args = p.parse_args(argv)
    if not shutil.which("taskset"):
        raise SystemExit("taskset not found (util-linux)")
    raise_nofile()
    versions = ", ".join(f"{name} {metadata.version(name)}" for name in
                         ("Django", "asgiref", "uvicorn", "uvloop", "httptools", "fastapi", "starlette"))
    print(f"Python {platform.python_version()}, {versions}; {os.cpu_count()} CPUs; "
          f"open files {resource.getrlimit(resource.RLIMIT_NOFILE)[0]}", flush=True)
    print(f"load average before: {loadavg()}", flush=True)
    rows = []
    port = args.port
    for variant in args.variants:
        for connections in args.connections:
            rows.append((variant, run_cell(variant, connections, args, port)))
            port += 1
            time.sleep(1)
    print(f"load average after: {loadavg()}")
    print(f"\nW = {args.wait_ms} ms, {args.duration:g} s per cell, measured after the first W "
          f"(ideal = N / W); 'over' = latency minus W; server CPU: % of its one core during the hold; threads and USS: the server's maxima; "
          f"thr/req: threads the server created per completed request\n")
    print(table(rows))
    if args.json:
        args.json.write_text(json.dumps([{"variant": v, **r} for v, r in rows], indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
