"""Generation.take_key, filled in for the clips made before it (generations/takes.py)."""

import hashlib
import json

from django.db import migrations, models


def fill_take_keys(apps, schema_editor):
    # The rule of takes.key_for as it was when this migration was written (a migration must
    # not change meaning when the code it once imported does).
    Generation = apps.get_model("generations", "Generation")
    GenerationInput = apps.get_model("generations", "GenerationInput")
    files: dict[int, list[tuple[str, str]]] = {}
    for generation_id, role, sha256 in GenerationInput.objects.values_list(
        "generation_id", "role", "sha256"
    ).iterator(chunk_size=2000):
        files.setdefault(generation_id, []).append((role, sha256 or ""))
    batch = []
    rows = Generation.objects.only("id", "endpoint", "prompt", "parent_id")
    for generation in rows.iterator(chunk_size=2000):
        data = json.dumps(
            [
                generation.endpoint,
                generation.prompt,
                generation.parent_id,
                sorted(files.get(generation.id, [])),
            ],
            ensure_ascii=False,
        )
        generation.take_key = hashlib.sha256(data.encode()).hexdigest()
        batch.append(generation)
        if len(batch) >= 1000:
            Generation.objects.bulk_update(batch, ["take_key"])
            batch = []
    Generation.objects.bulk_update(batch, ["take_key"])


class Migration(migrations.Migration):
    dependencies = [
        ("generations", "0006_titles"),
    ]

    operations = [
        migrations.AddField(
            model_name="generation",
            name="take_key",
            field=models.CharField(blank=True, db_index=True, editable=False, max_length=64),
        ),
        migrations.RunPython(fill_take_keys, migrations.RunPython.noop, elidable=True),
    ]
