"""Fill ``ExperimentRun.variant_key`` for the rows stored before it existed.

Each row is matched to today's catalogue by its experiment's name and its variant's label
(``bench.suites.catalogue_key``), which is the only time a label identifies a variant. This reads
the live catalogue, not a frozen copy: run it before any label is reworded. A row that matches
nothing (a Locust web UI run, a test's own experiment, a variant since removed) keeps an empty key
and stays readable by its label.
"""
from django.db import migrations


def fill(apps, schema_editor):
    from bench.suites import catalogue_key

    ExperimentRun = apps.get_model("bench", "ExperimentRun")
    pairs = ExperimentRun.objects.filter(variant_key="").values_list("experiment", "variant").distinct()
    for experiment, label in list(pairs):
        key = catalogue_key(experiment, label)
        if key:
            ExperimentRun.objects.filter(variant_key="", experiment=experiment, variant=label).update(variant_key=key)


class Migration(migrations.Migration):

    dependencies = [
        ('bench', '0009_experimentrun_variant_key'),
    ]

    operations = [
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
