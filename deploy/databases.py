"""Whole databases on the configured server (embedded or ``DATABASE_URL``): create, drop, reach.

The test run works in a database of its own, made here and dropped at its end, on whichever
server the lab is configured for; the embedded server makes the lab's own database the same way.
Statements go through the target's maintenance database (``postgres`` on the embedded server,
the URL's own database otherwise), where nothing is read or written.
"""
from __future__ import annotations

import psycopg
from psycopg import sql

from groundwork.database import database_target


class DatabaseUnreachable(RuntimeError):
    """The configured server did not answer; the message says where and why, without a password."""


def admin_connection() -> psycopg.Connection:
    target = database_target()
    try:
        return psycopg.connect(target.conninfo(dbname=target.maintenance_dbname), autocommit=True)
    except psycopg.OperationalError as exc:
        raise DatabaseUnreachable(f"cannot reach PostgreSQL ({target.display()}): {str(exc).strip()}") from None


def ensure_database(name: str) -> bool:
    """Create ``name`` unless it exists. Returns whether it was created."""
    with admin_connection() as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            return False
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return True


def drop_database(name: str) -> None:
    """Drop ``name``, cutting any connection still open to it (PostgreSQL 13+)."""
    with admin_connection() as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def server_version() -> str:
    with admin_connection() as conn:
        return str(conn.execute("SHOW server_version").fetchone()[0])
