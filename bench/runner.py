"""The bench runner: for each experiment and variant, start the deployment (pinned away from
the load generator), wait for health, prime it, then run each measured step as one headless
Locust process whose warm-up is discarded; sample the server meanwhile; store everything.

A step is one Locust process (``loadtests/_recorder.py`` writes its results), so a crash or
Ctrl-C loses at most the step in flight: every finished step is already in the store. An
experiment that fails (its server crashed, Locust wrote nothing, pgbench failed) is recorded
failed with its reason and the suite goes on, on a fresh server; the run then ends "partial".
"""
from __future__ import annotations

import contextlib
import functools
import json
import math
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable

import requests
from django.utils import timezone

from bench import environment, faults, pgbench, step_quality, store
from bench import observations as O
from bench.validity import judge
from bench.pg_activity import connections_after_stop, count_connections
from bench.evidence import read_run
from bench.experiments import Experiment, Load, Variant
from bench.in_flight import OutOfScope
from bench.models import ExperimentRun, Run
from bench.progress import Progress
from bench.runner_process import RunnerProcess, abort_orphaned_runs
from bench.sampler import ServerSampler
from groundwork.database import BASE_DIR, database_target
from deploy.limits import raise_open_files
from deploy.upstream_stub import UpstreamStubProcess
from groundwork.names import UPSTREAM_URL_ENV
from config.thread_starts import ENV as THREAD_STARTS_ENV
from deploy.process import (STOP_SIGNALS, RunningDeployment, check_deployment, die_with_parent, free_port,
                            prepare_database, stop_on_signals)

LOCUST_START_S = 1.2  # process start + spawn + stop timeout, for the ETA (measured: about 1 s)
SERVER_START_S = 2.5


class DeploymentCrashed(RuntimeError):
    pass


@dataclass
class RunnerOptions:
    suite: str
    experiments: tuple[Experiment, ...]
    repeat: int = 1
    duration_s: float | None = None
    target: str | None = None
    locust_workers: int = 1
    server_samples: bool = True
    whoami_samples: int = 200


def cpu_split() -> tuple[tuple[int, ...] | None, tuple[int, ...] | None]:
    """(server CPUs, generator CPUs): server on the first CPU, generator on the rest, when
    the machine has two or more; otherwise nothing is pinned."""
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2:
        return None, None
    return (cpus[0],), tuple(cpus[1:])


def core_pair() -> tuple[int, ...] | None:
    """The first two CPUs this process may use, for an experiment about cores (server and generator
    both on them); None on a machine with one."""
    cpus = sorted(os.sched_getaffinity(0))
    return tuple(cpus[:2]) if len(cpus) >= 2 else None


