"""Every user gets a workspace of their own holding their clips (and so their share links and
favourites, which hang off the clips): nothing moves, nothing is lost, no link changes."""

from django.db import migrations
from django.utils import timezone
from django.utils.text import slugify


def personal_workspaces(apps, schema_editor):
    User = apps.get_model("auth", "User")
    Workspace = apps.get_model("workspaces", "Workspace")
    Membership = apps.get_model("workspaces", "Membership")
    Generation = apps.get_model("generations", "Generation")
    taken = set(Workspace.objects.values_list("slug", flat=True))
    now = timezone.now()
    for user in User.objects.order_by("id").iterator():
        if Membership.objects.filter(user=user).exists():
            continue
        base = slugify(user.username)[:60] or "workspace"
        slug, n = base, 1
        while slug in taken:
            n += 1
            slug = f"{base}-{n}"
        taken.add(slug)
        workspace = Workspace.objects.create(name=f"{user.username}'s workspace"[:80], slug=slug)
        Membership.objects.create(workspace=workspace, user=user, role="admin", chosen_at=now)
        Generation.objects.filter(owner=user, workspace__isnull=True).update(workspace=workspace)


class Migration(migrations.Migration):
    dependencies = [
        ("workspaces", "0001_workspaces"),
        ("generations", "0009_workspace"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(personal_workspaces, migrations.RunPython.noop)]
