"""Copying finished outputs into our storage, and watching the API's retention window.

One attempt: claim the row, fetch fresh result URLs when this is a retry, download each output
to a temp file (size and sha256 checked by the client), store it under a new unique name, read
metadata and a poster, then in one transaction move to READY and point the ``Output`` rows at the
new files. An MP4 with its index at the end is rewritten for streaming afterwards, off the way
to READY (``faststart.py``). Files of the replaced or failed
attempt are deleted; files a killed attempt left are swept by the next one.

What the API sent is untrusted: result keys are checked (``ltx.responses.check_result``) before
anything is named after them, and temp folders are numbered, never named after a key; the
storage client fetches only from allowed hosts (``ltx/egress.py``); an output is kept only when
its *content* is a media type its key may hold (``catalog.result_media_types``), and its stored
type is what we detected, never the ``Content-Type`` its host claimed. A poster is always our
own JPEG. Failing any of these checks fails the clip at once: retrying gets the same answer.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from ltxdash import media
from ltxdash.core.crypto import Undecryptable
from ltxdash.generations.inputs import INPUT_BOUNDS
from ltxdash.generations.models import DispatchState, ErrorType, Generation, Output, State
from ltxdash.generations.pipeline import faststart, filestore
from ltxdash.generations.pipeline.claims import heartbeat
from ltxdash.generations.pipeline.clients import client_for
from ltxdash.generations.pipeline.taskqueue import enqueue
from ltxdash.generations.timing import (
    AT_RISK_AFTER,
    backoff,
    claim_seconds,
    later,
    pickup_grace_seconds,
    task_timeout,
    tunable,
)
from ltxdash.ltx import catalog
from ltxdash.ltx.client import LTXClient
from ltxdash.ltx.errors import DownloadError, LTXError, NotFoundError, UnusableResultError
from ltxdash.ltx.responses import check_result

logger = logging.getLogger(__name__)

_EXTENSIONS = {"video/mp4": ".mp4", "application/zip": ".zip"}
# What a person reads when a file could not be written here: never the path itself.
_DISK_PROBLEM = "a file could not be written on this server"
# A refused link (a 4xx, an unusable URL) gets this many attempts, each with URLs fetched afresh
# from the API (a signed link may simply have expired); then the clip FAILS. Too large: at once.
REFUSED_ATTEMPTS = 3


# An output is probed within the inputs' ceilings before a poster is decoded from it: far above
# anything an endpoint makes (4K, seconds long), far below what would exhaust a worker's memory.
OUTPUT_BOUNDS = INPUT_BOUNDS


class LostClaim(Exception):
    """Another worker took the row over (this one was presumed dead); drop our copy."""


class WrongMedia(Exception):
    """The output's content is not a media type its result key may hold: it is not kept."""


@dataclass
class StoredOutput:
    label: str
    name: str
    size: int
    sha256: str
    content_type: str
    poster: str = ""
    info: dict[str, Any] = field(default_factory=dict)
    rewrite_for_streaming: bool = False


def download_deadline() -> float:
    timeout = task_timeout()
    return tunable("LTXDASH_PIPELINE_DOWNLOAD_SECONDS", max(60.0, min(600.0, timeout - 200)))


