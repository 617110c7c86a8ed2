"""What one call costs an httpx client as its pool grows: N calls in flight, each to a local server
that answers after WAIT seconds, through one pooled AsyncClient (max_connections = N) or a client per
call. Prints the client process's CPU per call. Standalone: needs httpx and uvicorn only.

    python reproduce.py --n 1000 --wait 5          # server on CPU 1, this process on CPU 0 (Linux)

httpcore 1.0's pool walks every connection it holds each time a request is queued or a connection
is released (``AsyncConnectionPool._assign_requests_to_connections``), so a pool holding N busy
connections pays O(N) per event: CPU per call grows with N, where a client per call (a pool of one)
does not. See encode/httpcore#1035 and #929, encode/httpx#3215.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import resource
import subprocess
import sys
import time

SERVER = """
import asyncio, sys, uvicorn
async def app(scope, receive, send):
    if scope["type"] != "http": return
    await asyncio.sleep(float(scope["query_string"].decode().split("=")[1]))
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"2")]})
    await send({"type": "http.response.body", "body": b"ok"})
uvicorn.run(app, port=int(sys.argv[1]), log_level="warning", access_log=False, backlog=4096, timeout_keep_alive=600)
"""


def cpu_s() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


async def run(mode: str, n: int, wait: float, url: str, seconds: float) -> tuple[int, float]:
    import httpx

    limits = httpx.Limits(max_connections=n, max_keepalive_connections=n)
    ssl_context = httpx.create_ssl_context()  # one for every client: loading CA certificates costs ~15 ms
    shared = httpx.AsyncClient(limits=limits, verify=ssl_context, trust_env=False) if mode == "pooled" else None
    done = 0
    stop = time.monotonic() + wait + seconds

    async def caller(phase: float) -> None:
        nonlocal done
        await asyncio.sleep(phase)
        while time.monotonic() < stop:
            if shared is not None:
                r = await shared.get(url, timeout=wait + 30)
            else:
                async with httpx.AsyncClient(verify=ssl_context, trust_env=False) as own:
                    r = await own.get(url, timeout=wait + 30)
            r.raise_for_status()
            done += 1

    started = cpu_s()
    await asyncio.gather(*(caller(wait * i / n) for i in range(n)))
    used = cpu_s() - started
    if shared is not None:
        await shared.aclose()
    return done, used


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--wait", type=float, default=5.0)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--port", type=int, default=8765)
    o = parser.parse_args()
    pin = ["taskset", "-c", "1"] if sys.platform == "linux" and os.cpu_count() and os.cpu_count() > 1 else []
    server = subprocess.Popen([*pin, sys.executable, "-c", SERVER, str(o.port)])
    if pin:
        os.sched_setaffinity(0, {0})
    try:
        time.sleep(2)
        url = f"http://127.0.0.1:{o.port}/?wait={o.wait}"
        for mode in ("pooled", "per-call"):
            done, used = asyncio.run(run(mode, o.n, o.wait, url, o.seconds))
            print(f"{mode:9s} N={o.n:5d}: {done:6d} calls in {o.wait + o.seconds:.0f} s (at most about "
                  f"{o.n * o.seconds / o.wait + o.n:.0f}), client CPU {used:.1f} s = "
                  f"{used / max(done, 1) * 1e6:,.0f} µs per call")
    finally:
        server.terminate()
        server.wait(10)


if __name__ == "__main__":
    main()
