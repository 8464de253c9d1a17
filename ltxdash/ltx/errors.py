"""Exceptions raised by the LTX client, one class per documented error type.

The API answers every failure with ``{"type": "error", "error": {"type": ..., "message": ...}}``
(the OpenAPI ``Error`` schema); the async-jobs page shows the flat ``{"type", "message"}`` shape,
which is also what a failed job carries. Both are read here. Callers switch on the class (or on
``error_type``), never on the status code: two different 429s exist (docs.ltx.io/errors,
docs.ltx.video/rate-limits).

Every exception carries ``status``, ``request_id`` (``x-request-id``, for LTX support) and
``retry_after`` when the server sent one. Nothing here ever sees the API key. Messages are
cleaned and capped on the way in (``text.clean``): they end up on status cards. A remote body
is never quoted: only the ``message`` of a JSON error object, which the spec means for people.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from http import HTTPStatus
from typing import Any

import httpx

from ltxdash.ltx import text


class LTXError(Exception):
    """Base class. ``retryable`` says whether the same request may succeed if sent again later."""

    error_type: str = "ltx_error"
    retryable: bool = False
    # Errors about the account rather than the request: the dispatcher stops submitting on these.
    account_level: bool = False

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        request_id: str | None = None,
        retry_after: float | None = None,
        error_type: str | None = None,
    ) -> None:
        message = text.clean(message)
        super().__init__(message)
        self.message = message
        self.status = status
        self.request_id = text.request_id(request_id)
        self.retry_after = retry_after
        if error_type is not None:
            self.error_type = error_type

    def __str__(self) -> str:
        details = []
        if self.status is not None:
            details.append(f"HTTP {self.status}")
        if self.request_id:
            details.append(f"request id {self.request_id}")
        if self.retry_after is not None:
            details.append(f"retry after {self.retry_after:g}s")
        suffix = f" ({', '.join(details)})" if details else ""
        return f"[{self.error_type}] {self.message}{suffix}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self)!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        # Keyword-only attributes do not survive Exception's default pickling; task queues pickle.
        return (_rebuild, (type(self), self.message, self.__dict__.copy()))


def _rebuild(cls: type[LTXError], message: str, state: dict[str, Any]) -> LTXError:
    error = cls.__new__(cls)
    Exception.__init__(error, message)
    error.__dict__.update(state)
    return error


class InvalidRequestError(LTXError):
    """400: bad or missing parameters, or an unsupported model/resolution/fps/duration."""

    error_type = "invalid_request_error"


class AuthenticationError(LTXError):
    """401: missing, invalid or expired API key. A 403 is read the same way (Lightricks' LTX
    Desktop 1.3 does so): the key is refused, whatever the body calls it."""

    error_type = "authentication_error"
    account_level = True


class InsufficientFundsError(LTXError):
    """402: not enough credits. Can also arrive later as a failed job's ``error.type``."""

    error_type = "insufficient_funds_error"
    account_level = True


class NotFoundError(LTXError):
    """404: the job id is unknown, or its 24-hour retention has ended."""

    error_type = "not_found_error"


class RequestTooLargeError(LTXError):
    """413: the payload is over the byte limit (use the upload flow instead of data URIs)."""

    error_type = "request_too_large"


class ContentFilteredError(LTXError):
    """422: the prompt or an input was rejected by the safety filters."""

    error_type = "content_filtered_error"


class RateLimitError(LTXError):
    """429: too many requests in the current window; wait ``retry_after``."""

    error_type = "rate_limit_error"
    retryable = True


class ConcurrencyLimitError(LTXError):
    """429: too many generations running at once for this account; wait ``retry_after``."""

    error_type = "concurrency_limit_error"
    retryable = True


class APIError(LTXError):
    """500: unexpected server error."""

    error_type = "api_error"
    retryable = True


class ServiceUnavailableError(LTXError):
    """503: the API is temporarily unavailable."""

    error_type = "service_unavailable"
    retryable = True


class OverloadedError(LTXError):
    """529: the API is temporarily overloaded."""

    error_type = "overloaded_error"
    retryable = True


