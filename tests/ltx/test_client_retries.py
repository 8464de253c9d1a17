from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from ltxdash.ltx import errors
from ltxdash.ltx.retry import RetryPolicy
from tests.support.ltx_fakes import (
    COMPLETED,
    CREATED,
    JOB_ID,
    UPLOAD,
    FakeTime,
    Script,
    api_error,
    make_client,
    reply,
)

BODY = {"prompt": "an eagle", "model": "ltx-2-3-fast", "duration": 6, "resolution": "1920x1080"}


def poll(client):
    return client.get_status("text-to-video", JOB_ID)


@pytest.mark.parametrize(
    "failure",
    [
        api_error(500, "api_error"),
        api_error(503, "service_unavailable"),
        api_error(529, "overloaded_error"),
        api_error(429, "rate_limit_error"),
        reply(502, content=b"<html>bad gateway</html>"),
        httpx.ReadTimeout("timed out"),
        httpx.ConnectError("connection refused"),
        httpx.RemoteProtocolError("server disconnected"),
    ],
)
def test_it_retries_a_poll_after_transient_failures(failure):
    script = Script(failure, failure, reply(200, COMPLETED))
    fake = FakeTime()

    status = poll(make_client(script, fake))

    assert status.status == "completed"
    assert len(script.requests) == 3
    assert fake.sleeps == [0.5, 1.0]  # exponential, jitter off


def test_it_adds_up_to_half_an_interval_of_jitter():
    script = Script(
        api_error(500, "api_error"),
        api_error(500, "api_error"),
        api_error(500, "api_error"),
        reply(200, COMPLETED),
    )
    fake = FakeTime()

    poll(make_client(script, fake, random=lambda: 0.999))

    assert fake.sleeps == pytest.approx([0.74975, 1.4995, 2.999])


def test_it_keeps_jitter_random_by_default():
    policy = RetryPolicy()
    waits = {policy.backoff(3) for _ in range(50)}

    assert len(waits) > 1
    assert all(2.0 <= wait <= 3.0 for wait in waits)


def test_it_gives_up_after_the_attempt_budget():
    script = Script(api_error(503, "service_unavailable", **{"x-request-id": "r9"}))
    fake = FakeTime()

    with pytest.raises(errors.ServiceUnavailableError) as caught:
        poll(make_client(script, fake, max_attempts=4))

    assert len(script.requests) == 4
    assert fake.sleeps == [0.5, 1.0, 2.0]
    assert caught.value.request_id == "r9"


def test_it_gives_up_when_the_time_budget_would_be_exceeded():
    script = Script(api_error(500, "api_error"))
    fake = FakeTime()

    with pytest.raises(errors.APIError):
        poll(make_client(script, fake, max_attempts=10, max_elapsed=3.0))

    # 0.5 + 1.0 fit in 3 s; a further 2.0 would not.
    assert fake.sleeps == [0.5, 1.0]
    assert len(script.requests) == 3


def test_it_counts_time_spent_waiting_for_answers_in_the_budget():
    fake = FakeTime()

    def slow_failure(request):
        fake.now += 2.5  # each attempt takes 2.5 s before failing
        return httpx.Response(500)

    script = Script(slow_failure)
    with pytest.raises(errors.APIError):
        poll(make_client(script, fake, max_attempts=10, max_elapsed=6.0))

    assert len(script.requests) == 2


def test_it_waits_as_long_as_retry_after_says():
    script = Script(
        api_error(429, "rate_limit_error", **{"retry-after": "7"}), reply(200, COMPLETED)
    )
    fake = FakeTime()

    poll(make_client(script, fake))

    assert fake.sleeps == [7.0]


def test_it_honours_retry_after_given_as_an_http_date():
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=12), usegmt=True)
    script = Script(
        api_error(503, "service_unavailable", **{"retry-after": when}), reply(200, COMPLETED)
    )
    fake = FakeTime()

    poll(make_client(script, fake))

    assert len(fake.sleeps) == 1
    assert 10.0 <= fake.sleeps[0] <= 12.0


def test_it_keeps_its_own_backoff_when_retry_after_is_shorter():
    script = Script(
        api_error(500, "api_error"),
        api_error(500, "api_error"),
        api_error(500, "api_error", **{"retry-after": "1"}),
        reply(200, COMPLETED),
    )
    fake = FakeTime()

    poll(make_client(script, fake))

    assert fake.sleeps == [0.5, 1.0, 2.0]


def test_it_raises_at_once_when_retry_after_exceeds_the_budget():
    script = Script(api_error(429, "concurrency_limit_error", **{"retry-after": "600"}))
    fake = FakeTime()

    with pytest.raises(errors.ConcurrencyLimitError) as caught:
        poll(make_client(script, fake))

    assert fake.sleeps == []
    assert len(script.requests) == 1
    assert caught.value.retry_after == 600.0


