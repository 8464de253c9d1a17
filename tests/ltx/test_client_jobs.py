import json
import threading
import time
from datetime import UTC, datetime

import httpx
import pytest

from ltxdash.ltx import errors
from ltxdash.ltx.client import ENDPOINTS, JobFailure, JobStatus, LTXClient, client_from_settings
from ltxdash.ltx.responses import parse_timestamp
from tests.support.ltx_fakes import (
    API_KEY,
    COMPLETED,
    CREATED,
    JOB_ID,
    Script,
    api_error,
    make_client,
    reply,
)

BODY = {"prompt": "an eagle", "model": "ltx-2-3-fast", "duration": 6, "resolution": "1920x1080"}


def test_it_submits_a_job_and_reads_its_id():
    script = Script(reply(202, CREATED, headers={"x-request-id": "req-1"}))

    job = make_client(script).submit("text-to-video", BODY)

    request = script.requests[0]
    assert (request.method, request.url.path) == ("POST", "/v2/text-to-video")
    assert request.headers["authorization"] == f"Bearer {API_KEY}"
    assert request.headers["content-type"] == "application/json"
    assert json.loads(request.content) == BODY
    assert job.id == JOB_ID
    assert job.created_at == datetime(2026, 1, 15, 10, 0, tzinfo=UTC)
    assert job.request_id == "req-1"


def test_it_accepts_a_200_answer_to_a_submit():
    job = make_client(Script(reply(200, CREATED))).submit("extend", BODY)

    assert job.id == JOB_ID


def test_it_tolerates_a_submit_answer_without_a_creation_time():
    job = make_client(Script(reply(202, {"id": "job-9"}))).submit("retake", BODY)

    assert job.id == "job-9"
    assert abs((datetime.now(UTC) - job.created_at).total_seconds()) < 60


@pytest.mark.parametrize("endpoint", sorted(ENDPOINTS))
def test_it_submits_to_and_polls_every_documented_endpoint(endpoint):
    script = Script(reply(202, CREATED), reply(200, {**COMPLETED}))
    client = make_client(script)

    client.submit(endpoint, BODY)
    client.get_status(endpoint, JOB_ID)

    assert [r.url.path for r in script.requests] == [f"/v2/{endpoint}", f"/v2/{endpoint}/{JOB_ID}"]


@pytest.mark.parametrize(
    "endpoint", ["text_to_video", "v1/upload", "../admin", "", "TEXT-TO-VIDEO"]
)
def test_it_rejects_unknown_endpoints_before_any_request(endpoint):
    script = Script(reply(202, CREATED))
    client = make_client(script)

    with pytest.raises(ValueError, match="unknown LTX endpoint"):
        client.submit(endpoint, BODY)
    with pytest.raises(ValueError):
        client.get_status(endpoint, JOB_ID)
    with pytest.raises(ValueError):
        client.poll_many([("text-to-video", JOB_ID), (endpoint, "other")])

    assert script.requests == []


@pytest.mark.parametrize("job_id", ["", "..", "a/b", "x\ny", "j" * 500])
def test_it_rejects_unusable_job_ids_before_any_request(job_id):
    script = Script(reply(200, COMPLETED))

    with pytest.raises(ValueError, match="job id"):
        make_client(script).get_status("text-to-video", job_id)

    assert script.requests == []


def test_it_quotes_odd_job_ids_into_one_path_segment():
    odd = "job id?x=1#frag"
    script = Script(reply(200, {"id": odd, "status": "pending", "created_at": None}))

    status = make_client(script).get_status("text-to-video", odd)

    assert script.requests[0].url.raw_path == b"/v2/text-to-video/job%20id%3Fx%3D1%23frag"
    assert status.id == odd


@pytest.mark.parametrize("state", ["pending", "processing"])
def test_it_reads_a_running_job(state):
    script = Script(
        reply(
            200,
            {"id": JOB_ID, "status": state, "created_at": "2026-01-15T10:00:00.000Z"},
            headers={"x-request-id": "poll-1"},
        )
    )

    status = make_client(script).get_status("image-to-video", JOB_ID)

    assert status == JobStatus(
        id=JOB_ID,
        status=state,
        created_at=datetime(2026, 1, 15, 10, tzinfo=UTC),
        completed_at=None,
        result={},
        error=None,
        request_id="poll-1",
    )
    assert not status.is_terminal


def test_it_reads_a_completed_job_with_its_outputs():
    status = make_client(Script(reply(200, COMPLETED))).get_status("text-to-video", JOB_ID)

    assert status.is_terminal
    assert status.result == COMPLETED["result"]
    assert status.completed_at == datetime(2026, 1, 15, 10, 2, 30, tzinfo=UTC)


def test_it_keeps_any_result_label():
    body = {**COMPLETED, "result": {"exr_frames_url": "https://s.example.com/f.zip", "n": 3}}

    status = make_client(Script(reply(200, body))).get_status("video-to-video-hdr", JOB_ID)

    assert status.result == {"exr_frames_url": "https://s.example.com/f.zip"}


def test_it_reads_a_failed_job_with_its_reason():
    body = {
        "id": JOB_ID,
        "status": "failed",
        "created_at": "2026-01-15T10:00:00.000Z",
        "completed_at": "2026-01-15T10:00:09.000Z",
        "error": {"type": "content_filtered_error", "message": "Prompt rejected"},
    }

    status = make_client(Script(reply(200, body))).get_status("text-to-video", JOB_ID)

    assert status.is_terminal
    assert status.error == JobFailure(type="content_filtered_error", message="Prompt rejected")
    assert status.result == {}