def rehost_generation(pk: int, *, client: LTXClient | None = None) -> str:
    """Copy a REHOSTING generation's outputs; a duplicate delivery is a no-op."""
    now = timezone.now()
    generation = (
        Generation.objects.filter(pk=pk, state=State.REHOSTING).select_related("api_key").first()
    )
    if generation is None:
        return "skipped"
    attempt = generation.rehost_attempts + 1
    claimed = (
        Generation.objects.filter(
            pk=pk, state=State.REHOSTING, rehost_attempts=generation.rehost_attempts
        )
        .filter(Q(claim_until__isnull=True) | Q(claim_until__lt=now))
        .update(rehost_attempts=attempt, claim_until=later(now, claim_seconds()))
    )
    if not claimed:
        return "skipped"
    generation.rehost_attempts = attempt
    mine = {"rehost_attempts": attempt}
    if generation.retention_ends_at and generation.retention_ends_at <= now:
        return _give_up(generation, mine, ErrorType.RETENTION_ENDED, generation.error_message)
    try:
        client = client or client_for("transfer", generation.api_key)  # the key that sent it
    except Undecryptable:
        # Left to the loop's re-enqueue of copies whose claim lapsed: the key may come back.
        assert generation.api_key_id is not None
        DispatchState.pause_unreadable(generation.api_key_id)
        return "paused"
    with heartbeat(pk, {"state": State.REHOSTING, **mine}):
        try:
            return _copy(generation, attempt, client)
        except NotFoundError as error:
            return _give_up(generation, mine, ErrorType.NOT_FOUND, error.message)
        except LostClaim:
            return "lost"
        except UnusableResultError as error:
            return _fail(generation, mine, ErrorType.RESULT_UNUSABLE, error.message)
        except WrongMedia as error:
            return _fail(generation, mine, ErrorType.OUTPUT_WRONG_TYPE, str(error))
        except DownloadError as error:
            if error.reason == "refused_target":
                return _fail(generation, mine, ErrorType.OUTPUT_HOST_REFUSED, error.message)
            if error.reason == "too_large":
                return _fail(generation, mine, ErrorType.OUTPUT_TOO_LARGE, error.message)
            if _permanent(error) and attempt >= REFUSED_ATTEMPTS:
                return _fail(generation, mine, ErrorType.OUTPUT_REFUSED, error.message)
            return _retry_later(generation, mine, error)
        except (LTXError, media.MediaError, OSError) as error:
            return _retry_later(generation, mine, error)


def _permanent(error: DownloadError) -> bool:
    """Retrying cannot fix it: too large, an unusable URL, a 4xx (408 and 429 aside)."""
    return not error.retryable and not (error.reason == "http_status" and error.status == 408)


def _copy(generation: Generation, attempt: int, client: LTXClient) -> str:
    urls = check_result(generation.result_urls or {})  # also rows stored before the check
    if not urls or attempt > 1:
        # A retry (or "copy again"): the URLs we hold may be stale; ask the API again.
        status = client.get_status(generation.endpoint, generation.remote_id)
        if status.status != "completed" or not status.result:
            raise LTXError(f"the job is {status.status} and has no result URLs")
        urls = dict(status.result)
        Generation.objects.filter(pk=generation.pk, state=State.REHOSTING).update(result_urls=urls)
    filestore.sweep_generation_folders(generation.pk, keep=Output.stored_names(generation.pk))

    stored: list[StoredOutput] = []
    try:
        with filestore.scratch_dir("rehost") as tmp:
            for index, (label, url) in enumerate(sorted(urls.items())):
                folder = tmp / str(index)  # a number: a result key never names a local path
                stored.append(_fetch(generation, attempt, label, url, folder, client))
        _commit(generation, attempt, stored)
    except BaseException:
        filestore.delete_quietly(n for item in stored for n in (item.name, item.poster))
        raise
    return "ready"


