"""``manage.py reference``: the reference bundle (``results.reference``), made, grown, imported, shown.

    manage.py reference --make --runs 1,2,3 [--out FILE] [--force]   a new bundle of these runs
    manage.py reference --add RUN_ID [--out FILE]                      one more run (same uid: replaced)
    manage.py reference --import [FILE]                                store its runs (twice: no change)
    manage.py reference [--show] [FILE]                                what it holds

FILE defaults to the repository's bundle, ``reference/runs.json.xz``.
"""
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from results import reference
from bench.files import refuse_existing, write_new
from bench.models import Run


class Command(BaseCommand):
    help = "Make, grow, import or show the reference bundle: runs measured on the maintainers' machine."

    def add_arguments(self, parser):
        what = parser.add_mutually_exclusive_group()
        what.add_argument("--make", action="store_true", help="write a new bundle of --runs")
        what.add_argument("--add", metavar="RUN_ID", help="add a run to the bundle at --out (same uid: replaced)")
        what.add_argument("--import", dest="import_file", nargs="?", const=str(reference.REFERENCE_BUNDLE),
                          metavar="FILE", help="store the bundle's runs the store lacks, marked 'reference machine'")
        what.add_argument("--show", nargs="?", const=str(reference.REFERENCE_BUNDLE), metavar="FILE",
                          help="list the bundle's machine and runs (the default)")
        parser.add_argument("--runs", default="", help="with --make: run ids, e.g. 1,2,3")
        parser.add_argument("--out", default=str(reference.REFERENCE_BUNDLE), help="the bundle to write")
        parser.add_argument("--force", action="store_true", help="let --make replace an existing bundle")

    def handle(self, *args, **o):
        try:
            if o["make"]:
                return self._make(o["runs"], Path(o["out"]), o["force"])
            if o["add"]:
                return self._add(o["add"], Path(o["out"]))
            if o["import_file"]:
                return self._import(Path(o["import_file"]))
            return self._show(Path(o["show"] or reference.REFERENCE_BUNDLE))
        except reference.BundleError as exc:
            raise CommandError(str(exc)) from None

    def _run(self, run_id: str) -> Run:
        try:
            return Run.objects.get(id=int(run_id))
        except (Run.DoesNotExist, ValueError):
            raise CommandError(f"no run {run_id!r} (see manage.py bench --list)") from None

    def _make(self, runs: str, out: Path, force: bool):
        ids = [r.strip() for r in runs.split(",") if r.strip()]
        if not ids:
            raise CommandError("--make needs --runs, e.g. --runs 1,2,3")
        refuse_existing(out, force)
        self._write(reference.make([self._run(r) for r in ids]), out, force)

    def _add(self, run_id: str, out: Path):
        bundle = self._read(out)
        self._write(bundle.with_run(reference.exportable(self._run(run_id))), out, force=True)

    def _write(self, bundle: reference.Bundle, out: Path, force: bool):
        data = reference.pack(bundle)
        out.parent.mkdir(parents=True, exist_ok=True)
        write_new(out, data, force)
        self.stdout.write(f"wrote {out}: {len(bundle.runs)} runs, {len(data) / 1024:.0f} KiB")
        self._list(bundle)

    def _read(self, path: Path) -> reference.Bundle:
        try:
            return reference.read(path)
        except OSError as exc:
            raise CommandError(f"cannot read {path}: {exc.strerror or exc}") from None

    def _import(self, path: Path):
        for done in reference.import_bundle(self._read(path), source=path.name):
            how = "imported as" if done.new else "already in the store as"
            self.stdout.write(f"{done.uid} ({done.run.suite}): {how} run {done.run.id}")

    def _show(self, path: Path):
        self._list(self._read(path))

    def _list(self, bundle: reference.Bundle):
        for k, machine in enumerate(bundle.machines):
            self.stdout.write(f"machine {chr(ord('A') + k)}: {reference.describe_machine(machine)}")
        for run in bundle.runs:
            self.stdout.write(f"{run['uid']}\t{run['suite']}\t{run['status']}\t{run['started_at'][:19]}\t"
                              f"repeats {run['options'].get('repeat', 1)}\tmachine {chr(ord('A') + bundle.machine_of_run(run))}\t"
                              f"{reference.describe_software(run['environment'])}")
