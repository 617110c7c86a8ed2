"""A deployment: which server, how many workers and threads, which CPUs, which port.

This module turns one into the exact command line, refuses impossible combinations and
warns about ones that will measure something other than the user thinks.
"""
from __future__ import annotations

import os
import shlex
import shutil
import sys
from dataclasses import dataclass, field

from groundwork.database import BASE_DIR, PoolLimits, application_name
from groundwork.names import GC_FREEZE_ENV
from deploy.limits import Limits

# Apps other than Django, each on the same Uvicorn (uvloop, httptools) as "uvicorn", with its
# lifespan on (it opens the native pool per worker): "fastapi", the catalogue's FastAPI adapter
# (``fastapi_app``); "starlette" and "bare-asgi", the tax ladder's bottom rungs (``bench.ladders``),
# which serve ping and db/read only (``fastapi_app.starlette_app``, ``fastapi_app.bare``).
NON_DJANGO = ("fastapi", "starlette", "bare-asgi")
SERVERS = ("gunicorn", "uvicorn", "gunicorn-uvicorn", "granian", *NON_DJANGO)
# The interfaces each server speaks. Granian speaks both, so its deployments say which.
SERVER_INTERFACES = {"gunicorn": ("wsgi",), "uvicorn": ("asgi",), "gunicorn-uvicorn": ("asgi",),
                     "granian": ("wsgi", "asgi"), **{app: ("asgi",) for app in NON_DJANGO}}
PRELOADS = ("", "preload", "freeze")
# Servers whose WSGI workers serve requests on threads of their own (--threads): gthread's
# threads, Granian's blocking threads. Their ASGI workers run one event loop and no such threads.
THREADED_WSGI = ("gunicorn", "granian")
# What a deployment serves: the lab's endpoints (what is measured), or the results dashboard,
# which runs apart so that its code never loads into a process under test. Keyed by the entry
# point's kind: the interface for Django's, the server's name for the others (NON_DJANGO).
APPS = {"lab": {"wsgi": "config.wsgi:application", "asgi": "config.asgi:application",
                "fastapi": "fastapi_app.app:application", "starlette": "fastapi_app.starlette_app:application",
                "bare-asgi": "fastapi_app.bare:application"},
        "dashboard": {"wsgi": "config.dashboard_wsgi:application"}}
DEFAULT_THREADS = 8
# What ``backpressure`` sets on each server, and what a request beyond the limit gets.
OVERLOAD_CONTROLS = {
    "gunicorn": "--worker-connections (gthread stops accepting; the kernel backlog holds the rest)",
    "uvicorn": "--limit-concurrency (HTTP 503 beyond)",
    **{app: "--limit-concurrency (HTTP 503 beyond)" for app in NON_DJANGO},
    "gunicorn-uvicorn": "Uvicorn's limit_concurrency in the worker (HTTP 503 beyond)",
    "granian": "--backpressure (stops accepting; the kernel backlog holds the rest)",
}
# Uvicorn's event loop: uvloop as shipped; "asyncio" measures what uvloop buys.
LOOPS = ("uvloop", "asyncio")
# Each Django process may open two pools of `pool_size`: Django's and the lab's native one. (An
# ASGI process serving every driver at once could open four: the native sync and async pools and
# django-async-backend's too; a benchmark step uses one driver, which opens at most two.)
# A process of another framework (NON_DJANGO) opens the native one only.
POOLS_PER_PROCESS = 2
# Connections kept free for the runner, the dashboard, psql and the other deployment's tools.
HEADROOM_CONNECTIONS = 10


class DeploymentError(ValueError):
    """A deployment that cannot run as asked; the message says why and what to change."""


