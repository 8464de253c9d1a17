import json
import pickle
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from ltxdash.ltx import errors
from ltxdash.ltx.errors import (
    DownloadError,
    LTXError,
    UnknownAPIError,
    error_class_for,
    error_from_response,
    parse_retry_after,
)

# (status, type, class, retryable, account_level): every type the LTX docs list.
DOCUMENTED = [
    (400, "invalid_request_error", errors.InvalidRequestError, False, False),
    (401, "authentication_error", errors.AuthenticationError, False, True),
    (402, "insufficient_funds_error", errors.InsufficientFundsError, False, True),
    (404, "not_found_error", errors.NotFoundError, False, False),
    (413, "request_too_large", errors.RequestTooLargeError, False, False),
    (422, "content_filtered_error", errors.ContentFilteredError, False, False),
    (429, "rate_limit_error", errors.RateLimitError, True, False),
    (429, "concurrency_limit_error", errors.ConcurrencyLimitError, True, False),
    (500, "api_error", errors.APIError, True, False),
    (503, "service_unavailable", errors.ServiceUnavailableError, True, False),
    (529, "overloaded_error", errors.OverloadedError, True, False),
]


def json_response(status, body, **headers):
    return httpx.Response(
        status,
        content=json.dumps(body).encode(),
        headers={"content-type": "application/json", **headers},
    )


@pytest.mark.parametrize(("status", "error_type", "cls", "retryable", "account"), DOCUMENTED)
def test_it_maps_each_documented_envelope_to_its_class(status, error_type, cls, retryable, account):
    response = json_response(
        status,
        {"type": "error", "error": {"type": error_type, "message": "Something specific"}},
        **{"x-request-id": "req-123"},
    )

    error = error_from_response(response)

    assert type(error) is cls
    assert error_class_for(error_type) is cls
    assert (error.error_type, error.status, error.request_id) == (error_type, status, "req-123")
    assert error.message == "Something specific"
    assert error.retryable is retryable
    assert error.account_level is account


@pytest.mark.parametrize(("status", "error_type", "cls", "retryable", "account"), DOCUMENTED)
def test_it_reads_the_flat_error_shape_too(status, error_type, cls, retryable, account):
    error = error_from_response(
        json_response(status, {"type": error_type, "message": "Flat message"})
    )

    assert type(error) is cls
    assert error.message == "Flat message"


def test_it_trusts_the_type_over_the_status_code():
    # Both limits answer 429; only the type tells them apart.
    error = error_from_response(
        json_response(
            429,
            {
                "type": "error",
                "error": {
                    "type": "concurrency_limit_error",
                    "message": "Too many concurrent requests",
                },
            },
        )
    )
    assert isinstance(error, errors.ConcurrencyLimitError)


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, errors.InvalidRequestError),
        (401, errors.AuthenticationError),
        (402, errors.InsufficientFundsError),
        (404, errors.NotFoundError),
        (413, errors.RequestTooLargeError),
        (422, errors.ContentFilteredError),
        (429, errors.RateLimitError),
        (500, errors.APIError),
        (503, errors.ServiceUnavailableError),
        (529, errors.OverloadedError),
    ],
)
def test_it_falls_back_to_the_status_code_when_the_type_is_missing(status, cls):
    error = error_from_response(json_response(status, {"message": "no type here"}))

    assert type(error) is cls
    assert error.message == "no type here"
    assert error.error_type == cls.error_type


def test_it_classifies_a_non_json_proxy_page_by_status_and_never_quotes_it():
    response = httpx.Response(
        503,
        content=b"<html><body>Service down</body></html>",
        headers={"content-type": "text/html"},
    )

    error = error_from_response(response)

    assert isinstance(error, errors.ServiceUnavailableError)
    assert error.retryable
    assert error.message == "HTTP 503 Service Unavailable"  # the page itself is not shown


@pytest.mark.parametrize(
    ("status", "retryable"), [(500, True), (502, True), (429, True), (418, False), (410, False)]
)
def test_it_keeps_an_unknown_type_and_decides_retrying_by_status(status, retryable):
    error = error_from_response(
        json_response(
            status, {"type": "error", "error": {"type": "brand_new_error", "message": "?"}}
        )
    )

    assert type(error) is UnknownAPIError
    assert error.error_type == "brand_new_error"
    assert error.retryable is retryable
    assert error_class_for("brand_new_error") is UnknownAPIError