class UnknownAPIError(LTXError):
    """An error type (or status) this client does not know; retryable when the status says so."""

    error_type = "unknown_error"

    def __init__(self, message: str, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        status = self.status
        self.retryable = status is not None and (status >= 500 or status == 429)


class InvalidResponseError(LTXError):
    """A success status whose body is not JSON, or not the documented shape."""

    error_type = "invalid_response"


class UnusableResultError(InvalidResponseError):
    """A completed job's ``result`` names an output we refuse to touch: a key that is not a
    plain name (``video_url``), or a URL that is not a string of sane length. Asking again will
    not change the answer, so the clip fails."""

    error_type = "result_unusable"


class NetworkError(LTXError):
    """Connecting, sending or reading failed before a complete answer arrived."""

    error_type = "network_error"
    retryable = True


class OutcomeUnknownError(LTXError):
    """The submit request reached the API but no usable answer came back.

    A job may or may not exist (and may be billed). The API has no idempotency key, so sending
    the request again could create a second paid job: a person has to decide.
    """

    error_type = "outcome_unknown"


class DownloadError(LTXError):
    """An output could not be copied: truncated, too large, too slow, or refused by its host.

    ``reason`` is one of ``truncated``, ``too_large``, ``deadline``, ``http_status``,
    ``network``, ``invalid_url`` or ``refused_target`` (the URL or a redirect points at an
    address the egress policy refuses: ``egress.py``). Instances whose cause cannot go away by
    retrying (``too_large``, ``invalid_url``, ``refused_target``, a 4xx other than 429) have
    ``retryable`` set to False.
    """

    error_type = "download_error"
    retryable = True

    def __init__(self, message: str, *, reason: str, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.reason = reason
        status = self.status
        if reason in ("too_large", "invalid_url", "refused_target") or (
            reason == "http_status" and status is not None and status < 500 and status != 429
        ):
            self.retryable = False


_BY_TYPE: dict[str, type[LTXError]] = {
    cls.error_type: cls
    for cls in (
        InvalidRequestError,
        AuthenticationError,
        InsufficientFundsError,
        NotFoundError,
        RequestTooLargeError,
        ContentFilteredError,
        RateLimitError,
        ConcurrencyLimitError,
        APIError,
        ServiceUnavailableError,
        OverloadedError,
    )
}

# Used only when the body names no type (an HTML page from a proxy, an empty body ...).
# 429 defaults to the request-rate limit: without a type the two limits look the same.
_BY_STATUS: dict[int, type[LTXError]] = {
    400: InvalidRequestError,
    401: AuthenticationError,
    402: InsufficientFundsError,
    403: AuthenticationError,
    404: NotFoundError,
    413: RequestTooLargeError,
    422: ContentFilteredError,
    429: RateLimitError,
    500: APIError,
    503: ServiceUnavailableError,
    529: OverloadedError,
}


def error_class_for(error_type: str) -> type[LTXError]:
    """The exception class for a documented ``error.type``; ``UnknownAPIError`` otherwise."""
    return _BY_TYPE.get(error_type, UnknownAPIError)


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: delta-seconds or an HTTP-date.

    Returns None for a missing or unreadable value, and never a negative number.
    """
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return max(0.0, seconds) if math.isfinite(seconds) else None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:  # RFC 9110 dates are GMT
        when = when.replace(tzinfo=UTC)
    now = now or datetime.now(UTC)
    return max(0.0, (when - now).total_seconds())


def describe_exception(exc: BaseException) -> str:
    """``"ReadTimeout: timed out"``: an exception's class and text, for error messages."""
    said = str(exc)
    return f"{type(exc).__name__}: {said}" if said else type(exc).__name__


def _type_and_message(body: object) -> tuple[str | None, str | None]:
    """Read ``(type, message)`` from either documented error shape, tolerating partial bodies."""
    if not isinstance(body, dict):
        return None, None
    inner = body.get("error")
    if isinstance(inner, dict):  # {"type": "error", "error": {"type", "message"}}
        error_type, message = inner.get("type"), inner.get("message")
    else:  # flat {"type", "message"}; "type": "error" alone names no error type
        error_type, message = body.get("type"), body.get("message")
        if error_type == "error":
            error_type = None
        if message is None and isinstance(inner, str):
            message = inner
    if message is None:
        message = body.get("detail")
    return (
        text.error_type(error_type),
        message if isinstance(message, str) and message.strip() else None,
    )


def error_from_response(response: httpx.Response, *, from_api: bool = True) -> LTXError:
    """Build the matching exception for an error response whose body has been read.

    ``from_api`` False: the answer of another host (an upload's storage), whose 403 says
    nothing about the API key."""
    status = response.status_code
    request_id = text.request_id(response.headers.get("x-request-id"))
    retry_after = parse_retry_after(response.headers.get("retry-after"))
    try:
        body: object = json.loads(response.content)
    except (ValueError, UnicodeDecodeError, RecursionError):
        body = None
    error_type, message = _type_and_message(body)

    if error_type is not None:
        cls = error_class_for(error_type)
    elif from_api or status != 403:
        cls = _BY_STATUS.get(status, UnknownAPIError)
    else:
        cls = UnknownAPIError
    if status == 403 and from_api and cls is UnknownAPIError:
        # A refused key under a type of its own ("permission_error", ...): it pauses the key
        # like a 401, and the pause names it the way the rules know (authentication_error).
        cls, error_type = AuthenticationError, None
    if message is None:  # an HTML page from a proxy, an empty body: never quoted
        try:
            message = f"HTTP {status} {HTTPStatus(status).phrase}"
        except ValueError:
            message = f"HTTP {status}"
    return cls(
        message,
        status=status,
        request_id=request_id,
        retry_after=retry_after,
        error_type=error_type or cls.error_type,
    )
