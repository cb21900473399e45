"""Sibling keys compare as plain bytes: on PostgreSQL give the column the "C" collation,
otherwise a locale collation orders fractional-index keys wrongly. SQLite's default BINARY
collation already compares bytes."""

from django.db import migrations


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            'ALTER TABLE trees_node ALTER COLUMN "key" TYPE varchar(128) COLLATE "C"'
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute('ALTER TABLE trees_node ALTER COLUMN "key" TYPE varchar(128)')


class Migration(migrations.Migration):
    dependencies = [("trees", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
