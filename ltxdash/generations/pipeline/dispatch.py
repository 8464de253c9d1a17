"""Submitting queued generations: fairly, within the concurrency limit, safely.

Two steps. ``claim_slots`` is one short transaction that locks the dispatcher row, counts what
is in flight and moves the next generations in fair order from QUEUED to SUBMITTING; two
dispatchers therefore cannot both fill the same free slot. ``submit_generation`` (a task per
claim) then uploads the inputs and POSTs, outside any transaction.

The POST is the dangerous moment: the API has no idempotency key. ``post_started_at`` is
written right before it; a SUBMITTING row without it certainly sent nothing and may go back to
the queue, while one with it whose worker died can only become UNKNOWN.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import PurePath
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from ltxdash.core.crypto import Undecryptable
from ltxdash.generations.estimates import first_poll_at, predicted_free
from ltxdash.generations.models import (
    IN_FLIGHT,
    POLLED,
    DispatchState,
    ErrorType,
    Generation,
    GenerationInput,
    Output,
    Probe,
    State,
)
from ltxdash.generations.ordering import keys_with_queued, queued_in_order
from ltxdash.generations.pipeline import filestore
from ltxdash.generations.pipeline.actions import resume_dispatching
from ltxdash.generations.pipeline.claims import heartbeat
from ltxdash.generations.pipeline.clients import client_for
from ltxdash.generations.pipeline.taskqueue import enqueue, nudge_dispatcher
from ltxdash.generations.timing import (
    UPLOAD_FRESH_FOR,
    backoff,
    claim_seconds,
    later,
    pickup_grace_seconds,
    poll_interval,
    tunable,
)
from ltxdash.ltx import catalog
from ltxdash.ltx.client import LTXClient
from ltxdash.ltx.errors import (
    ConcurrencyLimitError,
    InvalidResponseError,
    LTXError,
    NotFoundError,
    OutcomeUnknownError,
    RateLimitError,
)
from ltxdash.ltx.keycheck import PROBE_JOB_ID
from ltxdash.workspaces.models import ApiKey

logger = logging.getLogger(__name__)


# Transient failures (5xx, network, 408) of one clip's upload or submit before it is REJECTED.
# Each attempt already retries inside the client, and the waits between attempts double up to
# 5 minutes, so 8 attempts span roughly a quarter of an hour of LTX failing: longer than a blip or
# a deploy, short enough that a clip does not sit "queued" for hours looking alive. Only these
# backoffs count (``Generation.submit_failures``): 429 holds and account-pause probes say
# nothing about this clip.
MAX_SUBMIT_FAILURES = 8


class InputMissing(Exception):
    pass


# --- claiming slots ---------------------------------------------------------------------------


def claim_slots(
    now: datetime | None = None, *, probe: bool = False, key: int | None = None
) -> list[tuple[int, int]]:
    """Move the key's next generations to SUBMITTING and enqueue their submit tasks.

    Normally fills the key's free slots; with ``probe`` (the key is paused by an account error)
    claims one generation to test whether the account works again. Returns (pk, attempt) pairs.
    """
    now = now or timezone.now()
    with transaction.atomic():
        dispatch = DispatchState.locked(key)
        if probe:
            if not dispatch.probe_due(now):
                return []
            dispatch.take_probe_turn(now)
            free = 1
        else:
            if not dispatch.may_submit(now):
                return []
            in_flight = Generation.objects.filter(state__in=IN_FLIGHT, api_key=key).count()
            free = concurrency_of(key) - in_flight
            if free <= 0:
                # No slot by our count, but a job should have finished by now: its poll is not
                # due yet, so send the next clip into its slot rather than wait for the poll
                # (answered 429 if LTX is not done yet: harmless, see _refused). A slot filled
                # that way already (the job it was for not polled yet) is not filled twice.
                free += predicted_free(key, now)
        if free <= 0:
            return []
        claimed: list[tuple[int, int]] = []
        for generation in queued_in_order(key):
            if len(claimed) >= free:
                break
            if generation.next_attempt_at and generation.next_attempt_at > now:
                continue
            attempt = generation.submit_attempts + 1
            moved = generation.transition(
                State.SUBMITTING,
                expected=State.QUEUED,
                detail="Probe: is the account usable again?" if probe else "",
                where={"submit_attempts": generation.submit_attempts},
                submit_attempts=attempt,
                submit_started_at=now,
                post_started_at=None,
                claim_until=later(now, pickup_grace_seconds()),
                next_attempt_at=None,
                error_type="",
                error_message="",
                api_key_id=key,
            )
            if moved:
                claimed.append((generation.pk, attempt))
                enqueue("submit_generation", generation.pk, attempt)
        if probe and not claimed:
            # Nothing waits to be sent: nothing can be lost by resuming, and the next submit
            # pauses again if the account is still unusable.
            resume_dispatching("nothing queued to probe with", key=key)
        return claimed


def concurrency_of(key: int | None) -> int:
    """How many jobs the key may have at LTX at once."""
    if key is None:
        return int(settings.LTX_MAX_CONCURRENCY)
    api_key = ApiKey.objects.filter(pk=key).first()
    return api_key.concurrency if api_key else int(settings.LTX_MAX_CONCURRENCY)


def dispatch(now: datetime | None = None) -> list[tuple[int, int]]:
    """One dispatcher pass over every key with work waiting, or paused and due a check: probe a
    paused key when due, otherwise fill its free slots. Keys never wait on each other."""
    now = now or timezone.now()
    keys = keys_with_queued() | set(
        DispatchState.in_use_paused().values_list("api_key_id", flat=True)
    )
    claimed: list[tuple[int, int]] = []
    for key in sorted(keys, key=lambda k: k or 0):
        claimed += _dispatch_key(key, now)
    return claimed


def _dispatch_key(key: int | None, now: datetime) -> list[tuple[int, int]]:
    state = DispatchState.get(key)
    if not state.paused:
        return claim_slots(now, key=key)
    if not state.probe_due(now) or state.probe == Probe.NONE:
        return []
    if state.probe == Probe.GET:
        # A key problem can be checked without sending a generation (a free GET).
        if state.claim_get_probe(now):
            enqueue("probe_account", key)
        return []
    return claim_slots(now, probe=True, key=key)


def probe_account(key: int | None = None, client: LTXClient | None = None) -> str:
    """Check a key problem with a GET of a job that cannot exist: 404 means the key works."""
    if client is None:
        api_key = ApiKey.objects.filter(pk=key).first() if key is not None else None
        if key is not None and api_key is None:
            return "gone"  # the workspace (and its key) was deleted meanwhile
        client = client_for("submit", api_key)
    try:
        client.get_status("text-to-video", PROBE_JOB_ID)
    except NotFoundError:
        resume_dispatching("the API key works again", key=key)
        return "resumed"
    except LTXError as error:
        if error.account_level:
            DispatchState.pause_for(error, key=key)
        return f"still paused: {error.error_type}"
    resume_dispatching("the API key works again", key=key)
    return "resumed"


# --- submitting -------------------------------------------------------------------------------


def submit_generation(
    pk: int,
    attempt: int,
    *,
    client: LTXClient | None = None,
    upload_client: LTXClient | None = None,
) -> str:
    """Upload the inputs and POST one claimed generation. A duplicate delivery is a no-op."""
    mine: dict[str, Any] = {
        "state": State.SUBMITTING,
        "submit_attempts": attempt,
        "post_started_at__isnull": True,
    }
    # Take the claim from "waiting for a worker" to "being worked on".
    now = timezone.now()
    if not Generation.objects.filter(pk=pk, **mine).update(claim_until=later(now, claim_seconds())):
        return "skipped"
    generation = Generation.objects.select_related("api_key").get(pk=pk)
    try:
        client = client or client_for("submit", generation.api_key)
        upload_client = upload_client or client_for("transfer", generation.api_key)
    except Undecryptable:
        return _unreadable_key(generation, attempt)
    with heartbeat(pk, {"state": State.SUBMITTING, "submit_attempts": attempt}):
        return _submit(generation, attempt, client, upload_client)


def _unreadable_key(generation: Generation, attempt: int) -> str:
    """The key cannot be decrypted: nothing was sent. Back to the queue, and the key paused."""
    assert generation.api_key_id is not None  # LTX_API_KEY is never stored encrypted
    logger.error("The LTX key of workspace %s cannot be decrypted", generation.workspace_id)
    DispatchState.pause_unreadable(generation.api_key_id)
    generation.transition(
        State.QUEUED,
        expected=State.SUBMITTING,
        where={"submit_attempts": attempt, "post_started_at__isnull": True},
        detail="The workspace's LTX key cannot be read; waiting in the queue.",
        claim_until=None,
    )
    return "paused"


def _submit(
    generation: Generation, attempt: int, client: LTXClient, upload_client: LTXClient
) -> str:
    mine = {"submit_attempts": attempt}
    try:
        uris = upload_inputs(generation, upload_client)
        body = catalog.build_request(generation.endpoint, generation.params, uris)
    except InputMissing as missing:
        return _reject(generation, mine, ErrorType.INPUT_MISSING, str(missing), "")
    except catalog.InvalidRequest as invalid:
        return _reject(generation, mine, ErrorType.INVALID_REQUEST, str(invalid), "")
    except LTXError as error:  # the upload failed: certainly no job was created
        return _refused(generation, mine, error, phase="upload")

    now = timezone.now()
    marked = Generation.objects.filter(
        pk=generation.pk, state=State.SUBMITTING, post_started_at__isnull=True, **mine
    ).update(post_started_at=now, request_body=body)
    if not marked:
        return "skipped"
    generation.post_started_at = now
    try:
        job = client.submit(generation.endpoint, body)
    except (OutcomeUnknownError, InvalidResponseError) as error:
        return _unknown(
            generation, mine, ErrorType.OUTCOME_UNKNOWN, error.message, error.request_id
        )
    except LTXError as error:  # the API answered with an error, or no connection was made
        return _refused(generation, mine, error, phase="submit")
    except Exception as error:  # a bug after sending: whether a job exists is unknowable
        logger.exception("Submit of generation %s failed unexpectedly", generation.pk)
        return _unknown(generation, mine, ErrorType.OUTCOME_UNKNOWN, repr(error), None)

    moved = generation.transition(
        State.PENDING,
        expected=State.SUBMITTING,
        where=mine,
        request_id=job.request_id or "",
        detail=f"LTX job {job.id}",
        remote_id=job.id,
        submit_request_id=job.request_id or "",
        remote_created_at=job.created_at,
        submitted_at=timezone.now(),
        next_poll_at=first_poll_at(
            generation, now, slots=lambda: concurrency_of(generation.api_key_id)
        ),
        claim_until=None,
    )
    if not moved:
        logger.error(
            "Generation %s was submitted as LTX job %s but changed meanwhile", generation.pk, job.id
        )
        return "lost"
    # A no-op unless this was the probe of a paused account (out of credits, the poller resumes
    # once the probe's job has finished).
    if DispatchState.resume_after_accepted_submit(key=generation.api_key_id):
        nudge_dispatcher()
    return "submitted"


def _upload(item: GenerationInput, client: LTXClient) -> str:
    """Upload an input's stored file to LTX; its ``storage_uri``. A source clip's file may be
    replaced while this runs (rewritten for streaming, or copied again; the old file is then
    deleted), so its name is read just before the upload, and read again if that file has just
    gone. From S3 the object is streamed to LTX's upload URL as it is read (no local copy); from
    the local disk a scratch copy is sent, a snapshot the file's replacement cannot pull away."""
    content_type = item.content_type or "application/octet-stream"
    tried = ""
    while True:
        name = item.file.name
        if not name and item.source_output_id:
            name = (
                Output.objects.filter(pk=item.source_output_id)
                .values_list("file", flat=True)
                .first()
            ) or ""
        if not name:
            raise InputMissing(f"The {item.get_role_display().lower()} of this clip is gone.")
        try:
            stream = filestore.stream_source(name)
            if stream is not None:
                opener, size = stream
                return client.upload_stream(opener, size, content_type, name=PurePath(name).name)
            with filestore.scratch_dir("upload") as tmp:
                return client.upload_file(filestore.copy_to_temp(name, tmp), content_type)
        except FileNotFoundError as exc:
            if name == tried:
                raise InputMissing(
                    f"The {item.get_role_display().lower()} of this clip is no longer stored."
                ) from exc
            tried = name


