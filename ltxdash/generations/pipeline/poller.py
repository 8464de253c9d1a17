"""Polling every in-flight job that is due, in one concurrent pass.

A job is polled when its ``next_poll_at`` has come, never sooner: each poll sets the next one
to (the moment that poll's request left) + the interval. Where past clips of
the same kind say when this one should finish, a poll that would land shortly before that is
pushed to just after it (never earlier than the interval allows), so a finished clip is seen at
once instead of up to an interval late. A failed poll backs off that job alone.

A pass costs a fixed number of queries whatever the number of jobs: one SELECT of the jobs due
within its window (and one of their keys, where workspaces have keys of their own), one UPDATE
for every poll that moved no state (``save_polls``), one UPDATE and one INSERT of their events
for the jobs LTX started processing, and the same for the jobs it finished (``move_many``: the
moves every job makes, which touch only the row), plus a ``transition()`` for each job that
failed or expired (the cost ledger follows those). Each finished job's copy is enqueued. Each
poll is sent at its own due moment by a standing pool of threads (``window``), so a poll is on
time whatever the size of the batch around it.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import defaultdict
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from ltxdash.core.crypto import Undecryptable
from ltxdash.generations.estimates import learned, next_poll_after
from ltxdash.generations.models import (
    ACCOUNT_FAILURES,
    POLLED,
    DispatchState,
    ErrorType,
    Generation,
    State,
)
from ltxdash.generations.models.moves import Move, move_many, update_from_values
from ltxdash.generations.pipeline.clients import client_for, send_times
from ltxdash.generations.pipeline.taskqueue import enqueue_each, nudge_dispatcher
from ltxdash.generations.timing import (
    RETENTION,
    backoff,
    later,
    pickup_grace_seconds,
    poll_interval,
)
from ltxdash.ltx.client import JobStatus, LTXClient, job_path
from ltxdash.ltx.errors import LTXError, NotFoundError, UnusableResultError, error_class_for
from ltxdash.workspaces.models import ApiKey

logger = logging.getLogger(__name__)

MAX_PER_PASS = 2000
MAX_CONNECTIONS = 16
_BACKOFF_CAP = 300.0
# What a pass reads of a job (its state machine, its kind for the learned durations, its
# counters); the rest (prompts, request bodies, results ...) is for pages and the admin.
_READ = (
    "id",
    "state",
    "version",
    "endpoint",
    "model",
    "params",
    "remote_id",
    "api_key",
    "poll_count",
    "poll_failures",
    "next_poll_at",
    "submitted_at",
    "remote_created_at",  # with completed_at, how long it took (estimates.learned)
    "processing_at",
    "completed_at",
)


@dataclass
class _Moves:
    """A pass's jobs that moved the way every job does, written together at its end."""

    started: list[Move] = field(default_factory=list)  # PENDING -> PROCESSING
    finished: defaultdict[str, list[tuple[Generation, Move]]] = field(
        default_factory=lambda: defaultdict(list)  # (PENDING or PROCESSING) -> REHOSTING
    )


@dataclass
class PollReport:
    polled: int = 0
    failures: int = 0
    changed: dict[str, int] = field(default_factory=dict)


class PollRow(NamedTuple):
    """A poll that moved no state, as ``save_polls`` writes it."""

    pk: int
    state: str  # the state it was read in: the row is written only while it still holds
    next_poll_at: datetime
    poll_failures: int
    request_id: str  # "" keeps the last one


Job = tuple[int | None, str, str]  # (key, endpoint, remote id): one status request


def send_window() -> float:
    """How far ahead a pass of the loop reads the due jobs; each poll still leaves at its own
    due moment. Short, because the pass writes its answers (and sees finished clips) once its
    window is over."""
    return min(0.25, poll_interval() / 20)


def poll_due(
    now: datetime | None = None,
    *,
    client: LTXClient | None = None,
    limit: int = MAX_PER_PASS,
    window: float = 0.0,
) -> PollReport:
    """Poll every PENDING/PROCESSING generation whose next poll is due by ``now`` + ``window``
    seconds, each at its due moment, concurrently, each with the key that submitted it
    (``client``, when given, for all of them). Returns once every answer is written."""
    now = now or timezone.now()
    due = list(
        Generation.objects.filter(state__in=POLLED)
        .filter(Q(next_poll_at__lte=later(now, window)) | Q(next_poll_at__isnull=True))
        .only(*_READ)
        .order_by("next_poll_at")[:limit]
    )
    report = PollReport()
    by_key: defaultdict[int | None, list[Generation]] = defaultdict(list)
    for generation in due:
        by_key[generation.api_key_id].append(generation)
    keys = {} if client else ApiKey.objects.in_bulk([k for k in by_key if k is not None])
    clients: dict[int | None, LTXClient] = {}
    for key in by_key:
        try:
            clients[key] = client or client_for("poll", None if key is None else keys[key])
        except Undecryptable:
            # This key's jobs wait (their next poll stays due); every other key's go on.
            assert key is not None  # LTX_API_KEY is never stored encrypted
            DispatchState.pause_unreadable(key)
    polled = [g for g in due if g.api_key_id in clients]
    outcomes = _send_on_time(polled, clients, now)
    _apply(polled, outcomes, clients, report)
    return report


