"""Counting a deployment's PostgreSQL connections in ``pg_stat_activity``.

Every connection the lab opens carries ``application_name = "djlab <deployment label>"``
(``groundwork.database.application_name``), so one query tells how many connections a
deployment holds, or how many of its queries are still running.
"""
from __future__ import annotations

import time

import psycopg

from groundwork.database import database_target

PG_SLEEP = "SELECT pg_sleep%"  # db/sleep's query, as pg_stat_activity shows it


def count_on(conn: psycopg.Connection, application_name: str, state: str | None = None,
             query_like: str | None = None) -> int:
    sql = "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s"
    args: list = [application_name]
    if state:
        sql += " AND state = %s"
        args.append(state)
    if query_like:
        sql += " AND query LIKE %s"
        args.append(query_like)
    return int(conn.execute(sql, args).fetchone()[0])


def count_connections(application_name: str, state: str | None = None, query_like: str | None = None) -> int | None:
    """The same count on a connection of its own; None when PostgreSQL does not answer."""
    try:
        with psycopg.connect(database_target().conninfo(), autocommit=True) as conn:
            return count_on(conn, application_name, state, query_like)
    except psycopg.Error:
        return None


def connections_after_stop(application_name: str, timeout_s: float = 5.0) -> int | None:
    """What a stopped deployment still holds, once PostgreSQL has had ``timeout_s`` to notice its
    clients are gone: a backend ends only when it sees its socket close, a moment after the process
    that held it died. Anything left then is a leak; read at once, it was a race (seen in CI)."""
    deadline = time.monotonic() + timeout_s
    while True:
        left = count_connections(application_name)
        if not left or time.monotonic() >= deadline:
            return left
        time.sleep(0.1)
