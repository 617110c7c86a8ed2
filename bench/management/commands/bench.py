"""``manage.py bench``: run the comparison headless and store every measurement.

    manage.py bench [--suite smoke|quick|full] [--only C3,C4] [--repeat N] [--duration S]
                    [--target URL] [--locust-workers N] [--no-server-samples]
    manage.py bench --list | --export RUN_ID | --import FILE | --report RUN_ID | --delete RUN_ID
                    [--out FILE] [--force]
    manage.py bench --sampler-overhead N | --store-web-run FILE
"""
import json
import os
import sys
from pathlib import Path

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from bench import run_schema, store
from bench.files import refuse_existing, write_new
from groundwork.names import STORED_RUN_SUFFIX
from bench.suites import FULL_REPEATS, SUITES
from bench.models import Run
from bench.runner import core_pair, BenchRunner, RunnerOptions
from bench.runner_process import abort_orphaned_runs
from bench.summary import summary_table


class Command(BaseCommand):
    help = "Run a suite of experiments against real deployments and store the results."

    def add_arguments(self, parser):
        parser.add_argument("--suite", choices=sorted(SUITES), default="quick")
        parser.add_argument("--only", default="", help="claims or experiment names, e.g. C3,C4")
        parser.add_argument("--repeat", type=int, default=None, help=f"repeats (default 1; full: {FULL_REPEATS})")
        parser.add_argument("--duration", type=float, default=None, help="seconds per measured step")
        parser.add_argument("--target", default=None, help="bench a deployment that runs elsewhere (URL)")
        parser.add_argument("--locust-workers", type=int, default=1, help="Locust worker processes (distributed mode)")
        parser.add_argument("--no-server-samples", action="store_true", help="do not sample the server")
        parser.add_argument("--sampler-overhead", type=int, metavar="N", default=None,
                            help="measure the sampler's cost: N alternations of saturated ping, sampling on/off")
        parser.add_argument("--list", action="store_true", help="list stored runs")
        parser.add_argument("--export", metavar="RUN_ID", help="print a run as JSON (or write it to --out)")
        parser.add_argument("--import", dest="import_file", metavar="FILE",
                            help="store a run exported before, marked imported: pages read it when picked (?run=ID)")
        parser.add_argument("--report", metavar="RUN_ID", help="write the run's report: one self-contained HTML file")
        parser.add_argument("--out", metavar="FILE", default=None,
                            help="with --report (default djlab-run-ID.html) or --export: the file to write")
        parser.add_argument("--delete", metavar="RUN_ID", help="delete a run and everything measured in it")
        parser.add_argument("--force", action="store_true",
                            help="let --out replace an existing file; let --delete remove a run still marked running")
        parser.add_argument("--store-web-run", metavar="FILE",
                            help="store a run the Locust web UI recorded (Locust calls this itself)")

    def handle(self, *args, **o):
        if o["list"]:
            return self._list()
        if o["export"]:
            return self._export(o["export"], o["out"], o["force"])
        if o["import_file"]:
            return self._import(o["import_file"])
        if o["report"]:
            return self._report(o["report"], o["out"], o["force"])
        if o["delete"]:
            return self._delete(o["delete"], o["force"])
        if o["store_web_run"]:
            from bench.web_runs import store_web_run_file

            run = store_web_run_file(o["store_web_run"])
            # the run id goes back as data, beside the document (the web UI's caller reads it)
            Path(o["store_web_run"]).with_suffix(STORED_RUN_SUFFIX).write_text(json.dumps({"run_id": run.id}))
            self.stdout.write(f"stored as run #{run.id} (suite webui): /dashboard/runs/{run.id}/")
            return
        if o["sampler_overhead"]:
            from bench.overhead import sampler_overhead

            sampler_overhead(o["sampler_overhead"], out=lambda line: (self.stdout.write(line), self.stdout.flush()))
            return
        experiments = SUITES[o["suite"]]
        if o["only"]:
            wanted = {w.strip().lower() for w in o["only"].split(",") if w.strip()}
            experiments = tuple(e for e in experiments if e.claim.lower() in wanted or e.name.lower() in wanted)
            if not experiments:
                raise CommandError(f"--only {o['only']}: no experiment of suite {o['suite']} matches")
        for name, low, high in (("--repeat", 1, 20), ("--locust-workers", 1, 64)):
            value = o[name[2:].replace("-", "_")]
            if value is not None and not low <= value <= high:
                raise CommandError(f"{name} must be between {low} and {high}")
        if o["duration"] is not None and not 1 <= o["duration"] <= 3600:
            raise CommandError("--duration must be between 1 and 3600 seconds")
        repeat = o["repeat"] or (FULL_REPEATS if o["suite"] == "full" else 1)
        runner = BenchRunner(RunnerOptions(
            suite=o["suite"], experiments=experiments, repeat=repeat, duration_s=o["duration"],
            target=o["target"], locust_workers=o["locust_workers"], server_samples=not o["no_server_samples"]),
            out=lambda line: (self.stdout.write(line), self.stdout.flush()))
        plan = runner.plan()
        self.stdout.write(f"Suite {o['suite']}: {len(plan)} runs of {len(experiments)} experiments, "
                          f"about {sum(runner.estimate_s(plan)) / 60:.1f} min. Server CPUs {runner.server_cpus}, "
                          f"load generator CPUs {runner.generator_cpus}"
                          + (f"; {', '.join(e.name for e in experiments if e.both_cores)}: both on CPUs {core_pair()}"
                             if any(e.both_cores for e in experiments) else "") + ".")
        run = runner.execute()
        self.stdout.write(f"\nRun {run.id} ({run.uid}) {run.get_status_display()}.\n")
        self.stdout.write(summary_table(run))
        self.stdout.write(f"\nExport: manage.py bench --export {run.id}")
        if run.status != Run.COMPLETED:
            sys.exit(3)

    def _report(self, run_id: str, out: str | None, force: bool):
        """The report is a page: ``manage.py report`` (the dashboard's) writes it; this option
        stays for the commands people already type."""
        call_command("report", run_id, out=out, force=force, stdout=self.stdout)

    def _list(self):
        abort_orphaned_runs()  # a run whose runner was killed is not listed as running
        for run in Run.objects.all():
            steps = run.experiments.values_list("steps__valid", flat=True)
            valid = sum(1 for s in steps if s)
            total = sum(1 for s in steps if s is not None)
            duration = (run.finished_at - run.started_at).total_seconds() if run.finished_at else None
            imported = f"\timported from {run.imported_from}" if run.imported else ""
            self.stdout.write(f"{run.id}\t{run.suite}\t{run.get_status_display()}\t{run.started_at:%Y-%m-%d %H:%M:%S}\t"
                              f"valid {valid}/{total} steps\t"
                              f"{'%.0fs' % duration if duration is not None else '-'}\t{run.uid}{imported}")

    def _get(self, run_id: str) -> Run:
        try:
            return Run.objects.get(id=int(run_id)) if run_id.isdigit() else Run.objects.get(uid=run_id)
        except (Run.DoesNotExist, ValueError):
            raise CommandError(f"no run {run_id!r} (see --list)") from None

    def _export(self, run_id: str, out: str | None, force: bool):
        run = self._get(run_id)
        if out is None:
            self.stdout.write(json.dumps(store.export_run(run), indent=1))
            return
        refuse_existing(Path(out), force)
        write_new(Path(out), json.dumps(store.export_run(run), indent=1), force)
        self.stdout.write(f"wrote run {run.id} to {out}")

    def _import(self, path: str):
        """One line saying what is wrong with the file, and exit code 1, whatever is wrong with it."""
        try:
            if os.stat(path).st_size > run_schema.MAX_BYTES:
                raise store.RunImportError(f"larger than {run_schema.MAX_BYTES // 2**20} MiB")
            with open(path, "rb") as f:
                run = store.import_run(f.read(), source=Path(path).name)
        except OSError as exc:
            raise CommandError(f"cannot import {path}: {exc.strerror or exc}") from None
        except store.RunImportError as exc:
            raise CommandError(f"cannot import {path}: {exc}") from None
        self.stdout.write(f"Imported run {run.id} ({run.uid}, suite {run.suite}, {run.status}), marked imported: "
                          f"pages read it only when picked, e.g. /dashboard/claims/?run={run.id}")

    def _delete(self, run_id: str, force: bool):
        abort_orphaned_runs()  # a run whose runner was killed needs no --force
        run = self._get(run_id)
        if run.status == Run.RUNNING and not force:
            raise CommandError(f"run {run.id} is still running (started {run.started_at:%Y-%m-%d %H:%M:%S} UTC): "
                               "stop its runner first, or add --force if nothing runs it any more")
        what = f"run {run.id} ({run.uid}, suite {run.suite}, {run.status}, started {run.started_at:%Y-%m-%d %H:%M:%S})"
        _, counts = run.delete()
        rows = ", ".join(f"{n} {label.split('.')[-1]}" for label, n in sorted(counts.items()) if n)
        self.stdout.write(f"deleted {what}: {rows}")


