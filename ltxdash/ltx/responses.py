"""Typed results of LTX API calls, and the code that reads them from HTTP responses.

Shapes follow the API's OpenAPI spec (``V2JobCreatedResponse``, ``V2JobStatusResponse``,
``UploadResponse``; docs.ltx.video/async-jobs). Reading is lenient where a field is only
informative (timestamps) and strict where a wrong value would mislead the pipeline (a job id
that is not the one asked for, a completed job without any URL). Every problem surfaces as an
``LTXError`` subclass, never as a ``KeyError`` or ``TypeError``.

Everything in an answer is untrusted input. A result key is a name we build file names from, so
it must be a plain name (:data:`RESULT_KEY`, checked by :func:`check_result`, the one place that
rule lives): a ``JobStatus`` carries only valid keys, and an answer with any other key is an
``UnusableResultError``, which fails the clip. Texts meant for people go through ``text.py``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeGuard
from urllib.parse import urlsplit

import httpx

from ltxdash.ltx import text
from ltxdash.ltx.errors import InvalidResponseError, OutcomeUnknownError, UnusableResultError

ENDPOINTS = frozenset(
    {
        "text-to-video",
        "image-to-video",
        "audio-to-video",
        "retake",
        "extend",
        "video-to-video-hdr",
        "video-to-video-reframe",
    }
)
JOB_STATUSES = frozenset({"pending", "processing", "completed", "failed"})
TERMINAL_STATUSES = frozenset({"completed", "failed"})

# What a result key (``video_url``, ``exr_frames_url``) may be: it becomes part of stored names.
RESULT_KEY = re.compile(r"[a-z][a-z0-9_]{0,63}")
# Longer result URLs are not pre-signed links but junk (and would be stored on the row).
MAX_RESULT_URL_CHARS = 8192
_HEADER_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_LONG_FRACTION = re.compile(r"(\.\d{6})\d+")


@dataclass(frozen=True)
class SubmittedJob:
    id: str
    created_at: datetime
    request_id: str | None


@dataclass(frozen=True)
class JobFailure:
    """Why a job failed upstream; ``type`` uses the same values as HTTP error types."""

    type: str
    message: str


@dataclass(frozen=True)
class JobStatus:
    id: str
    status: str  # one of JOB_STATUSES
    created_at: datetime | None
    completed_at: datetime | None
    result: dict[str, str]  # output label -> URL (``video_url``, ``exr_frames_url``, ...)
    error: JobFailure | None
    request_id: str | None

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL_STATUSES


@dataclass(frozen=True)
class UploadTarget:
    upload_url: str
    storage_uri: str
    expires_at: datetime | None
    required_headers: dict[str, str]


def parse_timestamp(value: object) -> datetime | None:
    """An aware datetime from an ISO-8601 string (``2026-01-15T10:00:00.000Z`` and kin), or None."""
    if not isinstance(value, str) or len(value) > 64:
        return None
    text = value.strip()
    if text[-1:] in ("Z", "z"):
        text = text[:-1] + "+00:00"
    text = _LONG_FRACTION.sub(r"\1", text)  # nanoseconds -> microseconds
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def request_id_of(response: httpx.Response) -> str | None:
    return text.request_id(response.headers.get("x-request-id"))


def check_result(raw: object) -> dict[str, str]:
    """A job's ``result`` as label -> URL, every key a :data:`RESULT_KEY`; entries whose value
    is not a string are left out. UnusableResultError (no key text in it: the key is the
    attacker's) when a key is not a plain name or a URL is absurdly long."""
    if not isinstance(raw, dict):
        return {}
    result: dict[str, str] = {}
    for key, value in raw.items():
        if not (isinstance(key, str) and RESULT_KEY.fullmatch(key)):
            raise UnusableResultError(
                "the result names an output with a key that is not a plain name (lower-case "
                "letters, digits and _, at most 64 characters)"
            )
        if isinstance(value, str) and len(value) > MAX_RESULT_URL_CHARS:
            raise UnusableResultError(
                f"the result URL of {key} is over {MAX_RESULT_URL_CHARS} chars"
            )
        if isinstance(value, str) and value:
            result[key] = value
    return result


def _json_object(response: httpx.Response, what: str) -> dict[str, Any]:
    try:
        body = json.loads(response.content)
    except (ValueError, RecursionError):
        body = None
    if not isinstance(body, dict):
        raise InvalidResponseError(
            f"{what}: expected a JSON object, got {_describe_body(response)}",
            status=response.status_code,
            request_id=request_id_of(response),
        )
    return body


def _describe_body(response: httpx.Response) -> str:
    content_type = response.headers.get("content-type", "no content type")
    return f"{len(response.content)} bytes of {content_type}"


def parse_submitted_job(response: httpx.Response) -> SubmittedJob:
    """Read ``{"id", "created_at"}`` from a successful submit.

    A success status with no readable job id means a job probably exists but cannot be tracked,
    which is the same situation as a lost answer: ``OutcomeUnknownError``.
    """
    try:
        body = _json_object(response, "submit answer")
    except InvalidResponseError as error:
        raise OutcomeUnknownError(
            f"the API accepted the job but its answer is unreadable ({error.message})",
            status=error.status,
            request_id=error.request_id,
        ) from error
    job_id = body.get("id")
    if not _usable_job_id(job_id):
        # Polling it later would fail; better to say now that this job cannot be followed.
        raise OutcomeUnknownError(
            "the API accepted the job but its answer has no usable job id",
            status=response.status_code,
            request_id=request_id_of(response),
        )
    created_at = parse_timestamp(body.get("created_at")) or datetime.now(UTC)
    return SubmittedJob(id=job_id, created_at=created_at, request_id=request_id_of(response))


def _job_failure(raw: object) -> JobFailure:
    if isinstance(raw, dict):
        error_type, message = raw.get("type"), raw.get("message")
    else:
        error_type, message = None, raw
    shown = text.clean(message) if isinstance(message, str) else ""
    return JobFailure(
        type=text.error_type(error_type) or "unknown_error",
        message=shown or "no reason given",
    )


def parse_job_status(response: httpx.Response, job_id: str) -> JobStatus:
    """Read a ``V2JobStatusResponse`` for ``job_id``; InvalidResponseError when it is unusable."""
    body = _json_object(response, "job status")
    request_id = request_id_of(response)

    def invalid(problem: str) -> InvalidResponseError:
        return InvalidResponseError(
            f"job status: {problem}", status=response.status_code, request_id=request_id
        )

    status = body.get("status")
    if not isinstance(status, str) or status not in JOB_STATUSES:
        raise invalid(f"unknown status {str(status)[:80]!r}")
    answered_id = body.get("id", job_id)
    if answered_id != job_id:
        # Recording another job's outputs under this one would be worse than failing the poll.
        raise invalid(f"asked for job {job_id!r}, got {str(answered_id)[:80]!r}")
    result: dict[str, str] = {}
    if status == "completed":
        try:
            result = check_result(body.get("result"))
        except UnusableResultError as error:
            raise UnusableResultError(
                f"job status: {error.message}", status=response.status_code, request_id=request_id
            ) from None
        if not result:
            raise invalid("completed without any result URL")
    return JobStatus(
        id=job_id,
        status=status,
        created_at=parse_timestamp(body.get("created_at")),
        completed_at=parse_timestamp(body.get("completed_at")),
        result=result,
        error=_job_failure(body.get("error")) if status == "failed" else None,
        request_id=request_id,
    )


def parse_upload_target(response: httpx.Response) -> UploadTarget:
    """Read an ``UploadResponse``, refusing anything that could not be PUT as given."""
    body = _json_object(response, "upload answer")

    def invalid(problem: str) -> InvalidResponseError:
        return InvalidResponseError(
            f"upload answer: {problem}",
            status=response.status_code,
            request_id=request_id_of(response),
        )

    upload_url, storage_uri = body.get("upload_url"), body.get("storage_uri")
    if not isinstance(upload_url, str) or not upload_url.startswith(("https://", "http://")):
        raise invalid("upload_url is not an http(s) URL")
    try:
        valid = bool(httpx.URL(upload_url).host and urlsplit(upload_url).hostname)
    except (httpx.InvalidURL, ValueError):
        valid = False
    if not valid:
        raise invalid("upload_url is not a valid URL")
    if not isinstance(storage_uri, str) or not storage_uri.strip():
        raise invalid("storage_uri is missing")
    raw_headers = body.get("required_headers", {})
    if not isinstance(raw_headers, dict):
        raise invalid("required_headers is not an object")
    headers: dict[str, str] = {}
    for name, value in raw_headers.items():
        if isinstance(value, int | float) and not isinstance(value, bool):
            value = str(value)
        if not (
            _HEADER_NAME.fullmatch(name)
            and isinstance(value, str)
            and value.isascii()
            and value.isprintable()
        ):
            raise invalid(f"required header {name[:40]!r} cannot be sent")
        headers[name] = value
    return UploadTarget(
        upload_url=upload_url,
        storage_uri=storage_uri,
        expires_at=parse_timestamp(body.get("expires_at")),
        required_headers=headers,
    )


def check_endpoint(endpoint: str) -> str:
    if endpoint not in ENDPOINTS:
        raise ValueError(f"unknown LTX endpoint {endpoint!r}; expected one of {sorted(ENDPOINTS)}")
    return endpoint


def _usable_job_id(job_id: object) -> TypeGuard[str]:
    """One printable path segment: what ``GET /v2/{endpoint}/{id}`` can carry."""
    return (
        isinstance(job_id, str)
        and 0 < len(job_id) <= 200
        and job_id.strip() not in ("", ".", "..")
        and job_id.isprintable()
        and "/" not in job_id
    )


def check_job_id(job_id: str) -> str:
    if not _usable_job_id(job_id):
        raise ValueError(f"not a usable job id: {str(job_id)[:80]!r}")
    return job_id
