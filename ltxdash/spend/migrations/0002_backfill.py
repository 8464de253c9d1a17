"""Clips made before the ledger existed get their entry, from the estimate each clip carries, so
that a budget counts what is already queued or in flight, and the usage page shows the past."""

import zoneinfo
from decimal import Decimal

from django.conf import settings
from django.db import migrations
from django.utils import timezone

NOTE = "From the clip's cost estimate: the clip was made before the ledger began."
HELD = {"queued", "submitting", "unknown"}
RELEASED = {"rejected", "canceled", "declined"}
ENDS = {"ready", "rejected", "failed", "expired", "canceled", "unknown", "declined"}


def status_of(clip) -> str | None:
    if clip.state == "awaiting_approval":
        return None  # reserved when approved
    if clip.state in HELD:
        return "reserved"
    if clip.state in RELEASED or clip.submitted_at is None:
        return "released"
    return "charged"


def backfill(apps, schema_editor):
    Generation = apps.get_model("generations", "Generation")
    LedgerEntry = apps.get_model("spend", "LedgerEntry")
    Workspace = apps.get_model("workspaces", "Workspace")
    zones = {}
    for workspace in Workspace.objects.all():
        try:
            zones[workspace.pk] = zoneinfo.ZoneInfo(workspace.time_zone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            zones[workspace.pk] = zoneinfo.ZoneInfo(str(settings.TIME_ZONE))
    known = set(LedgerEntry.objects.values_list("generation_id", flat=True))
    batch = []
    for clip in Generation.objects.order_by("pk").iterator(chunk_size=2000):
        status = status_of(clip)
        if status is None or clip.pk in known:
            continue
        day = timezone.localtime(clip.created_at, zones[clip.workspace_id]).date()
        took = None
        if clip.state == "ready" and clip.submitted_at and clip.ready_at:
            took = (clip.ready_at - clip.submitted_at).total_seconds()
        batch.append(
            LedgerEntry(
                workspace_id=clip.workspace_id,
                member_id=clip.owner_id,
                generation_id=clip.pk,
                clip_number=clip.pk,
                endpoint=clip.endpoint,
                model=clip.model,
                status=status,
                amount=clip.estimated_cost or Decimal("0"),
                flagged=clip.state == "unknown",
                note=NOTE,
                outcome=clip.state if clip.state in ENDS else "",
                seconds_to_ready=took,
                day=day,
                month=day.replace(day=1),
                created_at=clip.created_at,
                charged_at=clip.submitted_at if status == "charged" else None,
                settled_at=clip.finished_at if status == "released" else None,
            )
        )
        if len(batch) >= 2000:
            LedgerEntry.objects.bulk_create(batch)
            batch = []
    LedgerEntry.objects.bulk_create(batch)


class Migration(migrations.Migration):
    dependencies = [("spend", "0001_spend")]
    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