def test_it_handles_an_unknown_status_with_an_empty_body():
    error = error_from_response(httpx.Response(504))

    assert type(error) is UnknownAPIError
    assert error.retryable
    assert error.message.startswith("HTTP 504")


def test_it_cuts_very_long_messages():
    error = error_from_response(httpx.Response(500, content=b"x" * 50_000))

    assert len(error.message) <= 500


def test_it_reads_retry_after_in_seconds():
    error = error_from_response(
        json_response(
            429,
            {"type": "error", "error": {"type": "rate_limit_error", "message": "slow down"}},
            **{"retry-after": "17"},
        )
    )
    assert error.retry_after == 17.0


def test_it_reads_retry_after_as_an_http_date():
    when = datetime.now(UTC) + timedelta(seconds=30)
    seconds = parse_retry_after(format_datetime(when, usegmt=True))

    assert seconds is not None and 27 <= seconds <= 30


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("", None),
        ("soon", None),
        ("-5", 0.0),
        ("1.5", 1.5),
        ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0),
        ("nan", None),
        ("inf", None),
    ],
)
def test_it_reads_retry_after_leniently(value, expected):
    assert parse_retry_after(value) == expected


def test_it_describes_itself_with_type_status_and_request_id():
    error = errors.RateLimitError(
        "Too many requests", status=429, request_id="abc123", retry_after=3
    )

    assert (
        str(error)
        == "[rate_limit_error] Too many requests (HTTP 429, request id abc123, retry after 3s)"
    )
    assert "RateLimitError" in repr(error)


def test_it_survives_pickling_with_its_details():
    error = errors.ConcurrencyLimitError("busy", status=429, request_id="r1", retry_after=2.5)
    restored = pickle.loads(pickle.dumps(error))  # noqa: S301 (our own bytes)

    assert type(restored) is errors.ConcurrencyLimitError
    assert (restored.message, restored.status, restored.request_id, restored.retry_after) == (
        "busy",
        429,
        "r1",
        2.5,
    )


@pytest.mark.parametrize(
    ("reason", "status", "retryable"),
    [
        ("truncated", None, True),
        ("deadline", None, True),
        ("network", None, True),
        ("too_large", None, False),
        ("invalid_url", None, False),
        ("http_status", 503, True),
        ("http_status", 429, True),
        ("http_status", 404, False),
        ("http_status", 403, False),
    ],
)
def test_it_marks_downloads_retryable_only_when_retrying_can_help(reason, status, retryable):
    error = DownloadError("x", reason=reason, status=status)

    assert error.retryable is retryable
    assert isinstance(error, LTXError)


def test_it_classes_the_client_side_failures():
    assert errors.NetworkError.retryable
    assert not errors.OutcomeUnknownError.retryable
    assert not errors.InvalidResponseError.retryable
    assert not errors.APIError.account_level


@pytest.mark.parametrize(
    "body",
    [
        {"type": "error", "error": {"type": "permission_error", "message": "Key not allowed"}},
        {"type": "error", "error": {"type": "authentication_error", "message": "Key not allowed"}},
        {"message": "Key not allowed"},
    ],
)
def test_it_reads_a_403_as_a_refused_key(body):
    """LTX Desktop 1.3 treats 403 like 401: the key is refused, and it pauses the key."""
    error = error_from_response(json_response(403, body, **{"x-request-id": "req-9"}))

    assert type(error) is errors.AuthenticationError
    assert (error.error_type, error.status, error.message) == (
        "authentication_error",
        403,
        "Key not allowed",
    )
    assert error.account_level and not error.retryable


def test_it_keeps_a_documented_type_on_a_403():
    body = {"type": "error", "error": {"type": "insufficient_funds_error", "message": "Empty"}}
    assert type(error_from_response(json_response(403, body))) is errors.InsufficientFundsError


def test_a_403_from_storage_is_not_about_the_key():
    """An upload's pre-signed URL answers 403 when it has expired: no key to pause."""
    response = httpx.Response(403, text="Request has expired")
    error = error_from_response(response, from_api=False)
    assert type(error) is UnknownAPIError and not error.account_level
    assert error.message == "HTTP 403 Forbidden"
