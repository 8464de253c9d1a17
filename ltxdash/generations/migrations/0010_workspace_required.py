import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("generations", "0009_workspace"),
        ("workspaces", "0002_personal_workspaces"),
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
    ]