def test_it_reads_a_failed_job_without_details():
    body = {"id": JOB_ID, "status": "failed"}

    status = make_client(Script(reply(200, body))).get_status("text-to-video", JOB_ID)

    assert status.error == JobFailure(type="unknown_error", message="no reason given")


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ({"id": JOB_ID, "status": "queued"}, "unknown status"),
        ({"id": JOB_ID}, "unknown status"),
        ({"id": JOB_ID, "status": "completed"}, "without any result"),
        ({"id": JOB_ID, "status": "completed", "result": {"video_url": 5}}, "without any result"),
        ({"id": "someone-else", "status": "pending"}, "asked for job"),
        (["not", "an", "object"], "expected a JSON object"),
    ],
)
def test_it_refuses_unusable_status_answers(body, problem):
    with pytest.raises(errors.InvalidResponseError, match=problem):
        make_client(Script(reply(200, body))).get_status("text-to-video", JOB_ID)


def test_it_reports_an_expired_job_as_not_found():
    script = Script(api_error(404, "not_found_error", "Job not found", **{"x-request-id": "r404"}))

    with pytest.raises(errors.NotFoundError) as caught:
        make_client(script).get_status("text-to-video", JOB_ID)

    assert caught.value.request_id == "r404"
    assert len(script.requests) == 1


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-01-15T10:00:00.000Z", datetime(2026, 1, 15, 10, tzinfo=UTC)),
        ("2026-01-15T10:00:00Z", datetime(2026, 1, 15, 10, tzinfo=UTC)),
        ("2026-01-15T10:00:00.123456789Z", datetime(2026, 1, 15, 10, 0, 0, 123456, tzinfo=UTC)),
        ("2026-01-15T12:00:00+02:00", datetime(2026, 1, 15, 10, tzinfo=UTC)),
        ("2026-01-15 10:00:00", datetime(2026, 1, 15, 10, tzinfo=UTC)),
        ("yesterday", None),
        ("", None),
        (1768471200, None),
        (None, None),
    ],
)
def test_it_parses_timestamps_leniently(text, expected):
    assert parse_timestamp(text) == expected


# --- poll_many --------------------------------------------------------------------------------


def test_it_polls_a_batch_and_isolates_failures():
    def handler(request):
        job_id = request.url.path.rsplit("/", 1)[1]
        if job_id == "gone":
            return api_error(404, "not_found_error")(request)
        if job_id == "broken":
            return httpx.Response(500)
        if job_id == "garbled":
            return httpx.Response(200, content=b"{not json")
        return reply(200, {"id": job_id, "status": "processing"})(request)

    jobs = [("text-to-video", f"ok-{n}") for n in range(20)]
    jobs += [("extend", "gone"), ("retake", "broken"), ("text-to-video", "garbled")]

    results = make_client(handler, max_attempts=2).poll_many(jobs, max_connections=4)

    assert set(results) == {job_id for _, job_id in jobs}
    assert all(results[f"ok-{n}"].status == "processing" for n in range(20))
    assert isinstance(results["gone"], errors.NotFoundError)
    assert isinstance(results["broken"], errors.APIError)
    assert isinstance(results["garbled"], errors.InvalidResponseError)


def test_it_bounds_concurrent_polls():
    lock = threading.Lock()
    in_flight = peak = 0

    def handler(request):
        nonlocal in_flight, peak
        with lock:
            in_flight += 1
            peak = max(peak, in_flight)
        time.sleep(0.01)
        with lock:
            in_flight -= 1
        job_id = request.url.path.rsplit("/", 1)[1]
        return reply(200, {"id": job_id, "status": "pending"})(request)

    jobs = [("text-to-video", f"job-{n}") for n in range(60)]
    results = make_client(handler).poll_many(jobs, max_connections=5)

    assert len(results) == 60
    assert 1 < peak <= 5


def test_it_polls_each_job_once_per_batch():
    script = Script(reply(200, {"id": JOB_ID, "status": "pending"}))

    results = make_client(script).poll_many([("text-to-video", JOB_ID)] * 3)

    assert list(results) == [JOB_ID]
    assert len(script.requests) == 1


def test_it_returns_nothing_for_an_empty_batch():
    assert make_client(Script(httpx.Response(500))).poll_many([]) == {}


def test_it_builds_a_client_from_settings(settings):
    settings.LTX_API_KEY = "sk-from-settings"
    settings.LTX_API_BASE_URL = "https://api.example.test/"
    script = Script(reply(200, COMPLETED))

    client = client_from_settings(transport=httpx.MockTransport(script))
    client.get_status("text-to-video", JOB_ID)

    assert isinstance(client, LTXClient)
    assert str(script.requests[0].url).startswith("https://api.example.test/v2/")
    assert script.requests[0].headers["authorization"] == "Bearer sk-from-settings"


def test_it_uses_a_placeholder_key_for_the_simulator(settings):
    settings.LTX_API_KEY = ""
    settings.LTX_SIMULATED = True
    script = Script(reply(200, COMPLETED))

    client_from_settings(transport=httpx.MockTransport(script)).get_status("retake", JOB_ID)

    assert script.requests[0].headers["authorization"].startswith("Bearer ")


def test_it_closes_as_a_context_manager():
    with make_client(Script(reply(200, COMPLETED))) as client:
        client.get_status("text-to-video", JOB_ID)

    with pytest.raises(RuntimeError):
        client.get_status("text-to-video", JOB_ID)