def _fetch(
    generation: Generation, attempt: int, label: str, url: str, folder: Path, client: LTXClient
) -> StoredOutput:
    downloaded = client.download(
        url,
        folder,
        max_bytes=settings.LTXDASH_MAX_OUTPUT_BYTES,
        deadline_seconds=download_deadline(),
    )
    path, sha256, poster, info = downloaded.path, downloaded.sha256, "", {}
    # By content only: the host's Content-Type and the URL's extension are the API's say-so.
    content_type = media.sniff(path)
    allowed = catalog.result_media_types(label)
    if content_type not in allowed:
        raise WrongMedia(f"{label} should be {' or '.join(sorted(allowed))}; it was not")
    rewrite = False
    if content_type == "video/mp4":
        try:  # sizes from the header first: a poster is decoded only from a sane video
            probed = media.probe(path, OUTPUT_BOUNDS)
        except media.OutOfBounds as error:
            raise WrongMedia(f"{label}: {error}") from error
        # any other MediaError (damaged, cut short): retried
        if probed.kind != "video" or probed.mime != content_type:
            raise WrongMedia(f"{label} should be an MP4 video; it was not")
        rewrite = not media.is_faststart(path)
        info = {
            "duration": probed.duration,
            "width": probed.width,
            "height": probed.height,
            "fps": probed.fps,
            "codec": probed.codec or "",
            "has_audio": probed.has_audio,
        }
        poster_path = folder / "poster.jpg"
        media.make_poster(path, poster_path)  # our own JPEG, never a file the API sent
        poster = filestore.save_local_file(
            poster_path, filestore.poster_name(generation.pk, label, attempt)
        )
    size = path.stat().st_size
    try:
        name = filestore.save_local_file(
            path, filestore.output_name(generation.pk, label, attempt, _EXTENSIONS[content_type])
        )
    except BaseException:
        filestore.delete_quietly([poster])
        raise
    return StoredOutput(label, name, size, sha256, content_type, poster, info, rewrite)


def _commit(generation: Generation, attempt: int, stored: list[StoredOutput]) -> None:
    """READY and the Output rows in one transaction; rows keep their ids (inputs of other clips
    may point at them), their old files go once the transaction commits."""
    now = timezone.now()
    with transaction.atomic():
        moved = generation.transition(
            State.READY,
            expected=State.REHOSTING,
            where={"rehost_attempts": attempt},
            detail=f"Copied {len(stored)} file(s) to storage.",
            ready_at=now,
            claim_until=None,
            next_attempt_at=None,
            error_type="",
            error_message="",
            at_risk=False,
        )
        if not moved:
            raise LostClaim
        existing = {o.label: o for o in Output.objects.filter(generation=generation)}
        replaced: list[str | None] = []
        for item in stored:
            output = existing.pop(item.label, None) or Output(
                generation=generation, label=item.label
            )
            if output.pk:
                replaced += [output.file.name, output.poster.name]
            output.file.name = item.name
            output.poster.name = item.poster
            output.size, output.sha256, output.content_type = (
                item.size,
                item.sha256,
                item.content_type,
            )
            output.duration = item.info.get("duration")
            output.width = item.info.get("width")
            output.height = item.info.get("height")
            output.fps = item.info.get("fps")
            output.codec = item.info.get("codec", "")
            output.has_audio = bool(item.info.get("has_audio"))
            output.created_at = now
            rewrite = item.rewrite_for_streaming
            output.faststart_due_at = now + faststart.running_window() if rewrite else None
            output.save()
            if rewrite:
                enqueue(faststart.TASK, output.pk)
        for leftover in existing.values():
            replaced += [leftover.file.name, leftover.poster.name]
            leftover.delete()
        filestore.delete_after_commit(replaced)


def _retry_later(generation: Generation, mine: dict[str, Any], error: Exception) -> str:
    now = timezone.now()
    attempt = mine["rehost_attempts"]
    wait = backoff(attempt, base=tunable("LTXDASH_PIPELINE_REHOST_RETRY_SECONDS", 10.0), cap=600)
    when = later(now, wait)
    if generation.retention_ends_at and when > generation.retention_ends_at:
        when = generation.retention_ends_at  # one last look when the window closes
    kind = getattr(error, "error_type", type(error).__name__)
    if isinstance(error, LTXError | media.MediaError):
        message = str(getattr(error, "message", "") or error)  # ours, or cleaned by ltx/
    else:  # an OSError names a path on this server: for the log, not for the card
        message = _DISK_PROBLEM
    logger.warning("Copy of generation %s failed (%s); retry at %s", generation.pk, error, when)
    Generation.objects.filter(pk=generation.pk, state=State.REHOSTING, **mine).update(
        claim_until=None,
        next_attempt_at=when,
        error_type=kind[:64],
        error_message=message,
        version=F("version") + 1,
        updated_at=now,
    )
    return "retry"


