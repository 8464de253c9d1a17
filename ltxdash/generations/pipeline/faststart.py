"""Rewriting stored MP4s for streaming ("faststart"), after the clip is ready.

The API's MP4s keep their index ('moov') at the end. Browsers play them as they are (our media
views answer Range requests, so a player fetches the index from the end first), but a file with
its index in front starts sooner. Rewriting reads and writes every byte once more (about a second
for 512 MiB), so it is kept off the way to READY: the verified copy is what protects a clip from
the API's 24-hour retention, and it should not wait for an optimisation.

One pass: remux the stored file into a scratch folder, store the result under a new name, then,
with the clip's row locked and the clip still READY, point the ``Output`` at it; the old file is
deleted once that commits. ``Output.faststart_due_at`` says when a pass is next due: set when the
copy is stored, pushed back while a pass runs or after a failure, cleared when done (or when the
file cannot be rewritten; it is then served as it is). A worker killed half-way leaves the old
file in place and the row due; the pipeline loop's housekeeping (``requeue``) enqueues it again.
One killed just after the switch leaves the replaced file named in ``Output.superseded_file``;
the same housekeeping deletes it.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from pathlib import Path

from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from ltxdash import media
from ltxdash.core import media_storage
from ltxdash.generations.models import Generation, Output, State
from ltxdash.generations.pipeline import filestore
from ltxdash.generations.pipeline.taskqueue import enqueue
from ltxdash.generations.timing import tunable

logger = logging.getLogger(__name__)

TASK = "make_streamable"


def running_window() -> timedelta:
    """How long a pass may take before the loop presumes its worker dead and enqueues another."""
    return timedelta(seconds=tunable("LTXDASH_PIPELINE_FASTSTART_WINDOW_SECONDS", 900.0))


def retry_delay() -> timedelta:
    return timedelta(seconds=tunable("LTXDASH_PIPELINE_FASTSTART_RETRY_SECONDS", 300.0))


def make_streamable(pk: int) -> str:
    """One pass for one output: ``done``, ``skipped`` (nothing due), ``waiting`` (the clip is
    not ready: being copied again), ``kept`` (cannot be rewritten: served as it is), ``retry``
    (a transient failure) or ``lost`` (the clip changed during the pass)."""
    now = timezone.now()
    output = Output.objects.filter(pk=pk, faststart_due_at__isnull=False).first()
    if output is None:
        return "skipped"
    old = output.file.name or ""
    mine = Output.objects.filter(pk=pk, file=old)
    if not Generation.objects.filter(pk=output.generation_id, state=State.READY).exists():
        # A copy in progress replaces this file anyway (and says whether its own is due).
        mine.update(faststart_due_at=now + retry_delay())
        return "waiting"
    mine.update(faststart_due_at=now + running_window())  # the loop leaves it alone meanwhile
    try:
        with filestore.scratch_dir("faststart") as tmp:
            rewritten = tmp / "faststart.mp4"
            media.remux_faststart(_local_path(old, tmp), rewritten)
            size, sha256 = rewritten.stat().st_size, filestore.sha256_of(rewritten)
            name = filestore.save_local_file(
                rewritten, filestore.output_name(output.generation_id, output.label, 0, ".mp4")
            )
    except media.MediaError as error:
        logger.warning("Output %s stays as it is (%s)", pk, error)
        mine.update(faststart_due_at=None)
        return "kept"
    except OSError:
        logger.warning("Could not rewrite output %s for streaming; will retry", pk, exc_info=True)
        mine.update(faststart_due_at=timezone.now() + retry_delay())
        return "retry"
    generation_id = output.generation_id
    with transaction.atomic():
        # The lock makes "copy again" (READY -> REHOSTING, then a sweep of files no row names)
        # wait until the row names the new file, or find it already gone.
        ready = (
            Generation.objects.select_for_update()
            .filter(pk=generation_id, state=State.READY)
            .exists()
        )
        if ready and not default_storage.exists(name):
            # Swept by the pass of another output of this clip (below) before we got the lock.
            mine.update(faststart_due_at=timezone.now() + retry_delay())
            return "retry"
        moved = ready and mine.update(
            file=name, size=size, sha256=sha256, faststart_due_at=None, superseded_file=old
        )
        if not moved:
            filestore.delete_after_commit([name])
            return "lost"
        # Files a killed pass left (stored, never named by a row) go now; the old file once this
        # commits, or, if this worker dies first, at the loop's next housekeeping.
        filestore.sweep_generation_folders(
            generation_id, keep=Output.stored_names(generation_id) | {old}
        )
        transaction.on_commit(lambda: _delete_superseded(pk, old))
    return "done"


def _delete_superseded(pk: int, name: str | None) -> None:
    filestore.delete_quietly([name])
    Output.objects.filter(pk=pk, superseded_file=name).update(superseded_file=None)


def requeue(now: datetime | None = None) -> int:
    """Enqueue the passes that are due: never started, failed a while ago, or whose worker died;
    delete replaced files a dead worker left."""
    now = now or timezone.now()
    superseded = Output.objects.filter(superseded_file__isnull=False).values_list(
        "pk", "superseded_file"
    )
    for pk, name in superseded:
        _delete_superseded(pk, name)
    count = 0
    for pk, due in Output.objects.filter(faststart_due_at__lte=now).values_list(
        "pk", "faststart_due_at"
    ):
        with transaction.atomic():
            if Output.objects.filter(pk=pk, faststart_due_at=due).update(
                faststart_due_at=now + running_window()
            ):
                enqueue(TASK, pk)
                count += 1
    return count


def _local_path(name: str, tmp: Path) -> Path:
    """The stored file itself when storage is on this disk, else a copy in ``tmp`` (S3: the
    object is downloaded there, rewritten beside it, and the result uploaded)."""
    return media_storage.local_path(name, tmp)
