"""The upstream stub: "another service" for ``io/upstream`` (C15), answering ``GET /wait?ms=N``
after N ms with ``{"waited_ms": N}``.

A raw ASGI callable on Uvicorn (uvloop, httptools, no lifespan, no access log, keep-alive longer
than any wait): thousands of waits in flight cost it a timer each. The runner starts it pinned to
the load generator's core (never the server's) and checks it is never the limit: its own CPU is
sampled beside the server's. ``/wait?ms=N&status=S`` answers with status S instead (the tests'
"upstream answers an error"); anything else is a 404.

    python -m deploy.upstream_stub --port 8010
"""
from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import parse_qs

from groundwork.names import UPSTREAM_URL_ENV

MAX_MS = 600_000


async def app(scope, receive, send) -> None:
    if scope["type"] != "http":
        return
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    status, body = 404, b'{"error": "no such path"}'
    if scope["path"] == "/wait":
        try:
            ms = int(query.get("ms", ["0"])[0])
            answer = int(query.get("status", ["200"])[0])
        except ValueError:
            ms, answer = -1, 400
        if 0 <= ms <= MAX_MS and 200 <= answer <= 599:
            await asyncio.sleep(ms / 1000)
            status, body = answer, b'{"waited_ms": %d}' % ms
        else:
            status, body = 400, b'{"error": "ms must be 0..600000, status 200..599"}'
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


class UpstreamStubProcess:
    """The stub as the runner runs it: its own process on the given CPUs (the load generator's),
    its CPU time readable so that a step can show the stub was never the limit."""

    def __init__(self, process: subprocess.Popen, port: int):
        self.process, self.port = process, port
        self.url = f"http://127.0.0.1:{port}"
        self._samples: list[tuple[float, float]] = []  # (wall clock, CPU seconds), see watch_cpu
        self._cpus: tuple[int, ...] = ()
        self._watching = False
        self._log_path: Path | None = None

    @classmethod
    def start(cls, cpus: tuple[int, ...] = (), log_path: Path | None = None,
              port: int | None = None) -> "UpstreamStubProcess":
        if port is None:
            with socket.socket() as s:
                s.bind(("127.0.0.1", 0))
                port = s.getsockname()[1]
        argv = [sys.executable, "-m", "deploy.upstream_stub", "--port", str(port)]
        if cpus:
            argv = ["taskset", "--cpu-list", ",".join(map(str, cpus)), *argv]
        log = open(log_path, "ab") if log_path else subprocess.DEVNULL
        from deploy.process import die_with_parent  # the stub never outlives whoever started it

        process = subprocess.Popen(argv, cwd=Path(__file__).resolve().parent.parent, stdout=log, stderr=log,
                                   preexec_fn=die_with_parent())
        stub = cls(process, port)
        stub._cpus, stub._log_path = cpus, log_path
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and stub.alive():
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                return stub
            except OSError:
                time.sleep(0.1)
        stub.stop()
        raise RuntimeError(f"the upstream stub did not start (log: {log_path})")

    def alive(self) -> bool:
        return self.process.poll() is None

    def watch_cpu(self, every_s: float = 0.5) -> None:
        """Sample the stub's CPU time every ``every_s`` from now on (``cpu_percent_between`` reads it)."""
        import psutil

        proc = psutil.Process(self.process.pid)
        self._watching = True

        def sample() -> None:
            while self.alive():
                try:
                    times = proc.cpu_times()
                except psutil.Error:
                    return
                self._samples.append((time.time(), times.user + times.system))
                time.sleep(every_s)

        threading.Thread(target=sample, name="upstream-stub-cpu", daemon=True).start()

    def cpu_percent_between(self, start: float, end: float) -> float | None:
        """The stub's CPU over a window of wall-clock time (Unix seconds), 100 = one core: from the
        samples nearest inside its two ends; None without two samples in it."""
        inside = [(t, cpu) for t, cpu in list(self._samples) if start <= t <= end]
        if len(inside) < 2 or inside[-1][0] <= inside[0][0]:
            return None
        (t0, c0), (t1, c1) = inside[0], inside[-1]
        return 100 * (c1 - c0) / (t1 - t0)

    def kill(self) -> None:
        """Gone at once, as a crashed service is (its connections reset, no goodbye)."""
        self.process.kill()
        self.process.wait(5)

    def restart(self) -> None:
        """The same service back on the same port (a new process; CPU watching goes on with it)."""
        again = type(self).start(self._cpus, self._log_path, port=self.port)
        self.process = again.process
        if self._watching:
            self._samples.clear()  # CPU time starts again from zero in the new process
            self.watch_cpu()

    def stop(self) -> None:
        if self.alive():
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


@contextmanager
def upstream_for_servers() -> Iterator[str]:
    """The upstream the servers started inside this block call: the one ``LAB_UPSTREAM_URL`` names,
    or a stub of our own, started here and stopped at the end (servers inherit the variable)."""
    named = os.environ.get(UPSTREAM_URL_ENV)
    if named:
        yield named
        return
    stub = UpstreamStubProcess.start()
    os.environ[UPSTREAM_URL_ENV] = stub.url
    try:
        yield stub.url
    finally:
        os.environ.pop(UPSTREAM_URL_ENV, None)
        stub.stop()


def main(argv: list[str] | None = None) -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--backlog", type=int, default=4096)
    o = parser.parse_args(argv)
    uvicorn.run(app, host=o.host, port=o.port, loop="uvloop", http="httptools", lifespan="off", access_log=False,
                log_level="warning", backlog=o.backlog, timeout_keep_alive=MAX_MS // 1000)


if __name__ == "__main__":
    main()
