"""PostgreSQL alone: ``pgbench`` running ``db/read``'s own query, the ceiling every stack sits under.

``db/read`` is one indexed SELECT by a random primary key on the ``world`` table. Here the
bundled ``pgbench`` sends exactly that query (same table, same key range, same number of
connections as one worker's pool), with no HTTP and no Python in between, so the rate it
reaches is what the database itself can serve on this machine. A stack's ``db/read`` RPS as a
fraction of it says how much of the database's capacity the stack leaves unused.

The step is stored like a Locust step (same result document: endpoint statistics with
Locust's rounded histogram, a time series, failures, the generator's CPU), so the dashboard,
the report and the verdicts read it with the code they already have.
"""
from __future__ import annotations

import os
import re
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

from psycopg.conninfo import make_conninfo

from deploy.process import die_with_parent
from groundwork.database import database_target
from workloads.models import World

ENDPOINT_NAME = "pgbench db/read query"
PERCENTILES = {"p50": 0.50, "p90": 0.90, "p95": 0.95, "p99": 0.99, "p999": 0.999}
# Query protocols, as pgbench names them: "simple" is how Django's ORM sends a query by default
# (client-side binding); "prepared" is what psycopg's own pool does after a few executions.
PROTOCOLS = ("simple", "prepared")
# pgbench stops itself after --time, once every connection is open and its transaction in flight
# has ended; longer than this beyond it, it is stuck (a lock, a hung server) and is killed.
TIMEOUT_MARGIN_S = 30.0


class PgbenchTimeout(Exception):
    """pgbench ran past its time by more than the margin: killed, and what it printed is kept."""

    def __init__(self, timeout_s: float, output: str):
        super().__init__(f"pgbench did not finish within {timeout_s:.0f} s (its --time plus {TIMEOUT_MARGIN_S:.0f} s):"
                         " killed; the step measured nothing reliable")
        self.output = output


@dataclass(frozen=True)
class PgbenchSettings:
    clients: int  # connections, each one query at a time (pgbench -c)
    protocol: str = "simple"
    cpus: tuple[int, ...] | None = None  # where pgbench runs (the load generator's CPUs)

    def __post_init__(self):
        if self.protocol not in PROTOCOLS:
            raise ValueError(f"protocol must be one of {PROTOCOLS}, got {self.protocol!r}")
        if not 1 <= self.clients <= 500:
            raise ValueError(f"clients must be between 1 and 500, got {self.clients}")


def script(rows: int) -> str:
    """db/read's query as a pgbench script (``READ_SQL`` with pgbench's variable syntax)."""
    from workloads.db import READ_SQL

    return f"\\set id random(1, {rows})\n{READ_SQL.replace('%s', ':id')};\n"


def connection_string() -> str:
    """The lab's database as one libpq string for pgbench's database argument, so every parameter
    of ``DATABASE_URL`` (sslmode, ...) applies to pgbench too. The password stays out of the command
    line, which other users can read; ``PGPASSWORD`` carries it (``password_env``)."""
    target = database_target()
    params = {key: value for key, value in target.libpq_params().items() if key != "password"}
    return make_conninfo(dbname=target.dbname, **params)


def password_env() -> dict[str, str]:
    password = database_target().param("password")
    return {**os.environ, "PGPASSWORD": password} if password else dict(os.environ)


def argv(settings: PgbenchSettings, duration_s: float, script_path: Path, log_prefix: Path | None) -> list[str]:
    from deploy.embedded_postgres import bin_dir

    command = [str(bin_dir() / "pgbench"), "--no-vacuum", "--client", str(settings.clients), "--jobs", "1",
               "--time", str(max(1, round(duration_s))), "--protocol", settings.protocol,
               "--file", str(script_path), "--progress", "1"]
    if log_prefix is not None:
        command += ["--log", "--log-prefix", str(log_prefix)]
    command.append(connection_string())
    if settings.cpus:
        command = ["taskset", "--cpu-list", ",".join(map(str, settings.cpus)), *command]
    return command


def run_step(settings: PgbenchSettings, warmup_s: float, duration_s: float) -> dict:
    """A warm-up (discarded), then a measured run; returns the step's result document."""
    rows = _row_count()
    if rows == 0:
        return {"error": "the world table is empty: run `manage.py seed`"}
    with tempfile.TemporaryDirectory(prefix="djlab-pgbench-") as tmp:
        tmpdir = Path(tmp)
        os.chmod(tmpdir, 0o755)
        script_path = tmpdir / "db_read.sql"
        script_path.write_text(script(rows))
        started = time.time()
        try:
            if warmup_s > 0:
                _run(argv(settings, warmup_s, script_path, None), warmup_s + TIMEOUT_MARGIN_S)
            started = time.time()
            output, cpu_percent = _run(argv(settings, duration_s, script_path, tmpdir / "log"),
                                       duration_s + TIMEOUT_MARGIN_S)
        except PgbenchTimeout as exc:  # an invalid step that says why, not a hung suite
            return {**result_document([], exc.output, started, time.time() - started, 0.0), "error": str(exc)}
        measured_s = time.time() - started
        latencies_us = list(_logged_latencies(tmpdir))
    return result_document(latencies_us, output, started, measured_s, cpu_percent)