class BenchRunner:
    def __init__(self, options: RunnerOptions, out: Callable[[str], None] = print):
        self.options = options
        self.out = out
        self.server_cpus, self.generator_cpus = cpu_split()
        self.workdir: Path | None = None  # server and Locust logs, step results: made by execute, removed after
        self.run: Run | None = None
        self._running: RunningDeployment | None = None  # the deployment serving now, if any
        self._locust: subprocess.Popen | None = None
        self._served_by_current: list[ExperimentRun] = []  # records of the deployment now running
        self._stub: UpstreamStubProcess | None = None  # the upstream stub, once a variant needed it

    @property
    def thread_starts_dir(self) -> str:
        """Where counting servers write their thread starts (config.thread_starts) for the sampler."""
        return str(self.workdir / "thread-starts")

    # --- planning ------------------------------------------------------------------------
    def step_seconds(self, experiment: Experiment) -> float:
        return self.options.duration_s or experiment.step_s

    def plan(self) -> list[tuple[Experiment, int, Variant]]:
        plan = []
        for experiment in self.options.experiments:
            variants = experiment.variants
            if self.options.target and experiment.generator != "locust":
                continue  # pgbench measures this machine's database, not the server elsewhere
            if self.options.target:  # one server, elsewhere: only the knobs can vary
                unique = {json.dumps(v.knobs, sort_keys=True): v for v in variants}
                variants = tuple(unique.values())
            for repeat in range(self.options.repeat):
                plan.extend((experiment, repeat, v) for v in variants)
        return plan

    def loads(self, experiment: Experiment, variant: Variant) -> tuple[Load, ...]:
        return experiment.loads(variant, generators=max(1, self.options.locust_workers))

    def estimate_s(self, plan) -> list[float]:
        estimates, previous = [], None
        for experiment, _repeat, variant in plan:
            steps = len(self.loads(experiment, variant)) * (experiment.warmup_s + self.step_seconds(experiment)
                                                           + LOCUST_START_S)
            reused = variant.deployment == previous and not variant.fresh_server
            start = 0.0 if (self.options.target or reused) else SERVER_START_S
            start += 1.5 * len(variant.coroutine_counts)
            observe = 3.0 * len(experiment.observe_whoami)
            estimates.append(steps + start + observe + 0.5)
            previous = variant.deployment
        return estimates

    # --- the run ---------------------------------------------------------------------------
    def execute(self) -> Run:
        raise_open_files()  # Locust and the servers inherit it: one descriptor per connection held
        prepare_database()
        for orphan in abort_orphaned_runs():
            self.out(f"Run {orphan.id} was left running by a runner that is gone: marked aborted.")
        plan = self.plan()
        estimates = self.estimate_s(plan)
        self.run = Run.objects.create(
            suite=self.options.suite, started_at=timezone.now(), runner=RunnerProcess.this().as_dict(),
            options={"suite": self.options.suite, "only": [e.name for e in self.options.experiments],
                     "repeat": self.options.repeat, "duration_s": self.options.duration_s,
                     "target": self.options.target, "locust_workers": self.options.locust_workers,
                     "server_samples": self.options.server_samples},
            environment=environment.capture(self.server_cpus, self.generator_cpus, self.options.locust_workers))
        if self.options.target:
            self.out(f"Benching {self.options.target}: the server runs elsewhere, so server-side samples "
                     "(CPU, memory, context switches, DB connections, loop lag) are missing from this run.")
        if not self.options.server_samples:
            self.out("Server sampling is off (--no-server-samples).")
        progress = Progress(estimates, self.out)
        stop_on_signals()
        failed: list[str] = []
        keep_logs = False  # when something failed: its logs whole, beside the stored error's last lines
        self.workdir = Path(tempfile.mkdtemp(prefix="djlab-bench-"))
        try:
            for i, (experiment, repeat, variant) in enumerate(plan):
                name = f"{experiment.name} / {variant.label}" + (f" / repeat {repeat + 1}"
                                                                  if self.options.repeat > 1 else "")
                progress.begin(i, name)
                try:
                    self._run_planned(experiment, repeat, variant)
                except Exception as exc:  # not KeyboardInterrupt: Ctrl-C, SIGTERM and SIGHUP stop the run
                    failed.append(f"{name}: {type(exc).__name__}: {exc}".splitlines()[0])
                    self._record_failure(experiment, repeat, variant, exc)
                progress.end(i)
            if failed:
                keep_logs = True
                store.finish_run(self.run, Run.PARTIAL, f"{len(failed)} of {len(plan)} failed:\n" + "\n".join(failed)
                                 + f"\nserver and Locust logs kept in {self.workdir}")
                self.out(f"\n{len(failed)} of {len(plan)} experiment runs failed; the run is marked "
                         f"{self.run.get_status_display()}. Their logs are kept in {self.workdir}")
            else:
                store.finish_run(self.run, Run.COMPLETED)
        except KeyboardInterrupt:
            store.finish_run(self.run, Run.ABORTED, "interrupted (Ctrl-C, SIGTERM or SIGHUP); finished steps are kept")
            self.out("\nInterrupted: the run is marked aborted; every finished step is kept.")
        except Exception as exc:
            keep_logs = True
            store.finish_run(self.run, Run.ABORTED, f"runner error: {type(exc).__name__}: {exc}\n"
                                                    f"server and Locust logs kept in {self.workdir}")
            raise
        finally:
            signals = (signal.SIGINT, *STOP_SIGNALS)
            previous = [signal.signal(sig, signal.SIG_IGN) for sig in signals]
            try:  # a second Ctrl-C must not leave a server or Locust behind
                self._kill_locust()
                self._stop_current()
                if self._stub is not None:
                    self._stub.stop()
                progress.close()
            finally:
                for sig, handler in zip(signals, previous):
                    signal.signal(sig, handler)
                if not keep_logs:
                    shutil.rmtree(self.workdir, ignore_errors=True)
        return self.run

    def _run_planned(self, experiment: Experiment, repeat: int, planned: Variant) -> None:
        """One entry of the plan: its deployment (reused or started), then its steps. Recorded as the
        planned variant (its label and key): what ``resolve`` decided (a curve's best deployment) is
        part of the run, not another variant."""
        try:
            experiment, variant, decided = experiment.resolve(self.run, planned, read_run)
        except OutOfScope as exc:  # declared before it runs: not missing data, not a failure
            self._record_not_run(experiment, repeat, planned, str(exc), ExperimentRun.OUT_OF_SCOPE)
            return
        except LookupError as exc:  # a curve whose sweep measured nothing: say so, go on
            self._record_not_run(experiment, repeat, planned, f"not run: {exc}")
            return
        if experiment.both_cores and core_pair() is None:
            self._record_not_run(experiment, repeat, planned, "out of scope: the machine has one CPU and the "
                                 "experiment compares one core with two", ExperimentRun.OUT_OF_SCOPE)
            return
        running = self._ensure_deployment(variant, experiment)
        self._run_variant(experiment, repeat, variant, planned.key, running, decided)

    def _cpus(self, experiment: Experiment) -> tuple[tuple[int, ...] | None, tuple[int, ...] | None]:
        """(the server's CPUs, the load generator's) for ``experiment``."""
        if experiment.both_cores:
            return core_pair(), core_pair()
        return self.server_cpus, self.generator_cpus

    def _record_failure(self, experiment: Experiment, repeat: int, variant: Variant, exc: Exception) -> None:
        """The failed entry is recorded (by ``_recorded`` if its record existed, else here) and its
        server stopped, whatever state the failure left it in: the next entry gets a fresh one."""
        why = str(exc) if isinstance(exc, DeploymentCrashed) else f"{type(exc).__name__}: {exc}"
        if not ExperimentRun.objects.filter(run=self.run, experiment=experiment.name, variant_key=variant.key,
                                            repeat=repeat).exists():
            self._record_not_run(experiment, repeat, variant, f"failed before its first step: {why}")
        self.out(f"\n  {experiment.name} / {variant.label} FAILED: {why.splitlines()[0]}")
        self._stop_current()

    def _ensure_deployment(self, variant: Variant, experiment: Experiment) -> RunningDeployment | None:
        """Reuse the running server when the next variant wants the same deployment, unless
        it must have a process of its own (``fresh_server``: its memory figures are decided)."""
        if self.options.target:
            return None
        if variant.deployment is None:  # the database alone: no server of ours may compete for CPU
            self._stop_current()
            return None
        wanted = replace(variant.deployment, cpus=self._cpus(experiment)[0] if variant.deployment.cpus else None)
        extra = dict(variant.env)
        if variant.upstream:  # started once, on the generator's cores, before the first server that calls it
            if self._stub is None or not self._stub.alive():
                self._stub = UpstreamStubProcess.start(self.generator_cpus, self.workdir / "upstream-stub.log")
                self._stub.watch_cpu()
            extra[UPSTREAM_URL_ENV] = self._stub.url
        if wanted.interface == "asgi":
            extra["LAB_LOOP_LAG_DIR"] = str(self.workdir / "loop-lag")
        if variant.count_thread_starts:
            extra[THREAD_STARTS_ENV] = self.thread_starts_dir
        running = self._running
        if running is not None:
            if (replace(running.deployment, port=0), running.extra_env) == (wanted, extra) \
                    and running.process.poll() is None and not variant.fresh_server:
                return running
            self._stop_current()
        deployment = replace(wanted, port=free_port())
        check_deployment(deployment)
        log = self.workdir / f"{deployment.label.replace(':', '_')}.log"
        self._running = RunningDeployment.start(deployment, log_path=log, extra_env=extra)
        self._served_by_current = []
        self._running.wait_healthy(60)
        return self._running

    def _stop_current(self) -> None:
        """Stop the deployment serving now, if any, then check that its PostgreSQL connections
        went with it (leak check)."""
        running, self._running = self._running, None
        if running is None:
            return
        running.stop()
        left = connections_after_stop(running.deployment.application_name)
        for record in self._served_by_current:
            record.observations = {**record.observations, O.DB_CONNECTIONS_AFTER_STOP: left}
            record.save(update_fields=["observations"])
        self._served_by_current = []

    def _record_not_run(self, experiment: Experiment, repeat: int, variant: Variant, why: str,
                        status: str = ExperimentRun.FAILED) -> None:
        now = timezone.now()
        ExperimentRun.objects.create(run=self.run, claim=experiment.claim, experiment=experiment.name,
                                     variant=variant.label, variant_key=variant.key, repeat=repeat, target="",
                                     scenario=experiment.scenario,
                                     params=self._knobs(variant), status=status, error=why, started_at=now,
                                     finished_at=now)
        self.out(f"\n  {experiment.name} / {variant.label}: {why}")

    def _run_variant(self, experiment: Experiment, repeat: int, variant: Variant, key: str,
                     running: RunningDeployment | None, decided: dict | None = None) -> None:
        """``key``: the planned variant's (``_run_planned``), which ``variant`` may have been resolved from."""
        if experiment.generator == "pgbench":
            return self._run_pgbench(experiment, repeat, variant, key)
        url = running.url if running else self.options.target.rstrip("/")
        record = ExperimentRun.objects.create(
            run=self.run, claim=experiment.claim, experiment=experiment.name, variant=variant.label,
            variant_key=key, repeat=repeat,
            deployment=running.deployment.as_dict() if running else None,
            command_line=running.deployment.command_line() if running else "",
            target=url, scenario=f"loadtests/{experiment.scenario}", params=self._knobs(variant),
            observations={O.CONFIGURATION: decided} if decided else {}, started_at=timezone.now())
        if running:
            self._served_by_current.append(record)
        sampler = None
        if running and self.options.server_samples:
            sampler = ServerSampler(running.process.pid, running.deployment.application_name,
                                    str(self.workdir / "loop-lag"),
                                    thread_starts_dir=self.thread_starts_dir if variant.count_thread_starts else None
                                    ).start()
        with self._recorded(record, sampler), cpu_neighbour(self.server_cpus if variant.neighbour else None):
            prime(url)
            for index, load in enumerate(self.loads(experiment, variant)):
                during = None
                if experiment.fault and running:
                    action = functools.partial(experiment.fault.inject, faults.FaultContext(running, url, self._stub))
                    during = (experiment.fault.at_s, action)
                several = running is not None and running.deployment.workers > 1  # did connections spread over them?
                cpu_before = running.worker_cpu_seconds() if several else {}
                result, observed = self._measure(experiment, variant, load, url, during)
                if several:
                    after = running.worker_cpu_seconds()
                    result["worker_cpu_s"] = {str(pid): round(after[pid] - cpu_before.get(pid, 0.0), 3)
                                              for pid in after}
                if variant.upstream and self._stub and "started_at" in result:  # it must never be the limit
                    result["upstream_stub_cpu_pct"] = self._stub.cpu_percent_between(
                        result["started_at"], result["started_at"] + result["measured_s"])
                if observed is not None:
                    store.reset_connection()
                    record.observations = {**record.observations, O.FAULT: faults.summarise(result, observed)}
                if sampler and "started_at" in result:
                    sampler.label_window(index, result["started_at"], result["started_at"] + result["measured_s"])
                    if running.deployment.cpus:  # what others took of the server's core in the window
                        result["server_core"] = step_quality.server_core_load(result, tuple(running.deployment.cpus),
                                                                              sampler.window_cpu(index))
                if running and running.process.poll() is not None:
                    raise DeploymentCrashed(f"{running.deployment.label} exited with code "
                                            f"{running.process.returncode}\n{running.log_tail()}")
                judged = judge(result, failures_intended=experiment.fault is not None or experiment.failures_intended,
                               server_pinned=not self.options.target and variant.deployment is not None
                               and variant.deployment.cpus is not None and not experiment.both_cores,
                               measures_generator=experiment.measures_generator,
                               server_core_exclusive=experiment.server_core_exclusive and not variant.neighbour)
                store.save_step(record, index, load.users, load.rate, result, judged)
                if not judged.valid:
                    level = f"{load.rate:g} requests/s offered" if load.open_loop else f"{load.users} users"
                    self.out(f"\n  step {index} ({level}) of {experiment.name} / {variant.label} is INVALID: "
                             f"{judged.reason}")
            if experiment.observe_whoami:
                record.observations = {prefix: observe_whoami(url, prefix, self.options.whoami_samples)
                                       for prefix in experiment.observe_whoami}
                if running:
                    record.observations[O.WORKER_PIDS] = running.worker_pids()
            if variant.coroutine_counts:
                record.observations = {**record.observations,
                                       O.COROUTINES: observe_coroutines(url, variant.coroutine_counts)}
            if running:
                record.observations = {**record.observations, O.DB_CONNECTIONS_AT_END:
                                       count_connections(running.deployment.application_name)}

    @staticmethod
    @contextlib.contextmanager
    def _recorded(record: ExperimentRun, sampler: ServerSampler | None):
        """Whatever happens inside, the record says how it ended and keeps the server's samples."""
        try:
            yield
            record.status = ExperimentRun.COMPLETED
        except KeyboardInterrupt:
            record.status, record.error = ExperimentRun.ABORTED, "interrupted"
            raise
        except DeploymentCrashed as exc:
            record.status, record.error = ExperimentRun.FAILED, str(exc)
            raise
        except Exception as exc:
            record.status, record.error = ExperimentRun.FAILED, f"{type(exc).__name__}: {exc}"
            raise
        finally:
            if sampler:
                store.save_samples(record, sampler.stop())
            record.finished_at = timezone.now()
            record.save()

    def _run_pgbench(self, experiment: Experiment, repeat: int, variant: Variant, key: str) -> None:
        """The database alone, pinned as a server is: PostgreSQL on the server CPU, pgbench where the
        load generator runs. (In the stacks' steps PostgreSQL is not pinned: it shares the machine with
        the server and Locust.) The postmaster's process tree is sampled as a server's would be."""
        from deploy.embedded_postgres import pinned_to, status

        # DATABASE_URL's server may be on another machine: measured as it is, neither pinned nor sampled.
        embedded = database_target().embedded

        def settings_of(connections: int) -> pgbench.PgbenchSettings:
            return pgbench.PgbenchSettings(clients=connections, protocol=variant.knobs.get("protocol", "simple"),
                                           cpus=self.generator_cpus)

        record = ExperimentRun.objects.create(
            run=self.run, claim=experiment.claim, experiment=experiment.name, variant=variant.label,
            variant_key=key, repeat=repeat, deployment=None, target="postgresql (embedded)" if embedded else "postgresql (DATABASE_URL)",
            command_line=" ".join(pgbench.argv(settings_of(experiment.levels(variant)[0]), self.step_seconds(experiment),
                                               Path("db_read.sql"), Path("log"))),
            scenario="bench/pgbench.py", params=dict(variant.knobs), started_at=timezone.now())
        postmaster = status().pid if embedded else None
        sampler = (ServerSampler(postmaster, "pgbench", str(self.workdir / "loop-lag")).start()
                   if postmaster and self.options.server_samples else None)
        with self._recorded(record, sampler):
            for index, connections in enumerate(experiment.levels(variant)):
                with pinned_to(self.server_cpus if embedded else None) as pinned:
                    result = pgbench.run_step(settings_of(connections), experiment.warmup_s,
                                              self.step_seconds(experiment))
                record.observations = {**record.observations, O.POSTGRES_CPUS: list(self.server_cpus)
                                       if pinned else None}
                if sampler and "started_at" in result:
                    sampler.label_window(index, result["started_at"], result["started_at"] + result["measured_s"])
                judged = judge(result)
                store.save_step(record, index, connections, 0.0, result, judged)

    def _knobs(self, variant: Variant) -> dict:
        return {"prefix": "/api", **variant.knobs}

    def _run_locust(self, experiment: Experiment, variant: Variant, load: Load, url: str,
                    during: tuple[float, Callable[[], dict]] | None = None,
                    step_s: float | None = None) -> tuple[dict, dict | None]:
        """One measured step (``step_s`` long, the experiment's by default). ``during`` = (seconds into
        the measured window, action): the action runs then, while Locust keeps the load; what it
        observed is returned too."""
        out = self.workdir / f"step-{time.monotonic_ns()}.json"
        duration = experiment.warmup_s + (step_s or self.step_seconds(experiment))
        total = load.users + (1 if experiment.probe else 0)  # the probe user comes on top
        argv = [sys.executable, "-m", "locust", "-f", f"loadtests/{experiment.scenario}", "--headless",
                "-u", str(total), "-r", str(total), "-t", f"{math.ceil(duration)}s", "--host", url,
                "--only-summary", "--stop-timeout", "1", "--loglevel", "WARNING",
                "--lab-out", str(out), "--lab-warmup", str(experiment.warmup_s)]
        for key, value in self._knobs(variant).items():
            argv += [f"--{key.replace('_', '-')}", str(value)]
        if load.open_loop:
            argv += ["--lab-rate", str(load.rate), "--lab-arrivals", experiment.arrivals]
            if experiment.rate_change:  # the schedule starts with the warm-up; the change is given from measuring
                at_s, factor = experiment.rate_change
                argv += ["--lab-rate-change", f"{experiment.warmup_s + at_s:g}:{factor:g}"]
        elif load.rate:
            argv += ["--arrival-rate", str(load.rate)]
        if self.options.locust_workers > 1:
            argv += locust_processes(self.options.locust_workers)
        generator_cpus = self._cpus(experiment)[1]
        if generator_cpus:
            argv = ["taskset", "--cpu-list", ",".join(map(str, generator_cpus)), *argv]
        log_path = self.workdir / "locust.log"
        with open(log_path, "ab") as log:
            self._locust = subprocess.Popen(argv, cwd=BASE_DIR, stdout=log, stderr=subprocess.STDOUT,
                                            stdin=subprocess.DEVNULL, start_new_session=True,
                                            preexec_fn=die_with_parent())
        observed = None
        try:
            if during is not None:
                observed = self._inject(out, *during)
            self._locust.wait(duration + 60)
        except subprocess.TimeoutExpired:
            self._kill_locust()
        finally:
            self._locust = None
        if not out.exists():
            tail = "\n".join(log_path.read_text(errors="replace").splitlines()[-20:])
            raise RuntimeError(f"Locust wrote no result for {experiment.name} / {variant.label}:\n{tail}")
        return json.loads(out.read_text()), observed

    def _measure(self, experiment: Experiment, variant: Variant, load: Load, url: str,
                 during: tuple[float, Callable[[], dict]] | None) -> tuple[dict, dict | None]:
        """One step, measured again twice as long (up to its experiment's ``lengthen_cap`` x) while its throughput's own
        95 % interval is as wide as the effect its experiment's rule must resolve; the result says how
        long it finally ran and whether it is still imprecise. A fault happens once: never repeated."""
        planned = self.step_seconds(experiment)
        step_s = planned
        result, observed = self._run_locust(experiment, variant, load, url, during, step_s)
        if not experiment.resolve_pct or during is not None or "error" in result:
            return result, observed
        while True:
            ci = step_quality.assess(result, experiment.key_endpoint or None).rps_ci_pct
            precise = ci is not None and ci < experiment.resolve_pct
            if precise or step_s >= experiment.lengthen_cap * planned:
                break
            step_s = min(2 * step_s, experiment.lengthen_cap * planned)
            self.out(f"\n  {experiment.name} / {variant.label}: throughput interval "
                     f"{'unknown' if ci is None else f'±{ci:.1f} %'} (must be under ±{experiment.resolve_pct:g} %): "
                     f"measuring again for {step_s:g} s")
            result, observed = self._run_locust(experiment, variant, load, url, during, step_s)
            if "error" in result:
                return result, observed
        result["precision"] = {"resolve_pct": experiment.resolve_pct, "planned_s": planned, "measured_for_s": step_s,
                               "imprecise": not precise}
        return result, observed

    def _inject(self, out: Path, at_s: float, action: Callable[[], dict]) -> dict:
        marker = Path(f"{out}.measuring")
        deadline = time.monotonic() + 60
        while not marker.exists() and self._locust.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(at_s)
        try:
            return action()
        except Exception as exc:  # the fault experiment itself failed: say so, keep the step
            return {"fault_wall": time.time(), "action_error": f"{type(exc).__name__}: {exc}"}

    def _kill_locust(self) -> None:
        if self._locust is not None and self._locust.poll() is None:
            try:
                os.killpg(self._locust.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self._locust.wait(5)


@contextlib.contextmanager
def cpu_neighbour(cpus: tuple[int, ...] | None):
    """A process that spins on ``cpus`` (the server's) while the block runs: the neighbour a shared
    host has. Nothing when ``cpus`` is None. It dies with the runner however the runner dies."""
    if not cpus:
        yield None
        return
    argv = ["taskset", "--cpu-list", ",".join(map(str, cpus)), sys.executable, "-c", "while True: pass"]
    neighbour = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                 preexec_fn=die_with_parent(signal.SIGKILL))
    try:
        yield neighbour
    finally:
        neighbour.kill()
        neighbour.wait(5)