def _job(generation: Generation) -> Job:
    return (generation.api_key_id, generation.endpoint, generation.remote_id)


def _send_on_time(
    due: Sequence[Generation], clients: dict[int | None, LTXClient], now: datetime
) -> dict[Job, JobStatus | LTXError]:
    """Send each job's poll at its due moment, on the standing poll threads, then wait for
    every answer: a poll leaves on time however many others are due around it."""
    moments: dict[Job, datetime] = {}
    for generation in due:
        job_path(generation.endpoint, generation.remote_id)  # a bad id raises before any request
        moments.setdefault(_job(generation), generation.next_poll_at or now)
    pool = _senders()
    sent: dict[Job, Future[JobStatus | LTXError]] = {}
    for job, moment in sorted(moments.items(), key=lambda item: item[1]):
        wait = (moment - timezone.now()).total_seconds()
        if wait > 0:
            time.sleep(wait)
        sent[job] = pool.submit(_poll_one, clients[job[0]], job[1], job[2])
    return {job: answer.result() for job, answer in sent.items()}


def _poll_one(client: LTXClient, endpoint: str, remote_id: str) -> JobStatus | LTXError:
    try:
        return client.get_status(endpoint, remote_id)
    except LTXError as error:
        return error


_pool: tuple[int, ThreadPoolExecutor] | None = None
_pool_lock = threading.Lock()


def _senders() -> ThreadPoolExecutor:
    """The poll threads: started once per process (a forked worker starts its own), so a pass
    starts no thread."""
    global _pool
    with _pool_lock:
        if _pool is None or _pool[0] != os.getpid():
            threads = ThreadPoolExecutor(MAX_CONNECTIONS, thread_name_prefix="ltx-poll")
            _pool = (os.getpid(), threads)
        return _pool[1]


def _apply(
    due: Sequence[Generation],
    outcomes: dict[Job, JobStatus | LTXError],
    clients: dict[int | None, LTXClient],
    report: PollReport,
) -> None:
    """Write a pass's answers: a transition for each job that moved, one UPDATE for the rest."""
    # A job's next poll counts from the moment its request left. Without that moment (a client
    # built elsewhere), from now: every request of the pass has left by now, so it is safe.
    now = timezone.now()
    report.polled += len(due)
    paused = {key for key in clients if _pause_for_account(key, outcomes)}
    rows: list[PollRow] = []
    moves = _Moves()
    failed: list[tuple[str, LTXError | None]] = []
    with transaction.atomic():
        for generation in due:
            outcome = outcomes.get(_job(generation))
            times = send_times(clients[generation.api_key_id])
            sent = (
                times.pop_poll(generation.endpoint, generation.remote_id) if times else None
            ) or now
            if isinstance(outcome, JobStatus):
                kind = _apply_status(generation, outcome, sent, rows, moves)
            else:
                kind = _apply_failure(generation, outcome, sent, rows)
                if kind == "backoff":
                    failed.append((generation.remote_id, outcome))
            report.changed[kind] = report.changed.get(kind, 0) + 1
        save_polls(rows)
        completed = _save_moves(moves)
    report.failures += len(failed)
    if failed:
        # One line a pass, not one a job: an API that is down fails every poll at once.
        logger.warning(
            "%d of %d polls failed (first: job %s, %s); each job backs off",
            len(failed),
            len(due),
            *failed[0],
        )
    for key, jobs in completed.items():
        if key not in paused and DispatchState.resume_after_completions(
            (g.submitted_at for g in jobs), key=key
        ):
            nudge_dispatcher()


def _pause_for_account(key: int | None, outcomes: dict[Job, JobStatus | LTXError]) -> bool:
    """Pause submitting with ``key`` (once per pass, not once per job) when its polls say the
    account is the problem; True if they did."""
    mine = [outcome for job, outcome in outcomes.items() if job[0] == key]
    account_errors = [e for e in mine if isinstance(e, LTXError) and e.account_level]
    # A job that failed upstream because of the account (no credits, key revoked) says the same
    # as a 402/401 at submit: pause the key instead of failing its queue one by one.
    account_errors += [
        _account_error(outcome)
        for outcome in mine
        if isinstance(outcome, JobStatus)
        and outcome.status == "failed"
        and outcome.error
        and outcome.error.type in ACCOUNT_FAILURES
    ]
    if account_errors:
        DispatchState.pause_for(account_errors[0], key=key)
    return bool(account_errors)


def save_polls(rows: Sequence[PollRow]) -> int:
    """Write every poll of a pass that moved no state in one statement
    (``moves.update_from_values``): its next poll, poll_count + 1, its failures in a row and its
    request id, each row only while it is still in the state it was read in. Nothing a card
    shows changes: no version bump, no event. Returns the number of rows written."""
    return int(
        update_from_values(
            ["id", "state", "next_poll_at", "poll_failures", "last_request_id"],
            [(p.pk, p.state, p.next_poll_at, p.poll_failures, p.request_id or None) for p in rows],
            assign=(
                "{next_poll_at} = {v_next_poll_at}, "
                "{poll_count} = {table}.{poll_count} + 1, {poll_failures} = {v_poll_failures}, "
                "{last_request_id} = COALESCE({v_last_request_id}, {table}.{last_request_id})"
            ),
        )
    )


