"""``manage.py findings [--out docs/findings.md] [--bundle FILE]``: the findings document, generated
from the reference bundle alone (``dashboard.findings``). Imports the bundle's runs first (runs the
store holds already are left as they are), then prints the document or writes it to ``--out``."""
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from results import reference
from bench.files import write_new
from dashboard.findings import render


class Command(BaseCommand):
    help = "Generate docs/findings.md from the reference bundle (its runs are imported first)."

    def add_arguments(self, parser):
        parser.add_argument("--bundle", default=str(reference.REFERENCE_BUNDLE), help="the reference bundle to read")
        parser.add_argument("--out", default=None, help="write the document here (replaced) instead of printing it")

    def handle(self, *args, **o):
        try:
            bundle = reference.read(Path(o["bundle"]))
            reference.import_bundle(bundle, source=Path(o["bundle"]).name)
        except OSError as exc:
            raise CommandError(f"cannot read {o['bundle']}: {exc.strerror or exc}") from None
        except reference.BundleError as exc:
            raise CommandError(f"{o['bundle']}: {exc}") from None
        text = render(bundle, Path(o["bundle"]))
        if o["out"] is None:
            self.stdout.write(text, ending="")
            return
        write_new(Path(o["out"]), text, force=True)
        self.stdout.write(f"wrote {o['out']}")