def _row_count() -> int:
    import psycopg

    with psycopg.connect(database_target().conninfo()) as conn:
        return conn.execute(f"SELECT count(*) FROM {World._meta.db_table}").fetchone()[0]


def _run(command: list[str], timeout_s: float) -> tuple[str, float]:
    """Run pgbench; (its output, its CPU use in % of one core over its run). Its output is read as
    it comes (a full pipe would stall it: a 70-byte progress line a second fills 64 KiB in about 15
    minutes), and past ``timeout_s`` it is killed: ``PgbenchTimeout``."""
    t0 = time.monotonic()
    proc = psutil.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=password_env(),
                        preexec_fn=die_with_parent())
    lines: list[str] = []

    def read() -> None:
        for line in proc.stdout:
            lines.append(line)

    reader = threading.Thread(target=read, name="pgbench-output", daemon=True)
    reader.start()
    cpu = 0.0
    try:
        while proc.poll() is None and time.monotonic() - t0 < timeout_s:  # CPU times while the process exists
            times = proc.cpu_times()
            cpu = times.user + times.system
            time.sleep(0.2)
    except psutil.NoSuchProcess:
        pass
    timed_out = proc.poll() is None
    if timed_out:
        proc.kill()  # taskset exec'd pgbench: this pid is pgbench itself
    proc.wait()
    reader.join(5)
    output = "".join(lines)
    if timed_out:
        raise PgbenchTimeout(timeout_s, output)
    if proc.returncode != 0:
        raise RuntimeError(f"pgbench failed (exit {proc.returncode}):\n{output[-2000:]}")
    return output, 100.0 * cpu / max(time.monotonic() - t0, 1e-6)


def _logged_latencies(tmpdir: Path):
    """Per-transaction log lines: ``client_id transaction_no time_us script_no epoch epoch_us``."""
    for path in tmpdir.glob("log.*"):
        for line in path.read_text().splitlines():
            fields = line.split()
            if len(fields) >= 3:
                yield int(fields[2])


_PROGRESS = re.compile(r"progress: ([\d.]+) s, ([\d.]+) tps, lat ([\d.]+) ms stddev [\d.NaN]+, (\d+) failed")
_FAILED = re.compile(r"number of failed transactions: (\d+)")


def ms_bucket(ms: float) -> int:
    """The histogram bucket Locust files a response time under (two significant digits, in ms),
    so a pgbench histogram reads like a Locust one. Written here, not imported: importing Locust
    monkey-patches the whole process with gevent."""
    for limit, digits in ((100, 0), (1000, -1), (10_000, -2)):
        if ms < limit:
            return int(round(ms, digits))
    return int(round(ms, -3))


def exact_percentile(sorted_us: list[int], fraction: float) -> float | None:
    """In ms, from every latency (pgbench logs each one): nearest rank, no bucketing."""
    if not sorted_us:
        return None
    return sorted_us[min(len(sorted_us) - 1, max(0, int(len(sorted_us) * fraction + 0.999999) - 1))] / 1000


def result_document(latencies_us: list[int], output: str, started: float, measured_s: float,
                    cpu_percent: float) -> dict:
    """The same document ``loadtests/_recorder.py`` writes for a Locust step."""
    histogram: dict[int, int] = {}
    for us in latencies_us:
        bucket = ms_bucket(us / 1000)
        histogram[bucket] = histogram.get(bucket, 0) + 1
    count = len(latencies_us)
    ordered = sorted(latencies_us)
    failed_match = _FAILED.search(output)
    failures = int(failed_match.group(1)) if failed_match else 0
    endpoint = {
        "name": ENDPOINT_NAME, "method": "SQL", "requests": count + failures, "failures": failures,
        "rps": count / measured_s if measured_s else 0.0,
        "avg_ms": sum(latencies_us) / count / 1000 if count else None,
        **{label: exact_percentile(ordered, p) for label, p in PERCENTILES.items()},
        "max_ms": max(latencies_us) / 1000 if count else None,
        "histogram": {str(b): n for b, n in sorted(histogram.items())},
        "server_timing": {},
    }
    timeseries = [{"t": float(m.group(1)), "name": ENDPOINT_NAME, "requests": round(float(m.group(2))),
                   "failures": int(m.group(4)), "p50": None, "p99": None} for m in _PROGRESS.finditer(output)]
    errors = [{"name": ENDPOINT_NAME, "method": "SQL", "error": "failed transaction (see pgbench output)",
               "count": failures}] if failures else []
    return {"started_at": started, "measured_s": measured_s, "endpoints": [endpoint], "errors": errors,
            "timeseries": timeseries,
            "generator": {"cpu_percent_max_process": cpu_percent, "cpu_percent_total": cpu_percent,
                          "processes": 1}}