def locust_processes(count: int) -> list[str]:
    """Locust's arguments for ``count`` worker processes, with the master on loopback at a port
    free now: no host of the network can join as a worker and add its numbers to a step, and two
    runs at once do not collide on Locust's fixed default port (5557)."""
    port = str(free_port())
    return ["--processes", str(count), "--master-bind-host", "127.0.0.1", "--master-bind-port", port,
            "--master-port", port]


def prime(url: str) -> None:
    """Touch every worker's code paths and DB pool once before anything is measured."""
    ok = 0
    for path in ["/api/ping"] * 20 + ["/api/db/read"] * 5:
        try:
            ok += requests.get(url + path, headers={"Connection": "close"}, timeout=10).status_code == 200
        except requests.RequestException:
            pass
    if not ok:
        raise RuntimeError(f"primer: {url} answered no request")


def observe_coroutines(url: str, counts: tuple[int, ...], ms: int = 300) -> list[dict]:
    """io/gather with each n, one at a time: the server's USS before and while n coroutines
    are suspended in one request. A failed call is recorded with its error, not skipped."""
    found = []
    for n in counts:
        try:
            r = requests.get(f"{url}/api/io/gather", params={"n": n, "ms": ms}, timeout=60)
            body = r.json()
            found.append({"n": n, "uss_before": body["uss_before"], "uss_during": body["uss_during"]}
                         if r.status_code == 200 else {"n": n, "error": f"HTTP {r.status_code}: {body}"})
        except (requests.RequestException, ValueError, KeyError) as exc:
            found.append({"n": n, "error": f"{type(exc).__name__}: {exc}"})
    return found


def observe_whoami(url: str, prefix: str, samples: int) -> dict:
    """Sample whoami over fresh connections (any worker may answer) and count the contexts."""
    def one(_):
        try:
            r = requests.get(f"{url}{prefix}/whoami", headers={"Connection": "close"}, timeout=10)
            return r.json() if r.status_code == 200 else None
        except requests.RequestException:
            return None

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(one, range(samples)))
    contexts: dict[str, dict] = {}
    for a in filter(None, answers):
        loop = a["event_loop"]
        key = json.dumps([a["pid"], loop and loop["id"], a["is_main_thread"], a["view"]])
        entry = contexts.setdefault(key, {"pid": a["pid"], "loop_id": loop and loop["id"],
                                          "loop_class": loop and loop["class"], "is_main_thread": a["is_main_thread"],
                                          "view": a["view"], "interface": a["interface"], "thread_names": [],
                                          "switch_interval_s": a.get("switch_interval_s"), "count": 0})
        entry["count"] += 1
        if a["thread_name"] not in entry["thread_names"] and len(entry["thread_names"]) < 5:
            entry["thread_names"].append(a["thread_name"])
    return {"samples": samples, "answered": sum(1 for a in answers if a), "contexts": list(contexts.values())}
