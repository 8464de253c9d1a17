"""Whatever a server answers, the client returns a valid object or raises an LTXError.

Responses go through the real client over a MockTransport (retries off), so status handling,
error mapping and body parsing are all exercised together.
"""

import json
import math
from datetime import datetime
from urllib.parse import urlsplit

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ltxdash.ltx.client import JOB_STATUSES, JobStatus, SubmittedJob, UploadTarget
from ltxdash.ltx.errors import LTXError, error_from_response
from ltxdash.ltx.responses import parse_timestamp
from tests.support.ltx_fakes import JOB_ID, make_client

json_scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=5)
    ),
    max_leaves=20,
)
# Values shaped like the real answers, with any field missing or of any type, to reach deep paths.
field_values = json_values | st.sampled_from(
    [
        JOB_ID,
        "pending",
        "processing",
        "completed",
        "failed",
        "2026-01-15T10:00:00.000Z",
        "https://storage.example.com/v.mp4",
        "error",
        "rate_limit_error",
        "not_found_error",
    ]
)
shaped_objects = st.fixed_dictionaries(
    {},
    optional={
        "id": field_values,
        "status": field_values,
        "created_at": field_values,
        "completed_at": field_values,
        "result": st.dictionaries(st.text(max_size=12), field_values, max_size=3) | field_values,
        "error": st.fixed_dictionaries({}, optional={"type": field_values, "message": field_values})
        | field_values,
        "type": field_values,
        "message": field_values,
        "upload_url": st.sampled_from(["https://u.example.com/x?sig=1", "http://[bad"])
        | field_values,
        "storage_uri": field_values,
        "expires_at": field_values,
        "required_headers": st.dictionaries(st.text(max_size=12), field_values, max_size=3)
        | field_values,
    },
)
bodies = (
    shaped_objects.map(lambda v: json.dumps(v).encode())
    | json_values.map(lambda v: json.dumps(v).encode())
    | st.binary(max_size=200)
)
statuses = st.sampled_from(
    [200, 201, 202, 204, 400, 401, 402, 404, 413, 422, 429, 500, 503, 504, 529]
) | st.integers(min_value=200, max_value=599)
header_text = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=40)
headers = st.fixed_dictionaries(
    {},
    optional={
        "x-request-id": header_text,
        "retry-after": header_text
        | st.sampled_from(["5", "-1", "1e400", "Wed, 21 Oct 2015 07:28:00 GMT"]),
        "content-type": st.sampled_from(
            ["application/json", "text/html", "application/json; charset=utf-16"]
        ),
        "content-length": st.sampled_from(["0", "5", "nonsense"]),
    },
)


def client_answering(status, body, answer_headers):
    def handler(request):
        return httpx.Response(status, content=body, headers=answer_headers)

    return make_client(handler, max_attempts=1)


def assert_error_is_well_formed(error):
    assert isinstance(error, LTXError)
    assert isinstance(str(error), str)
    assert error.retry_after is None or (
        error.retry_after >= 0 and math.isfinite(error.retry_after)
    )


common = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@common
@given(statuses, bodies, headers)
def test_it_reads_any_submit_answer_safely(status, body, answer_headers):
    try:
        job = client_answering(status, body, answer_headers).submit(
            "text-to-video", {"prompt": "x"}
        )
    except LTXError as error:
        assert_error_is_well_formed(error)
    else:
        assert 200 <= status < 300
        assert isinstance(job, SubmittedJob)
        assert job.id.strip() and job.id.isprintable() and "/" not in job.id
        assert isinstance(job.created_at, datetime) and job.created_at.tzinfo is not None


@common
@given(statuses, bodies, headers)
def test_it_reads_any_status_answer_safely(status, body, answer_headers):
    try:
        job = client_answering(status, body, answer_headers).get_status("text-to-video", JOB_ID)
    except LTXError as error:
        assert_error_is_well_formed(error)
    else:
        assert 200 <= status < 300
        assert isinstance(job, JobStatus)
        assert job.id == JOB_ID and job.status in JOB_STATUSES
        assert all(isinstance(k, str) and isinstance(v, str) for k, v in job.result.items())
        assert bool(job.result) == (job.status == "completed")
        assert (job.error is not None) == (job.status == "failed")
        for moment in (job.created_at, job.completed_at):
            assert moment is None or moment.tzinfo is not None


@common
@given(statuses, bodies, headers)
def test_it_reads_any_upload_answer_safely(status, body, answer_headers):
    try:
        target = client_answering(status, body, answer_headers).create_upload()
    except LTXError as error:
        assert_error_is_well_formed(error)
    else:
        assert 200 <= status < 300
        assert isinstance(target, UploadTarget)
        assert target.upload_url.startswith(("https://", "http://"))
        assert urlsplit(target.upload_url).hostname
        httpx.Headers(target.required_headers)  # every header can actually be sent


@common
@given(st.integers(min_value=100, max_value=999), bodies, headers)
def test_it_builds_an_error_from_any_response(status, body, answer_headers):
    assert_error_is_well_formed(
        error_from_response(httpx.Response(status, content=body, headers=answer_headers))
    )


@given(json_values)
def test_it_parses_any_timestamp_value_without_raising(value):
    parsed = parse_timestamp(value)

    assert parsed is None or parsed.tzinfo is not None
