"""The embedded PostgreSQL: a real server from the ``pgserver`` wheel, data in ``.pgdata/``.

A new user needs no PostgreSQL installed. ``start`` is idempotent and safe to call from
several processes at once (pgserver holds an inter-process lock while it initialises and
starts; we hold our own around the one-time configuration). The server outlives the
process that started it, so every worker of every deployment finds the same server.
"""
from __future__ import annotations

import os
import subprocess
import warnings
from dataclasses import dataclass
from pathlib import Path

import psycopg

from config.database import BASE_DIR, EMBEDDED_PGDATA, database_target

# pgserver's locks live in the user runtime dir; without XDG_RUNTIME_DIR platformdirs warns
# on every import. The fallback it picks is fine for us.
warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")

# Room for the largest deployment the experiments use (4 workers x 2 pools x 64) plus
# the runner, the dashboard and psql. Each idle connection costs PostgreSQL a few MB.
MAX_CONNECTIONS = 600


@dataclass(frozen=True)
class ServerStatus:
    running: bool
    pid: int | None
    socket_dir: Path | None
    max_connections: int | None = None


def _pgserver_user() -> str | None:
    # pgserver refuses to run PostgreSQL as root and runs it as user "pgserver" instead.
    return "pgserver" if os.geteuid() == 0 else None


def _lock():
    import fasteners

    return fasteners.InterProcessLock(str(BASE_DIR / ".pgdata.lock"))


def status() -> ServerStatus:
    from pgserver.utils import PostmasterInfo

    if not (EMBEDDED_PGDATA / "postmaster.pid").exists():
        return ServerStatus(False, None, None)
    info = PostmasterInfo.read_from_pgdata(EMBEDDED_PGDATA)
    if info is None or not info.is_running():
        return ServerStatus(False, None, None)
    return ServerStatus(True, info.pid, info.socket_dir, _show_max_connections())


def _admin_connect() -> psycopg.Connection:
    return psycopg.connect(database_target().conninfo(dbname="postgres"), autocommit=True)


def _show_max_connections() -> int | None:
    try:
        with _admin_connect() as conn:
            return int(conn.execute("SHOW max_connections").fetchone()[0])
    except psycopg.Error:
        return None


def start() -> ServerStatus:
    """Initialise (first time), configure and start the server; create the lab database."""
    import pgserver
    from pgserver._commands import pg_ctl

    with _lock():
        pgserver.get_server(EMBEDDED_PGDATA, cleanup_mode=None)
        with _admin_connect() as conn:
            current = int(conn.execute("SHOW max_connections").fetchone()[0])
            if current != MAX_CONNECTIONS:
                conn.execute(f"ALTER SYSTEM SET max_connections = {MAX_CONNECTIONS}")
        if current != MAX_CONNECTIONS:
            # max_connections only changes on restart; pg_ctl reuses the socket options.
            pg_ctl(["-w", "-m", "fast", "restart"], pgdata=EMBEDDED_PGDATA, user=_pgserver_user(),
                   timeout=60)
        _ensure_database(database_target().dbname)
    return status()


def _ensure_database(name: str) -> None:
    with _admin_connect() as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            conn.execute(psycopg.sql.SQL("CREATE DATABASE {}").format(psycopg.sql.Identifier(name)))


def stop() -> bool:
    """Stop the server if it runs. Returns whether it was running."""
    from pgserver._commands import pg_ctl

    if not status().running:
        return False
    with _lock():
        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=EMBEDDED_PGDATA, user=_pgserver_user(),
               timeout=60)
    return True


def restart() -> None:
    """Fast restart, for fault experiments (every open connection is cut)."""
    from pgserver._commands import pg_ctl

    with _lock():
        pg_ctl(["-w", "-m", "fast", "restart"], pgdata=EMBEDDED_PGDATA, user=_pgserver_user(),
               timeout=60)


def url() -> str:
    t = database_target()
    return f"postgresql://{t.user}@/{t.dbname}?host={t.host}"
