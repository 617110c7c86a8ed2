"""The tables the database endpoints touch (TechEmpower's World table, plus a write log)."""
from django.db import models

WORLD_ROWS = 10_000


class World(models.Model):
    """Rows 1..10000, each with a random number in 1..10000 (seeded by ``manage.py seed``)."""

    id = models.IntegerField(primary_key=True)
    randomnumber = models.IntegerField()

    class Meta:
        db_table = "world"


class WriteLog(models.Model):
    """One row per acknowledged ``db/write``: lets tests prove no acknowledged write is lost."""

    world_id = models.IntegerField()
    randomnumber = models.IntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "write_log"
