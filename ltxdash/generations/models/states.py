"""A generation's states and every rule that follows from a state alone: where it may move,
what a user may do to it (retry, copy again, cancel), its colour, and how a toast says it ended.

Views, cards, the admin and the pipeline all ask here (or the ``Generation`` properties that
wrap these), so a rule has one home.
"""

from __future__ import annotations

from enum import StrEnum

from django.db import models

from ltxdash.ltx import errors


class State(models.TextChoices):
    # Over a spending rule (spend/budgets.py): an admin approves (QUEUED) or declines it.
    AWAITING_APPROVAL = "awaiting_approval", "Awaiting approval"
    QUEUED = "queued", "Queued"
    SUBMITTING = "submitting", "Submitting"
    PENDING = "pending", "Waiting at LTX"
    PROCESSING = "processing", "Generating"
    REHOSTING = "rehosting", "Saving"
    READY = "ready", "Ready"
    REJECTED = "rejected", "Rejected"
    FAILED = "failed", "Failed"
    EXPIRED = "expired", "Expired"
    CANCELED = "canceled", "Canceled"
    UNKNOWN = "unknown", "Outcome unknown"
    DECLINED = "declined", "Declined"


# Which states each state may move to. Anything else is a bug and raises IllegalTransition.
TRANSITIONS: dict[str, frozenset[str]] = {
    State.AWAITING_APPROVAL: frozenset({State.QUEUED, State.DECLINED, State.CANCELED}),
    State.QUEUED: frozenset({State.SUBMITTING, State.CANCELED}),
    # Back to QUEUED only when the API certainly created nothing (429, connect error, 5xx).
    State.SUBMITTING: frozenset(
        {State.PENDING, State.QUEUED, State.REJECTED, State.UNKNOWN, State.FAILED}
    ),
    State.PENDING: frozenset({State.PROCESSING, State.REHOSTING, State.FAILED, State.EXPIRED}),
    State.PROCESSING: frozenset({State.REHOSTING, State.FAILED, State.EXPIRED}),
    # FAILED: the copy can never be made (the output is over our size limit, its link refused).
    State.REHOSTING: frozenset({State.READY, State.EXPIRED, State.FAILED}),
    # "Copy again" (admin): fetch the output once more while the API still keeps it.
    State.READY: frozenset({State.REHOSTING}),
    State.EXPIRED: frozenset({State.REHOSTING}),
    State.REJECTED: frozenset(),
    State.FAILED: frozenset(),
    State.CANCELED: frozenset(),
    State.UNKNOWN: frozenset(),
    State.DECLINED: frozenset(),
}

IN_FLIGHT = frozenset({State.SUBMITTING, State.PENDING, State.PROCESSING})  # count upstream
POLLED = frozenset({State.PENDING, State.PROCESSING})  # the API has the job: poll it
# A live card (and what counts against LTXDASH_MAX_ACTIVE_PER_USER).
ACTIVE = frozenset({State.AWAITING_APPROVAL, State.QUEUED, *IN_FLIGHT, State.REHOSTING})
TERMINAL = frozenset(
    {
        State.READY,
        State.REJECTED,
        State.FAILED,
        State.EXPIRED,
        State.CANCELED,
        State.UNKNOWN,
        State.DECLINED,
    }
)
PROBLEMS = frozenset({State.REJECTED, State.FAILED, State.EXPIRED, State.UNKNOWN})
# A new clip with the same settings and inputs can be made from these ("resubmit" of unknown).
RETRYABLE = frozenset(
    {State.REJECTED, State.FAILED, State.EXPIRED, State.UNKNOWN, State.CANCELED, State.DECLINED}
)
# The output can be fetched once more while the API still keeps the job.
COPYABLE = frozenset({State.READY, State.EXPIRED})
# Only what has not been sent can be canceled: the API has no cancel endpoint.
CANCELABLE = frozenset({State.AWAITING_APPROVAL, State.QUEUED})