def _key_changed_at(workspace_id: int) -> datetime:
    """When the workspace last put a key in use or stopped one (the epoch if never)."""
    times = ApiKey.objects.filter(workspace_id=workspace_id).values_list("created_at", "retired_at")
    latest = [moment for pair in times for moment in pair if moment is not None]
    return max(latest, default=datetime.min.replace(tzinfo=UTC))


def upload_inputs(generation: Generation, client: LTXClient) -> dict[str, str]:
    """Each input's ``storage_uri``, uploading it (again) unless a fresh upload exists."""
    uris: dict[str, str] = {}
    now = timezone.now()
    # An upload belongs to the account of the key that made it: one made before the workspace's
    # key last changed is not reused (a batch half-sent when the key was replaced, a retry).
    fresh_since = max(now - UPLOAD_FRESH_FOR, _key_changed_at(generation.workspace_id))
    for item in generation.inputs.select_related("source_output"):
        if item.storage_uri and item.uploaded_at and item.uploaded_at > fresh_since:
            uris[item.role] = item.storage_uri
            continue
        uri = _upload(item, client)
        # Siblings of a batch share the stored file: one upload serves them all.
        same = Q(file=item.file.name) if item.file else Q(source_output_id=item.source_output_id)
        GenerationInput.objects.filter(same).filter(
            Q(pk=item.pk) | Q(generation__state__in=[State.QUEUED, State.SUBMITTING])
        ).update(storage_uri=uri, uploaded_at=now)
        uris[item.role] = uri
    return uris