def _save_moves(moves: _Moves) -> defaultdict[int | None, list[Generation]]:
    """Write the pass's started and finished jobs (``move_many``), enqueue each finished job's
    copy, and return the finished ones by key."""
    move_many(State.PENDING, State.PROCESSING, moves.started)
    completed: defaultdict[int | None, list[Generation]] = defaultdict(list)
    for old, finished in moves.finished.items():
        moved = set(move_many(old, State.REHOSTING, [m for _, m in finished], detail=FINISHED))
        for generation, move in finished:
            if generation.pk in moved:
                for name, value in move.fields.items():
                    setattr(generation, name, value)
                learned(generation)  # the next polls and sends of its kind know how long it took
                completed[generation.api_key_id].append(generation)
    enqueue_each("rehost_generation", [(g.pk,) for jobs in completed.values() for g in jobs])
    return completed


FINISHED = "Finished at LTX; copying the output."


def _account_error(status: JobStatus) -> LTXError:
    failure = status.error
    assert failure is not None
    return error_class_for(failure.type)(
        failure.message or failure.type, request_id=status.request_id, error_type=failure.type
    )


def _apply_status(
    generation: Generation,
    status: JobStatus,
    sent_at: datetime,
    rows: list[PollRow],
    moves: _Moves,
) -> str:
    request_id = status.request_id or ""
    counted: dict[str, Any] = {"poll_count": generation.poll_count + 1, "poll_failures": 0}
    if status.status == "completed":
        completed = status.completed_at or timezone.now()
        fields = {
            "completed_at": completed,
            "retention_ends_at": completed + RETENTION,
            "result_urls": dict(status.result),
            "next_poll_at": None,
            "next_attempt_at": later(timezone.now(), pickup_grace_seconds()),
            "claim_until": None,
            **counted,
        }
        moves.finished[generation.state].append(
            (generation, Move(generation.pk, fields, request_id))
        )
        return "completed"
    if status.status == "failed":
        failure = status.error
        generation.transition(
            State.FAILED,
            request_id=request_id,
            detail=f"{failure.type}: {failure.message}" if failure else "failed",
            error_type=failure.type if failure else ErrorType.API_ERROR,
            error_message=failure.message if failure else "",
            completed_at=status.completed_at,
            **counted,
        )
        return "failed"
    next_poll = next_poll_after(generation, sent_at)
    if status.status == "processing" and generation.state == State.PENDING:
        moves.started.append(
            Move(generation.pk, {"next_poll_at": next_poll, **counted}, request_id)
        )
        return "processing"
    if status.status not in ("pending", "processing"):
        logger.warning("LTX job %s has an unknown status %r", generation.remote_id, status.status)
    # Nothing a card shows has changed: written with the pass's other such polls (save_polls).
    rows.append(PollRow(generation.pk, generation.state, next_poll, 0, request_id))
    return "unchanged"


def _apply_failure(
    generation: Generation, error: LTXError | None, sent_at: datetime, rows: list[PollRow]
) -> str:
    if isinstance(error, NotFoundError):
        generation.transition(
            State.EXPIRED,
            request_id=error.request_id or "",
            detail="LTX answered 404 for this job.",
            error_type=ErrorType.NOT_FOUND,
            error_message="LTX no longer knows this job (404).",
        )
        return "expired"
    if isinstance(error, UnusableResultError):
        # The job finished, but its answer names outputs we refuse to touch: asking again
        # gets the same answer, so the clip fails now instead of being polled for a day.
        generation.transition(
            State.FAILED,
            request_id=error.request_id or "",
            detail=f"{ErrorType.RESULT_UNUSABLE}: {error.message}",
            error_type=ErrorType.RESULT_UNUSABLE,
            error_message=error.message,
            completed_at=timezone.now(),
        )
        return "failed"
    failures = generation.poll_failures + 1
    wait = backoff(failures, base=poll_interval(), cap=max(_BACKOFF_CAP, poll_interval()))
    logger.debug(
        "Poll of LTX job %s failed (%s); next try in %.1f s", generation.remote_id, error, wait
    )
    next_poll = later(sent_at, max(wait, poll_interval()))
    if error is not None and error.retry_after is not None:
        # The server said when to come back (429/503 with Retry-After): never sooner. It counts
        # from its answer, which came after the request left.
        next_poll = max(next_poll, later(timezone.now(), error.retry_after))
    request_id = error.request_id if error and error.request_id else ""
    rows.append(PollRow(generation.pk, generation.state, next_poll, failures, request_id))
    return "backoff"


def next_due(now: datetime | None = None) -> datetime | None:
    """The earliest next_poll_at among in-flight generations."""
    return (
        Generation.objects.filter(state__in=POLLED)
        .order_by("next_poll_at")
        .values_list("next_poll_at", flat=True)
        .first()
    )