# The timestamp each state sets when it is entered (first entry wins for submitted_at etc.).
ENTERED_AT: dict[str, str] = {
    State.SUBMITTING: "submit_started_at",
    State.PENDING: "submitted_at",
    State.PROCESSING: "processing_at",
    State.REHOSTING: "completed_at",
    State.READY: "ready_at",
}

# The one colour table: a card's tone and a pill's colour everywhere (CSS: tone-*, pill-*).
# Green done, blue under way, amber lost to time (nothing was wrong with the request), red a
# problem, grey waiting or canceled.
TONES: dict[str, str] = {
    State.AWAITING_APPROVAL: "warn",
    State.QUEUED: "muted",
    State.SUBMITTING: "info",
    State.PENDING: "info",
    State.PROCESSING: "info",
    State.REHOSTING: "info",
    State.READY: "ok",
    State.CANCELED: "muted",
    State.EXPIRED: "warn",
    State.REJECTED: "bad",
    State.FAILED: "bad",
    State.UNKNOWN: "bad",
    State.DECLINED: "muted",
}

# How a toast says a clip ended: "Text → Video #3 is ready", "... failed", "... ended".
FINISHED_PHRASES: dict[str, str] = {
    State.READY: "is ready",
    State.FAILED: "failed",
    State.REJECTED: "was refused",
    State.EXPIRED: "expired",
    State.CANCELED: "was canceled",
    State.UNKNOWN: "may not have been sent",
    State.DECLINED: "was declined",
}


class IllegalTransition(Exception):
    pass


class ErrorType(StrEnum):
    """``Generation.error_type`` values the pipeline sets itself, and the API's own types that
    the pipeline acts on by name (the rest of the API's ``error.type`` values are stored as
    they come)."""

    INPUT_MISSING = "input_missing"
    UPLOAD_FAILED = "upload_failed"
    RETENTION_ENDED = "retention_ended"
    OUTCOME_UNKNOWN = "outcome_unknown"
    WORKER_LOST = "worker_lost"  # a worker died after sending the submit
    GAVE_UP = "submit_gave_up"  # LTX kept failing (5xx, network) for too many attempts in a row
    OUTPUT_TOO_LARGE = "output_too_large"  # the copy would exceed LTXDASH_MAX_OUTPUT_BYTES
    OUTPUT_REFUSED = "output_refused"  # the output link is unusable or its host refuses it
    # The output link points at an address we never fetch from (loopback, private, metadata...).
    OUTPUT_HOST_REFUSED = "output_host_refused"
    # The output's content is not the media type its endpoint documents (HTML as a "video").
    OUTPUT_WRONG_TYPE = "output_wrong_type"
    # The API's answer names an output with a key we refuse to build a file name from.
    RESULT_UNUSABLE = errors.UnusableResultError.error_type
    # The API's (spelled once, in ltx/errors.py), named here because the pipeline or the words
    # depend on them.
    INVALID_REQUEST = errors.InvalidRequestError.error_type
    NOT_FOUND = errors.NotFoundError.error_type
    API_ERROR = errors.APIError.error_type
    CONTENT_FILTERED = errors.ContentFilteredError.error_type
    INSUFFICIENT_FUNDS = errors.InsufficientFundsError.error_type
    AUTHENTICATION = errors.AuthenticationError.error_type


# Failures that the same request would meet again: their retry opens the form prefilled.
NEEDS_EDIT = frozenset({ErrorType.CONTENT_FILTERED, ErrorType.INVALID_REQUEST, "request_too_large"})


def stamp(version: int, state: str, position: int | None = None) -> str:
    """What a status card carries to say which version of a clip it shows:
    ``version.state[.queue position]``. ``version`` is bumped on every change a card shows; the
    queue position moves without a change to the row, so it is part of the stamp too."""
    base = f"{version}.{state}"
    return f"{base}.{position}" if position is not None else base


def state_of_stamp(value: str) -> str:
    parts = value.split(".")
    return parts[1] if len(parts) > 1 else ""