@pytest.mark.parametrize(
    ("status", "error_type"),
    [
        (400, "invalid_request_error"),
        (401, "authentication_error"),
        (404, "not_found_error"),
        (422, "content_filtered_error"),
        (402, "insufficient_funds_error"),
    ],
)
def test_it_never_retries_client_errors(status, error_type):
    script = Script(api_error(status, error_type))
    fake = FakeTime()

    with pytest.raises(errors.error_class_for(error_type)):
        poll(make_client(script, fake))

    assert len(script.requests) == 1
    assert fake.sleeps == []


# --- The submit POST --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "failure",
    [
        httpx.ReadTimeout("timed out"),
        httpx.RemoteProtocolError("Server disconnected without sending a response."),
        httpx.ReadError("connection reset by peer"),
        httpx.WriteTimeout("timed out"),
    ],
)
def test_it_never_resends_a_submit_whose_request_went_out(failure):
    script = Script(failure, reply(202, CREATED))
    fake = FakeTime()

    with pytest.raises(errors.OutcomeUnknownError) as caught:
        make_client(script, fake).submit("text-to-video", BODY)

    assert len(script.requests) == 1
    assert fake.sleeps == []
    assert not caught.value.retryable
    assert isinstance(caught.value.__cause__, type(failure))


@pytest.mark.parametrize(
    "failure",
    [
        httpx.ConnectError("connection refused"),
        httpx.ConnectTimeout("timed out"),
        httpx.PoolTimeout("no connection free"),
    ],
)
def test_it_resends_a_submit_that_never_left(failure):
    script = Script(failure, reply(202, CREATED))
    fake = FakeTime()

    job = make_client(script, fake).submit("text-to-video", BODY)

    assert job.id == CREATED["id"]
    assert len(script.requests) == 2
    assert fake.sleeps == [0.5]


@pytest.mark.parametrize(
    "failure",
    [
        api_error(429, "concurrency_limit_error", **{"retry-after": "3"}),
        api_error(429, "rate_limit_error"),
        api_error(500, "api_error"),
        api_error(503, "service_unavailable"),
        api_error(529, "overloaded_error"),
    ],
)
def test_it_resends_a_submit_the_api_answered_with_429_or_5xx(failure):
    script = Script(failure, reply(202, CREATED))

    job = make_client(script).submit("text-to-video", BODY)

    assert job.id == CREATED["id"]
    assert len(script.requests) == 2
    assert script.requests[1].content == script.requests[0].content


def test_it_treats_a_gateway_timeout_on_submit_as_an_unknown_outcome():
    script = Script(reply(504, content=b"upstream timed out"), reply(202, CREATED))

    with pytest.raises(errors.OutcomeUnknownError) as caught:
        make_client(script).submit("text-to-video", BODY)

    assert len(script.requests) == 1
    assert caught.value.status == 504


def test_it_does_not_resend_a_rejected_submit():
    script = Script(api_error(400, "invalid_request_error", "bad duration"), reply(202, CREATED))

    with pytest.raises(errors.InvalidRequestError, match="bad duration"):
        make_client(script).submit("text-to-video", BODY)

    assert len(script.requests) == 1


@pytest.mark.parametrize("job_id", [None, "", "   ", "a/b", "x\ny", 42])
def test_it_reports_an_accepted_submit_with_an_unusable_id_as_an_unknown_outcome(job_id):
    script = Script(reply(202, {"id": job_id, "created_at": CREATED["created_at"]}))

    with pytest.raises(errors.OutcomeUnknownError, match="no usable job id"):
        make_client(script).submit("text-to-video", BODY)


def test_it_reports_an_accepted_submit_without_a_readable_id_as_an_unknown_outcome():
    script = Script(reply(202, content=b"<html>ok</html>", headers={"x-request-id": "r7"}))

    with pytest.raises(errors.OutcomeUnknownError) as caught:
        make_client(script).submit("text-to-video", BODY)

    assert caught.value.request_id == "r7"
    assert len(script.requests) == 1


# --- Uploads ----------------------------------------------------------------------------------


def test_it_retries_the_upload_post_and_put(tmp_path):
    source = tmp_path / "still.png"
    source.write_bytes(b"\x89PNG" + b"p" * 100_000)
    script = Script(
        api_error(503, "service_unavailable"),
        reply(200, UPLOAD),
        httpx.ReadError("reset"),
        reply(500, content=b"storage hiccup"),
        reply(200),
    )
    fake = FakeTime()

    storage_uri = make_client(script, fake).upload_file(source, "image/png")

    assert storage_uri == UPLOAD["storage_uri"]
    puts = [r for r in script.requests if r.method == "PUT"]
    assert len(puts) == 3
    assert all(r.content == source.read_bytes() for r in puts)  # each retry resends it all
    assert fake.sleeps == [0.5, 0.5, 1.0]
