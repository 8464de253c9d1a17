import importlib

import django.db.models.deletion
from django.db import migrations, models


def restore_search_triggers(apps, schema_editor):
    """Making the column required rebuilds generations_generation on SQLite, which drops the
    search index's triggers with it (see gallery/0004_search): create them again, and rebuild
    the index from the rows to be sure it agrees with them."""
    if schema_editor.connection.vendor != "sqlite":
        return
    search = importlib.import_module("ltxdash.gallery.migrations.0004_search")
    for sql in search._sqlite_forwards():
        if sql.startswith("CREATE TRIGGER") or "'rebuild'" in sql:
            schema_editor.execute(sql, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("generations", "0009_workspace"),
        ("workspaces", "0002_personal_workspaces"),
        ("gallery", "0004_search"),
    ]

    operations = [
        migrations.AlterField(
            model_name="generation",
            name="workspace",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="generations",
                to="workspaces.workspace",
            ),
        ),
        migrations.RunPython(restore_search_triggers, migrations.RunPython.noop),
    ]