def _keep_earlier_copy(generation: Generation, mine: dict[str, Any], kind: str) -> str | None:
    """A failed "copy again" of a clip that already has a copy: back to READY with that copy.
    None when there is no earlier copy to keep."""
    if not Output.objects.filter(generation=generation).exists():
        return None
    moved = generation.transition(
        State.READY,
        expected=State.REHOSTING,
        where=mine,
        detail=f"Copy again failed ({kind}); the earlier copy is kept.",
        claim_until=None,
        next_attempt_at=None,
    )
    return "kept" if moved else "lost"


def _give_up(generation: Generation, mine: dict[str, Any], kind: str, last_problem: str) -> str:
    """The API no longer has the output. A clip that already had a copy (a failed "copy again")
    keeps it and goes back to READY; otherwise it is EXPIRED."""
    if (kept := _keep_earlier_copy(generation, mine, kind)) is not None:
        return kept
    message = last_problem if kind == ErrorType.RETENTION_ENDED else "LTX no longer knows this job."
    generation.transition(
        State.EXPIRED,
        expected=State.REHOSTING,
        where=mine,
        detail=f"{kind}: {message}",
        error_type=kind,
        error_message=message,
        claim_until=None,
        next_attempt_at=None,
    )
    filestore.sweep_generation_folders(generation.pk, keep=set())
    return "expired"


def _fail(generation: Generation, mine: dict[str, Any], kind: str, message: str) -> str:
    """The copy can never be made. A clip with an earlier copy ("copy again") keeps it and goes
    back to READY; otherwise it is FAILED, with nothing left in storage."""
    logger.warning("Copy of generation %s cannot be made: %s: %s", generation.pk, kind, message)
    if (kept := _keep_earlier_copy(generation, mine, kind)) is not None:
        return kept
    generation.transition(
        State.FAILED,
        expected=State.REHOSTING,
        where=mine,
        detail=f"{kind}: {message}",
        error_type=kind,
        error_message=message,
        claim_until=None,
        next_attempt_at=None,
    )
    filestore.sweep_generation_folders(generation.pk, keep=set())
    return "failed"


# --- the loop's share: re-enqueue, expire, flag ------------------------------------------------


def watch(now: datetime | None = None) -> dict[str, int]:
    """Re-enqueue copies whose task died or whose backoff is over, expire those the API has
    forgotten, and flag copies still missing long after the job finished."""
    now = now or timezone.now()
    free = Q(claim_until__isnull=True) | Q(claim_until__lt=now)
    report = {"requeued": 0, "expired": 0, "at_risk": 0}
    waiting = Generation.objects.filter(state=State.REHOSTING).filter(free)
    for generation in waiting.filter(retention_ends_at__lte=now):
        guard = {"rehost_attempts": generation.rehost_attempts}
        if _give_up(generation, guard, ErrorType.RETENTION_ENDED, generation.error_message):
            report["expired"] += 1
    due = waiting.filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
    for pk, attempts in due.values_list("pk", "rehost_attempts"):
        moved = (
            Generation.objects.filter(pk=pk, state=State.REHOSTING, rehost_attempts=attempts)
            .filter(free)
            .update(next_attempt_at=later(now, pickup_grace_seconds()))
        )
        if moved:
            enqueue("rehost_generation", pk)
            report["requeued"] += 1
    report["at_risk"] = Generation.objects.filter(
        state=State.REHOSTING, at_risk=False, completed_at__lte=now - AT_RISK_AFTER
    ).update(at_risk=True, version=F("version") + 1, updated_at=now)
    return report