def _reject(
    generation: Generation, mine: dict, kind: str, message: str, request_id: str | None
) -> str:
    generation.transition(
        State.REJECTED,
        expected=State.SUBMITTING,
        where=mine,
        request_id=request_id or "",
        detail=f"{kind}: {message}",
        error_type=kind,
        error_message=message,
        claim_until=None,
    )
    nudge_dispatcher()  # a slot is free again
    return "rejected"


def _unknown(
    generation: Generation, mine: dict, kind: str, message: str, request_id: str | None
) -> str:
    generation.transition(
        State.UNKNOWN,
        expected=State.SUBMITTING,
        where=mine,
        request_id=request_id or "",
        detail=message,
        error_type=kind,
        error_message=message,
        claim_until=None,
    )
    nudge_dispatcher()
    return "unknown"


# After a send into a slot predicted free was answered 429, the key sends again this many poll
# intervals later (unless a poll comes first): at most five such sends between two polls.
EARLY_RETRY = 0.2


def _refused(generation: Generation, mine: dict, error: LTXError, *, phase: str) -> str:
    """The API said no, or could not be reached: nothing was created. Queue, pause or reject."""
    now = timezone.now()
    requeue: dict[str, Any] = {
        "post_started_at": None,
        "claim_until": None,
        "error_type": error.error_type,
        "error_message": error.message,
    }
    if isinstance(error, ConcurrencyLimitError) and _sent_early(generation):
        # A clip sent into a slot that should have been free (predicted_free): LTX had not
        # finished yet. Nothing was created and nothing is wrong with the clip: back to the
        # queue, first in line as before, without a word on its card; the key tries again a
        # fifth of an interval later, or at its next poll if that comes first (a poll may be
        # up to 1.2 intervals away: waiting for it would leave the slot empty that long).
        requeue |= {"error_type": "", "error_message": ""}
        until = None
        retry = later(now, poll_interval() * EARLY_RETRY)
        next_poll = _next_poll_of(generation.api_key_id)
        DispatchState.hold(min(retry, next_poll) if next_poll else retry, key=generation.api_key_id)
        detail = "Sent a moment early (LTX was still finishing a job); waiting for the slot."
        outcome = "early"
    elif isinstance(error, (ConcurrencyLimitError, RateLimitError)):
        wait = error.retry_after if error.retry_after is not None else max(poll_interval(), 2.0)
        until = later(now, wait)
        DispatchState.hold(until, key=generation.api_key_id)
        detail = f"LTX is busy ({error.error_type}); waiting {wait:g} s before sending again."
        outcome = "held"
    elif error.account_level:
        DispatchState.pause_for(error, now, key=generation.api_key_id)
        until = None
        detail = f"Dispatching paused: {error.error_type}."
        outcome = "paused"
    elif _transient(error, phase):
        failures = generation.submit_failures + 1
        requeue["submit_failures"] = failures
        if failures >= tunable("LTXDASH_PIPELINE_MAX_SUBMIT_FAILURES", MAX_SUBMIT_FAILURES):
            message = f"{failures} attempts to {phase} failed; the last: {error}"
            return _reject(generation, mine, ErrorType.GAVE_UP, message, error.request_id)
        wait = backoff(failures, base=max(poll_interval(), 2.0), cap=300.0)
        until = later(now, wait)
        detail = f"Could not {phase} ({error}); trying again in {wait:.0f} s."
        outcome = "backoff"
    elif phase == "upload":
        return _reject(generation, mine, ErrorType.UPLOAD_FAILED, str(error), error.request_id)
    else:
        return _reject(generation, mine, error.error_type, error.message, error.request_id)
    generation.transition(
        State.QUEUED,
        expected=State.SUBMITTING,
        where=mine,
        request_id=error.request_id or "",
        detail=detail,
        next_attempt_at=until,
        **requeue,
    )
    if outcome == "backoff":
        nudge_dispatcher()  # the slot is free for another clip meanwhile
    return outcome


