"""``manage.py report RUN [--out FILE] [--force]``: one run as one HTML file that opens from disk
with no server (data, styles and Chart.js inside it). ``manage.py bench --report RUN`` calls it."""
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from bench.files import refuse_existing, write_new
from bench.models import Run
from dashboard.report import render_report


class Command(BaseCommand):
    help = "Write one stored run as a self-contained HTML report."

    def add_arguments(self, parser):
        parser.add_argument("run", help="the run's id (manage.py bench --list)")
        parser.add_argument("--out", help="the file to write (default djlab-run-ID.html); never replaced without --force")
        parser.add_argument("--force", action="store_true", help="replace --out if it exists")

    def handle(self, *args, run: str, out: str | None, force: bool, **options):
        try:
            picked = Run.objects.get(id=int(run))
        except (ValueError, Run.DoesNotExist):
            raise CommandError(f"no run {run!r} (see manage.py bench --list)") from None
        path = Path(out or f"djlab-run-{picked.id}.html")
        refuse_existing(path, force)  # before rendering, which takes a while
        write_new(path, render_report(picked), force)
        self.stdout.write(f"wrote {path} ({path.stat().st_size / 1024:,.0f} KiB): open it in a browser, no server needed")
