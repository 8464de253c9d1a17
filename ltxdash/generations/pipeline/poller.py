"""Polling every in-flight job that is due, in one concurrent pass.

A job is polled when its ``next_poll_at`` has come, never sooner: each poll sets the next one
to (the moment that poll's request left) + the interval. Where past clips of
the same kind say when this one should finish, a poll that would land shortly before that is
pushed to just after it (never earlier than the interval allows), so a finished clip is seen at
once instead of up to an interval late. A failed poll backs off that job alone.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import F, Q
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
from ltxdash.generations.pipeline.clients import client_for, send_times
from ltxdash.generations.pipeline.taskqueue import enqueue, nudge_dispatcher
from ltxdash.generations.timing import (
    RETENTION,
    backoff,
    later,
    pickup_grace_seconds,
    poll_interval,
)
from ltxdash.ltx.client import JobStatus, LTXClient
from ltxdash.ltx.errors import LTXError, NotFoundError, UnusableResultError, error_class_for

logger = logging.getLogger(__name__)

MAX_PER_PASS = 2000
MAX_CONNECTIONS = 16
_BACKOFF_CAP = 300.0


@dataclass
class PollReport:
    polled: int = 0
    failures: int = 0
    changed: dict[str, int] = field(default_factory=dict)


def poll_due(
    now: datetime | None = None, *, client: LTXClient | None = None, limit: int = MAX_PER_PASS
) -> PollReport:
    """Poll every PENDING/PROCESSING generation whose next poll is due, concurrently, each with
    the key that submitted it (``client``, when given, for all of them)."""
    now = now or timezone.now()
    due = list(
        Generation.objects.filter(state__in=POLLED)
        .filter(Q(next_poll_at__lte=now) | Q(next_poll_at__isnull=True))
        .select_related("api_key")
        .order_by("next_poll_at")[:limit]
    )
    report = PollReport()
    by_key: defaultdict[int | None, list[Generation]] = defaultdict(list)
    for generation in due:
        by_key[generation.api_key_id].append(generation)
    for key, jobs in by_key.items():
        try:
            key_client = client or client_for("poll", jobs[0].api_key)
        except Undecryptable:
            # This key's jobs wait (their next poll stays due); every other key's go on.
            assert key is not None  # LTX_API_KEY is never stored encrypted
            DispatchState.pause_unreadable(key)
            continue
        _poll_jobs(jobs, key_client, report, key=key)
    return report


def _poll_jobs(
    due: list[Generation], client: LTXClient, report: PollReport, *, key: int | None
) -> None:
    outcomes = client.poll_many(
        [(g.endpoint, g.remote_id) for g in due], max_connections=MAX_CONNECTIONS
    )
    # A job's next poll counts from the moment its request left. Without that moment (a client
    # built elsewhere), from now: every request of the pass has left by now, so it is safe.
    times = send_times(client)
    now = timezone.now()
    report.polled += len(due)
    account_errors = [e for e in outcomes.values() if isinstance(e, LTXError) and e.account_level]
    # A job that failed upstream because of the account (no credits, key revoked) says the same
    # as a 402/401 at submit: pause the key, once per pass, instead of failing its queue one by
    # one.
    account_errors += [
        _account_error(outcome)
        for outcome in outcomes.values()
        if isinstance(outcome, JobStatus)
        and outcome.status == "failed"
        and outcome.error
        and outcome.error.type in ACCOUNT_FAILURES
    ]
    if account_errors:
        # A revoked key shows on every poll: pause submitting once, not once per job.
        DispatchState.pause_for(account_errors[0], key=key)
    completed = []
    with transaction.atomic():
        for generation in due:
            outcome = outcomes.get(generation.remote_id)
            sent = (
                times.pop_poll(generation.endpoint, generation.remote_id) if times else None
            ) or now
            if isinstance(outcome, JobStatus):
                kind = _apply_status(generation, outcome, sent)
            else:
                kind = _apply_failure(generation, outcome, sent)
                report.failures += kind == "backoff"
            report.changed[kind] = report.changed.get(kind, 0) + 1
            if kind == "completed":
                completed.append(generation)
    if (
        completed
        and not account_errors
        and DispatchState.resume_after_completions((g.submitted_at for g in completed), key=key)
    ):
        nudge_dispatcher()


def _account_error(status: JobStatus) -> LTXError:
    failure = status.error
    assert failure is not None
    return error_class_for(failure.type)(
        failure.message or failure.type, request_id=status.request_id, error_type=failure.type
    )


def _apply_status(generation: Generation, status: JobStatus, sent_at: datetime) -> str:
    request_id = status.request_id or ""
    counted: dict[str, Any] = {"poll_count": generation.poll_count + 1, "poll_failures": 0}
    if status.status == "completed":
        completed = status.completed_at or timezone.now()
        moved = generation.transition(
            State.REHOSTING,
            request_id=request_id,
            detail="Finished at LTX; copying the output.",
            completed_at=completed,
            retention_ends_at=completed + RETENTION,
            result_urls=dict(status.result),
            next_poll_at=None,
            next_attempt_at=later(timezone.now(), pickup_grace_seconds()),
            claim_until=None,
            **counted,
        )
        if moved:
            enqueue("rehost_generation", generation.pk)
            learned(generation)  # the next polls and sends of its kind know how long it took
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
        generation.transition(
            State.PROCESSING, request_id=request_id, next_poll_at=next_poll, **counted
        )
        return "processing"
    if status.status not in ("pending", "processing"):
        logger.warning("LTX job %s has an unknown status %r", generation.remote_id, status.status)
    # Nothing a card shows has changed: no version bump, no event.
    Generation.objects.filter(pk=generation.pk, state=generation.state).update(
        next_poll_at=next_poll,
        poll_count=F("poll_count") + 1,
        poll_failures=0,
        last_request_id=request_id or F("last_request_id"),
    )
    return "unchanged"


def _apply_failure(generation: Generation, error: LTXError | None, sent_at: datetime) -> str:
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
    logger.warning(
        "Poll of LTX job %s failed (%s); next try in %.1f s", generation.remote_id, error, wait
    )
    next_poll = later(sent_at, max(wait, poll_interval()))
    if error is not None and error.retry_after is not None:
        # The server said when to come back (429/503 with Retry-After): never sooner. It counts
        # from its answer, which came after the request left.
        next_poll = max(next_poll, later(timezone.now(), error.retry_after))
    Generation.objects.filter(pk=generation.pk, state=generation.state).update(
        poll_failures=failures,
        poll_count=F("poll_count") + 1,
        next_poll_at=next_poll,
        last_request_id=(error.request_id if error and error.request_id else F("last_request_id")),
    )
    return "backoff"


def next_due(now: datetime | None = None) -> datetime | None:
    """The earliest next_poll_at among in-flight generations."""
    return (
        Generation.objects.filter(state__in=POLLED)
        .order_by("next_poll_at")
        .values_list("next_poll_at", flat=True)
        .first()
    )