def _sent_early(generation: Generation) -> bool:
    """Was this clip sent into a slot our own count did not show free (a speculative send)?
    Then the key's own jobs at LTX already fill its limit. A 429 with fewer of them means
    someone else's job holds the slot: an ordinary hold."""
    accepted = Generation.objects.filter(state__in=POLLED, api_key=generation.api_key_id).count()
    return accepted >= concurrency_of(generation.api_key_id)


def _next_poll_of(key: int | None) -> datetime | None:
    return (
        Generation.objects.filter(state__in=POLLED, api_key=key, next_poll_at__isnull=False)
        .order_by("next_poll_at")
        .values_list("next_poll_at", flat=True)
        .first()
    )


def _transient(error: LTXError, phase: str) -> bool:
    """May the same request work later? A submit: as the error says. An upload (no job can
    exist yet): anything but a 4xx other than 408/429 (a refused file, a bad request)."""
    if phase == "upload":
        return error.status is None or not 400 <= error.status < 500 or error.status in (408, 429)
    return error.retryable


# --- crash recovery ---------------------------------------------------------------------------


def recover_stale_submits(now: datetime | None = None) -> int:
    """SUBMITTING rows whose worker is gone: back to the queue if nothing was sent, else UNKNOWN."""
    now = now or timezone.now()
    stale = Generation.objects.filter(state=State.SUBMITTING).filter(
        Q(claim_until__isnull=True) | Q(claim_until__lt=now)
    )
    count = 0
    for generation in stale:
        guard = {
            "submit_attempts": generation.submit_attempts,
            "claim_until": generation.claim_until,
        }
        if generation.post_started_at is None:
            moved = generation.transition(
                State.QUEUED,
                expected=State.SUBMITTING,
                where={**guard, "post_started_at__isnull": True},
                detail="The worker stopped before sending anything; queued again.",
                claim_until=None,
            )
        else:
            moved = generation.transition(
                State.UNKNOWN,
                expected=State.SUBMITTING,
                where={**guard, "post_started_at": generation.post_started_at},
                detail="The worker stopped after sending the request.",
                error_type=ErrorType.WORKER_LOST,
                error_message="The worker stopped after the request to LTX went out.",
                claim_until=None,
            )
        count += int(moved)
    return count
