# Numbered 0010 because another branch adds 0009: when both are merged, point ``dependencies`` at
# that 0009 (this file's only edit). Hand-written, as ``makemigrations`` would write it.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('bench', '0008_sample_pss'),
    ]

    operations = [
        migrations.AddField(
            model_name='serversample',
            name='thread_starts',
            field=models.BigIntegerField(null=True),
        ),
    ]
