import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def creators_are_owners(apps, schema_editor):
    # Before this field the quota counted owned trees; existing trees count for their owner.
    Tree = apps.get_model("trees", "Tree")
    Tree.objects.filter(created_by__isnull=True).update(created_by=models.F("owner"))


class Migration(migrations.Migration):
    dependencies = [
        ("trees", "0004_merge_job"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="tree",
            name="created_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.RunPython(creators_are_owners, migrations.RunPython.noop),
    ]
