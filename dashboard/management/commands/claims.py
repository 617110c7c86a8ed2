"""``manage.py claims [--run ID]``: the claims page as a Markdown table in the terminal.

The same verdicts as /dashboard/claims/ (newest quick or full run, or the run given), with
where each claim held, the deciding figures as medians with ranges, and provisional marks.
"""
from django.core.management.base import BaseCommand, CommandError

from bench.models import Run
from dashboard.cards import all_verdicts


class Command(BaseCommand):
    help = "Print every claim's verdict as a Markdown table."

    def add_arguments(self, parser):
        parser.add_argument("--run", type=int, default=None, help="read this run instead of the newest quick/full")
        parser.add_argument("--figures", type=int, default=4, help="deciding figures to show per claim")

    def handle(self, *args, **o):
        runs = None
        if o["run"] is not None:
            if not Run.objects.filter(id=o["run"]).exists():
                raise CommandError(f"no run {o['run']}")
            runs = Run.objects.filter(id=o["run"])
        self.stdout.write("| claim | verdict | run | where it holds and where not | key figures (median, range over repeats) |")
        self.stdout.write("|---|---|---|---|---|")
        for v in all_verdicts(runs):
            badge = " (provisional)" if v.provisional else ""
            where = "; ".join(f"{s.name}: {s.outcome} ({s.why})" for s in v.scopes) or v.why
            figures = "; ".join(f"{f.label}: {f.text()}" for f in v.figures[:o["figures"]])
            source = f"#{v.run_id} {v.suite} x{v.repeats}" if v.run_id else "-"
            self.stdout.write(f"| {v.claim} | {v.verdict}{badge} | {source} | {where} | {figures} |")
