from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('bench', '0008_sample_pss'),
    ]

    operations = [
        migrations.AddField(
            model_name='experimentrun',
            name='variant_key',
            field=models.CharField(blank=True, db_index=True, default='', max_length=64),
        ),
    ]