@dataclass(frozen=True)
class Deployment:
    server: str
    workers: int = 1
    threads: int | None = None  # request threads of a WSGI worker: gthread's, or Granian's blocking threads
    cpus: tuple[int, ...] | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    pool_size: int = field(default_factory=lambda: PoolLimits.from_env().size)
    app: str = "lab"
    # "wsgi" or "asgi": implied by a server that speaks one, a choice on one that speaks both (granian)
    interface: str | None = None
    # The overload control: how many requests a worker takes on at once, through each server's own
    # setting (see OVERLOAD_CONTROLS); None = the server's default (no limit of the lab's).
    backpressure: int | None = None
    loop: str = "uvloop"  # uvicorn only
    # The listen backlog each server asks the kernel for (None = the server's default: 2048 for
    # Gunicorn and Uvicorn, 1024 for Granian); the kernel caps it at somaxconn.
    backlog: int | None = None
    # Gunicorn only: load the app in the master before forking the workers (``--preload``), so that
    # they share its pages copy-on-write; "freeze" also moves every object the master made into
    # the collector's permanent generation before each fork (gc.freeze), so that the workers'
    # collections do not write to, and so copy, the pages they share.
    preload: str = ""  # "", "preload" or "freeze"

    def __post_init__(self):
        interfaces = SERVER_INTERFACES.get(self.server, ())
        if self.interface is None and len(interfaces) == 1:
            object.__setattr__(self, "interface", interfaces[0])
        if self.server in THREADED_WSGI and self.interface == "wsgi" and self.threads is None:
            # Granian's own default would be half its backpressure (512 threads): the lab gives
            # both threaded WSGI servers the same number, so that they compare like for like.
            object.__setattr__(self, "threads", DEFAULT_THREADS)

    # --- what it is --------------------------------------------------------------------
    @property
    def stack(self) -> str:
        """The server, plus the interface where the server alone does not say it (granian-wsgi)."""
        return f"{self.server}-{self.interface}" if len(SERVER_INTERFACES.get(self.server, ())) > 1 else self.server

    @property
    def entry(self) -> str:
        """Which entry point of the app it serves: "wsgi", "asgi" (Django's), or the server's name
        for an app other than Django ("fastapi", "starlette", "bare-asgi")."""
        return self.server if self.server in NON_DJANGO else self.interface

    @property
    def uvicorn_managed(self) -> bool:
        """Uvicorn's own process manager runs it (one process serves when there is one worker)."""
        return self.server == "uvicorn" or self.server in NON_DJANGO

    @property
    def pools_per_process(self) -> int:
        return 1 if self.server in NON_DJANGO else POOLS_PER_PROCESS

    @property
    def label(self) -> str:
        threads = f"x{self.threads}t" if self.threads else ""
        backpressure = f"-bp{self.backpressure}" if self.backpressure else ""
        cpus = f"@cpu{','.join(map(str, self.cpus))}" if self.cpus else ""
        app = "" if self.app == "lab" else f"{self.app}-"
        loop = "" if self.loop == LOOPS[0] else f"-{self.loop}"
        backlog = f"-bl{self.backlog}" if self.backlog else ""
        preload = f"-{self.preload}" if self.preload else ""
        return f"{app}{self.stack}{loop}-{self.workers}w{threads}{backpressure}{backlog}{preload}{cpus}:{self.port}"

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def health_url(self) -> str:
        """What answers 200 once the deployment serves: a cheap endpoint, or the dashboard's front page."""
        return f"{self.url}/api/ping" if self.app == "lab" else f"{self.url}/dashboard/runs/"

    @property
    def application_name(self) -> str:
        """How its connections are tagged in pg_stat_activity (see ``environment``)."""
        return application_name(self.label)

    @property
    def max_db_connections(self) -> int:
        return self.workers * self.pools_per_process * self.pool_size

    def as_dict(self) -> dict:
        return {"server": self.server, "workers": self.workers, "threads": self.threads,
                "cpus": list(self.cpus) if self.cpus else None, "host": self.host, "port": self.port,
                "pool_size": self.pool_size, "interface": self.interface, "label": self.label, "app": self.app,
                "backpressure": self.backpressure, "loop": self.loop, "backlog": self.backlog,
                "preload": self.preload}

    # --- checks ------------------------------------------------------------------------
    def validate(self) -> list[str]:
        """Raise DeploymentError for an impossible deployment; return warnings otherwise."""
        if self.server not in SERVERS:
            raise DeploymentError(f"unknown server {self.server!r}; choose one of {', '.join(SERVERS)}")
        interfaces = SERVER_INTERFACES[self.server]
        if self.interface not in interfaces:
            raise DeploymentError(f"{self.server} serves --interface {' or '.join(interfaces)}"
                                  f"{'' if self.interface is None else f', not {self.interface!r}'}"
                                  f"{'; choose one' if len(interfaces) > 1 else ''}")
        if self.entry not in APPS.get(self.app, {}):
            raise DeploymentError(f"app {self.app!r} cannot be served by {self.server}; "
                                  f"apps: {', '.join(APPS)} (the dashboard runs on gunicorn)")
        if self.loop not in LOOPS or (self.loop != LOOPS[0] and self.server != "uvicorn"):
            raise DeploymentError(f"loop {self.loop!r}: uvicorn runs one of {', '.join(LOOPS)}; "
                                  f"{self.server} runs {LOOPS[0] if self.interface == 'asgi' else 'no event loop'}")
        if self.preload not in PRELOADS:
            raise DeploymentError(f"--preload must be one of {', '.join(repr(p) for p in PRELOADS)}, got {self.preload!r}")
        if self.preload and not self.server.startswith("gunicorn"):
            raise DeploymentError(f"--preload applies to gunicorn and gunicorn-uvicorn only (their master loads the "
                                  f"app before forking the workers); {self.stack} loads it in each worker")
        if not 1 <= self.workers <= 64:
            raise DeploymentError(f"--workers must be between 1 and 64, got {self.workers}")
        if self.threads is not None and not (self.server in THREADED_WSGI and self.interface == "wsgi"):
            raise DeploymentError(
                f"--threads applies to gunicorn (gthread) and granian --interface wsgi only; {self.stack} "
                "runs one event loop per worker process and has no request threads. "
                "Use --workers to add processes.")
        most_threads = Limits.read().threads_per_process  # the machine's limit, not the lab's
        if self.threads is not None and not 1 <= self.threads <= most_threads:
            raise DeploymentError(f"--threads must be between 1 and {most_threads} (this machine's thread "
                                  f"and memory-mapping limits), got {self.threads}")
        if self.backlog is not None and not 1 <= self.backlog <= 65535:
            raise DeploymentError(f"--backlog must be between 1 and 65535, got {self.backlog}")
        if self.backpressure is not None and not 1 <= self.backpressure <= 65536:
            raise DeploymentError(f"--backpressure must be between 1 and 65536, got {self.backpressure}")
        if not 1 <= self.port <= 65535:
            raise DeploymentError(f"--port must be between 1 and 65535, got {self.port}")
        if not 1 <= self.pool_size <= 500:
            raise DeploymentError(f"pool size must be between 1 and 500, got {self.pool_size}")
        if self.cpus is not None:
            available = sorted(os.sched_getaffinity(0))
            unknown = sorted(set(self.cpus) - set(available))
            if not self.cpus or unknown:
                raise DeploymentError(f"--cpus {','.join(map(str, self.cpus))}: CPU(s) {unknown} not "
                                      f"available; this machine offers {available}")
        warnings = []
        if self.threads and self.threads > self.pool_size:
            warnings.append(
                f"{self.threads} threads per worker but a DB pool of {self.pool_size}: under DB load "
                f"{self.threads - self.pool_size} threads per worker will queue for a connection "
                f"(raise LAB_DB_POOL_SIZE or --pool-size to {self.threads} to avoid it).")
        if self.backpressure and self.threads and self.backpressure < self.threads:
            warnings.append(
                f"--backpressure {self.backpressure} below {self.threads} blocking threads: at most "
                f"{self.backpressure} threads per worker ever serve a request at once.")
        return warnings

    def check_capacity(self, max_connections: int, reserved: int, in_use: int) -> None:
        """Refuse a deployment whose pools could ask for more connections than PostgreSQL has."""
        free = max_connections - reserved - in_use - HEADROOM_CONNECTIONS
        if self.max_db_connections > free:
            raise DeploymentError(
                f"{self.workers} workers x {self.pools_per_process} pools x {self.pool_size} connections = "
                f"{self.max_db_connections} could exceed PostgreSQL's capacity: max_connections "
                f"{max_connections}, {reserved} reserved, {in_use} in use, {HEADROOM_CONNECTIONS} kept "
                f"free -> {free} available. Lower --workers or --pool-size.")

    # --- how it runs -------------------------------------------------------------------
    def argv(self, python: str = sys.executable) -> list[str]:
        bind = f"{self.host}:{self.port}" if ":" not in self.host else f"[{self.host}]:{self.port}"
        gunicorn = [python, "-m", "gunicorn", "--config", "python:config.gunicorn_conf",
                    "--workers", str(self.workers), "--bind", bind, *(["--preload"] if self.preload else [])]
        if self.server == "gunicorn":
            limit = ["--worker-connections", str(self.backpressure)] if self.backpressure else []
            limit += ["--backlog", str(self.backlog)] if self.backlog else []
            command = [*gunicorn, "--worker-class", "gthread", "--threads", str(self.threads), *limit,
                       APPS[self.app]["wsgi"]]
        elif self.server == "gunicorn-uvicorn":
            command = [*gunicorn, "--worker-class", "config.uvicorn_worker.LabUvicornWorker",
                       *(["--backlog", str(self.backlog)] if self.backlog else []), APPS[self.app]["asgi"]]
        elif self.server == "granian":
            command = self._granian_argv(python)
        else:  # Django's ASGI handler speaks no lifespan; the other apps open their DB pool there
            command = [python, "-m", "uvicorn", APPS[self.app][self.entry], "--host", self.host,
                       "--port", str(self.port), "--workers", str(self.workers), "--loop", self.loop,
                       "--http", "httptools", "--lifespan", "on" if self.server in NON_DJANGO else "off",
                       "--no-access-log", "--log-level", "warning"]
            if self.backpressure:
                command += ["--limit-concurrency", str(self.backpressure)]
            if self.backlog:
                command += ["--backlog", str(self.backlog)]
        if self.cpus:
            taskset = shutil.which("taskset")
            if not taskset:
                raise DeploymentError("--cpus needs taskset (Debian package util-linux)")
            command = [taskset, "--cpu-list", ",".join(map(str, self.cpus)), *command]
        return command

    def _granian_argv(self, python: str) -> list[str]:
        """Granian with what the other servers do: HTTP/1.1 only, no lifespan (Django does not
        speak it: ``asginl``), uvloop, a failed worker replaced as Gunicorn and Uvicorn do, and a
        worker that does not stop within 10 s of SIGTERM killed, as Gunicorn's ``graceful_timeout``
        does (Granian's default waits forever: a worker still booting when SIGTERM came kept its
        master waiting, and a server outliving a killed runner; tests/test_die_with_runner.py)."""
        command = [python, "-m", "granian", APPS[self.app][self.interface],
                   "--interface", "wsgi" if self.interface == "wsgi" else "asginl",
                   "--host", self.host, "--port", str(self.port), "--workers", str(self.workers),
                   "--http", "1", "--respawn-failed-workers", "--workers-kill-timeout", "10",
                   "--no-access-log", "--log-level", "warning"]
        if self.interface == "wsgi":
            command += ["--blocking-threads", str(self.threads)]
        else:
            command += ["--loop", "uvloop"]
        if self.backpressure:
            command += ["--backpressure", str(self.backpressure)]
        if self.backlog:
            command += ["--backlog", str(self.backlog)]
        return command

    def command_line(self, python: str = sys.executable) -> str:
        return shlex.join(self.argv(python))

    def environment(self) -> dict[str, str]:
        return {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "LAB_DEPLOYMENT": self.label,
            "LAB_APP": self.app,
            "LAB_DB_POOL_SIZE": str(self.pool_size),
            **({"LAB_LIMIT_CONCURRENCY": str(self.backpressure)} if self.backpressure else {}),
            **({GC_FREEZE_ENV: "1"} if self.preload == "freeze" else {}),
            "PYTHONPATH": str(BASE_DIR),
        }
