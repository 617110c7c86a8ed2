# Hand-written, as ``makemigrations`` would write it.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('bench', '0010_fill_variant_key'),
    ]

    operations = [
        migrations.AddField(
            model_name='serversample',
            name='thread_starts',
            field=models.BigIntegerField(null=True),
        ),
    ]
