"""``manage.py seed``: fill the World table (idempotent: existing rows are left alone)."""
from django.core.management.base import BaseCommand
from django.db import connection

from workloads.models import WORLD_ROWS, World


class Command(BaseCommand):
    help = f"Insert World rows 1..{WORLD_ROWS} with random numbers; existing rows are kept."

    def handle(self, *args, **options):
        with connection.cursor() as cur:
            cur.execute(
                f"INSERT INTO {World._meta.db_table} (id, randomnumber) "
                "SELECT i, 1 + floor(random() * %s)::int FROM generate_series(1, %s) AS i "
                "ON CONFLICT (id) DO NOTHING",
                [WORLD_ROWS, WORLD_ROWS],
            )
            inserted = cur.rowcount
        if options["verbosity"] > 0:
            self.stdout.write(f"World: {World.objects.count()} rows ({inserted} inserted).")
