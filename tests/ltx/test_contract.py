"""The real client against the built-in simulator, over real sockets.

Where the unit tests show what the client does with each answer, these show that it and the
simulator agree on the contract: paths, bodies, the upload flow, error envelopes, 404 after
retention, the concurrency limit's Retry-After, and what injected faults turn into.
"""

import hashlib
import logging
import math
import struct
import time
import wave
import zipfile

import httpx
import pytest
from PIL import Image

from ltxdash.ltx import catalog, errors
from ltxdash.ltx.client import ENDPOINTS, JobStatus, LTXClient
from ltxdash.ltx.retry import RetryPolicy
from ltxdash.simulator.render import write_mp4

# Quick jobs and one-second clips: these tests are about the protocol, not the pictures.
pytestmark = pytest.mark.ltx_simulator(max_clip_seconds=1)

KEY = "sk-contract-test-key"
T2V = {
    "prompt": "A lighthouse at dusk",
    "model": "ltx-2-3-fast",
    "duration": 6,
    "resolution": "1920x1080",
    "fps": 25,
}


@pytest.fixture(scope="module")
def media(tmp_path_factory):
    """Small real inputs: a 4 s 16:9 clip, a PNG still and a 3 s WAV tone."""
    folder = tmp_path_factory.mktemp("contract-inputs")
    write_mp4(
        folder / "clip.mp4",
        {"kind": "mp4", "width": 320, "height": 180, "fps": 25, "seconds": 4, "audio": True,
         "title": "input", "caption": "", "pad_to": 0},
    )  # fmt: skip
    Image.new("RGB", (320, 180), (20, 90, 160)).save(folder / "still.png")
    with wave.open(str(folder / "tone.wav"), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(16000)
        out.writeframes(
            b"".join(struct.pack("<h", int(8000 * math.sin(k / 9))) for k in range(48000))
        )
    return folder


class Sleeps(list):
    """An injected sleep that records each wait and really waits (capped, to keep tests quick)."""

    def __call__(self, seconds):
        self.append(seconds)
        time.sleep(min(seconds, 2.0))


@pytest.fixture
def sleeps():
    return Sleeps()


@pytest.fixture
def client(ltx_simulator, sleeps):
    with LTXClient(KEY, ltx_simulator.url, retry=RetryPolicy(base_delay=0.05), sleep=sleeps) as c:
        yield c


@pytest.fixture
def single_shot(ltx_simulator):
    """A client that never retries, to see each answer as it comes."""
    with LTXClient(KEY, ltx_simulator.url, retry=RetryPolicy(max_attempts=1)) as c:
        yield c


def wait_until_terminal(client, endpoint, job_id, timeout=30) -> JobStatus:
    deadline = time.monotonic() + timeout
    while True:
        status = client.get_status(endpoint, job_id)
        if status.is_terminal:
            return status
        assert time.monotonic() < deadline, f"job still {status.status}"
        time.sleep(0.05)


# --- The happy path, every endpoint -----------------------------------------------------------


def upload_inputs(client, media) -> tuple[str, str, str]:
    """The clip, the still and the tone, uploaded: their storage URIs."""
    return (
        client.upload_file(media / "clip.mp4", "video/mp4"),
        client.upload_file(media / "still.png", "image/png"),
        client.upload_file(media / "tone.wav", "audio/wav"),
    )


def test_it_runs_every_endpoint_through_upload_submit_poll_and_download(
    client, ltx_simulator, media, tmp_path
):
    ltx_simulator.configure(concurrency=0)
    clip, still, tone = upload_inputs(client, media)
    bodies = {
        "text-to-video": T2V,
        "image-to-video": {**T2V, "image_uri": still},
        "audio-to-video": {"audio_uri": tone, "prompt": "a drum"},
        "retake": {"video_uri": clip, "start_time": 1, "duration": 2, "prompt": "a bird"},
        "extend": {"video_uri": clip, "duration": 2, "prompt": "the camera pulls back"},
        "video-to-video-hdr": {"video_uri": clip},
        "video-to-video-reframe": {"video_uri": clip, "model": "ltx-2-3-pro",
                                   "resolution": "720x720"},
    }  # fmt: skip
    assert set(bodies) == ENDPOINTS

    jobs = {endpoint: client.submit(endpoint, body) for endpoint, body in bodies.items()}
    assert all(job.request_id and job.created_at.tzinfo for job in jobs.values())

    pending = {job.id: endpoint for endpoint, job in jobs.items()}
    finished: dict[str, JobStatus] = {}
    deadline = time.monotonic() + 60
    while pending:
        assert time.monotonic() < deadline, f"still running: {sorted(pending.values())}"
        results = client.poll_many([(endpoint, job_id) for job_id, endpoint in pending.items()])
        for job_id, outcome in results.items():
            assert isinstance(outcome, JobStatus), outcome
            if outcome.is_terminal:
                finished[pending.pop(job_id)] = outcome
        time.sleep(0.1)

    for endpoint, status in finished.items():
        assert status.status == "completed", (endpoint, status.error)
        label = "exr_frames_url" if endpoint == "video-to-video-hdr" else "video_url"
        url = status.result[label]
        copy = client.download(url, tmp_path / endpoint, max_bytes=50 * 2**20, deadline_seconds=60)
        data = copy.path.read_bytes()
        assert copy.size == len(data) > 0
        assert copy.sha256 == hashlib.sha256(data).hexdigest()
        if endpoint == "video-to-video-hdr":
            assert zipfile.is_zipfile(copy.path)
        else:
            assert data[4:8] == b"ftyp"
            assert copy.content_type == "video/mp4"


@pytest.mark.parametrize(
    ("marker", "error_type"),
    [
        ("[filter]", "content_filtered_error"),
        ("[funds]", "insufficient_funds_error"),
        ("[fail]", "api_error"),
        ("[busy]", "overloaded_error"),
    ],
)
def test_it_reads_jobs_that_fail_upstream(client, marker, error_type):
    job = client.submit("text-to-video", {**T2V, "prompt": f"a storm {marker}"})

    status = wait_until_terminal(client, "text-to-video", job.id)

    assert status.status == "failed"
    assert status.error is not None and status.error.type == error_type
    assert status.error.message
    assert status.result == {}


# --- Every error the simulator can answer -----------------------------------------------------


def test_it_maps_authentication_failures(single_shot, ltx_simulator):
    ltx_simulator.configure(invalid_key=True)

    for call in (
        lambda: single_shot.submit("text-to-video", T2V),
        lambda: single_shot.get_status("text-to-video", "some-job"),
        single_shot.create_upload,
    ):
        with pytest.raises(errors.AuthenticationError) as caught:
            call()
        assert caught.value.account_level
        assert caught.value.status == 401 and caught.value.request_id
        assert KEY not in str(caught.value)


def test_it_maps_a_forbidden_key_to_an_invalid_key(single_shot, ltx_simulator):
    """A 403 is a refused key, as for LTX Desktop 1.3: account-level, whatever its type."""
    ltx_simulator.configure(forbidden_keys=[KEY])

    for call in (
        lambda: single_shot.submit("text-to-video", T2V),
        lambda: single_shot.get_status("text-to-video", "some-job"),
    ):
        with pytest.raises(errors.AuthenticationError) as caught:
            call()
        assert caught.value.account_level and caught.value.status == 403
        assert caught.value.error_type == "authentication_error"


def test_it_sends_the_newer_fields_and_reads_both_hdr_outputs(
    client, ltx_simulator, media, tmp_path
):
    ltx_simulator.configure(concurrency=0)
    clip, still, tone = upload_inputs(client, media)
    bodies = {
        "audio-to-video": catalog.build_request(
            "audio-to-video",
            {"prompt": "", "fps": 50, "camera_motion": "jib_down", "resolution": "720x1280"},
            {"audio_uri": tone, "image_uri": still, "last_frame_uri": still},
        ),
        "text-to-video": catalog.build_request(
            "text-to-video",
            {**T2V, "model": "ltx-2-5-fast", "resolution": "1620x1080", "enhance_prompt": False},
            {},
        ),
        "video-to-video-hdr": catalog.build_request(
            "video-to-video-hdr", {"output_colorspace": "srgb_linear"}, {"video_uri": clip}
        ),
        "video-to-video-reframe": catalog.build_request(
            "video-to-video-reframe",
            {"resolution": "1080x1080", "placement": "top_left"},
            {"video_uri": clip},
        ),
    }
    jobs = {endpoint: client.submit(endpoint, body) for endpoint, body in bodies.items()}
    done = {e: wait_until_terminal(client, e, job.id, timeout=60) for e, job in jobs.items()}

    assert all(status.status == "completed" for status in done.values()), done
    hdr = done["video-to-video-hdr"].result
    assert set(hdr) == {"exr_frames_url", "video_url"}
    frames = client.download(
        hdr["exr_frames_url"], tmp_path / "exr", max_bytes=2**26, deadline_seconds=60
    )
    video = client.download(
        hdr["video_url"], tmp_path / "mp4", max_bytes=2**26, deadline_seconds=60
    )
    assert zipfile.is_zipfile(frames.path)
    assert video.content_type == "video/mp4" and video.path.read_bytes()[4:8] == b"ftyp"


def test_it_maps_an_empty_balance(single_shot, ltx_simulator):
    ltx_simulator.configure(out_of_credits=True)

    with pytest.raises(errors.InsufficientFundsError) as caught:
        single_shot.submit("text-to-video", T2V)

    assert caught.value.account_level and caught.value.status == 402


def test_it_maps_a_rejected_request_with_the_servers_reason(single_shot):
    with pytest.raises(errors.InvalidRequestError) as caught:
        single_shot.submit("text-to-video", {**T2V, "duration": 7})

    assert caught.value.status == 400
    assert "duration" in caught.value.message


def test_it_maps_a_filtered_prompt(single_shot):
    with pytest.raises(errors.ContentFilteredError):
        single_shot.submit("text-to-video", {**T2V, "prompt": "something [reject]"})


def test_it_maps_an_oversized_request(single_shot, ltx_simulator):
    huge = "data:image/png;base64," + "A" * (21 * 2**20)

    with pytest.raises(errors.RequestTooLargeError):
        single_shot.submit("image-to-video", {**T2V, "image_uri": huge})

    assert ltx_simulator.stats()["jobs"] == 0


def test_it_reports_unknown_and_expired_jobs_as_not_found(client, ltx_simulator, tmp_path):
    with pytest.raises(errors.NotFoundError):
        client.get_status("text-to-video", "00000000-0000-0000-0000-000000000000")

    job = client.submit("text-to-video", T2V)
    done = wait_until_terminal(client, "text-to-video", job.id)
    with pytest.raises(errors.NotFoundError):  # a job lives under its own endpoint only
        client.get_status("extend", job.id)

    ltx_simulator.expire(job.id)

    with pytest.raises(errors.NotFoundError) as caught:
        client.get_status("text-to-video", job.id)
    assert caught.value.request_id
    with pytest.raises(errors.DownloadError) as lost:
        client.download(done.result["video_url"], tmp_path, max_bytes=2**30, deadline_seconds=10)
    assert (lost.value.reason, lost.value.status, lost.value.retryable) == (
        "http_status",
        404,
        False,
    )
    assert list(tmp_path.iterdir()) == []


@pytest.mark.ltx_simulator(concurrency=1, pending_seconds=0.2, processing_seconds=0.3)
def test_it_reports_the_concurrency_limit_with_retry_after(single_shot):
    single_shot.submit("text-to-video", T2V)

    with pytest.raises(errors.ConcurrencyLimitError) as caught:
        single_shot.submit("text-to-video", T2V)

    assert caught.value.status == 429
    assert caught.value.retry_after is not None and caught.value.retry_after >= 1


@pytest.mark.ltx_simulator(concurrency=1, pending_seconds=0.2, processing_seconds=0.3)
def test_it_waits_out_the_concurrency_limit_then_submits(client, ltx_simulator, sleeps):
    client.submit("text-to-video", T2V)

    second = client.submit("text-to-video", T2V)

    assert second.id
    assert sleeps and sleeps[0] >= 1  # the simulator's Retry-After, not the 0.05 s backoff
    assert ltx_simulator.stats()["jobs"] == 2


def test_it_keeps_the_key_out_of_every_log_line_over_real_sockets(client, ltx_simulator, caplog):
    for name in (None, "httpx", "httpcore", "ltxdash"):
        caplog.set_level(logging.DEBUG, logger=name)
    job = client.submit("text-to-video", T2V)
    wait_until_terminal(client, "text-to-video", job.id)
    ltx_simulator.configure(invalid_key=True)
    with pytest.raises(errors.AuthenticationError):
        client.get_status("text-to-video", job.id)

    assert {"httpx", "httpcore", "ltxdash"} <= {r.name.split(".")[0] for r in caplog.records}
    assert KEY not in caplog.text


# --- Injected faults --------------------------------------------------------------------------


def test_it_rides_out_server_errors_and_rate_limits_while_polling(client, ltx_simulator, sleeps):
    job = client.submit("text-to-video", T2V)
    ltx_simulator.configure(error_rate=1, fault_limit=2, fault_targets=["poll"])

    status = client.get_status("text-to-video", job.id)

    assert status.id == job.id
    assert len(sleeps) == 2
    ltx_simulator.configure(rate_limit_rate=1, error_rate=0, fault_limit=1, retry_after_seconds=1)
    client.get_status("text-to-video", job.id)
    assert sleeps[2] >= 1.0


def test_it_maps_simulated_server_errors(single_shot, ltx_simulator):
    job = single_shot.submit("text-to-video", T2V)
    ltx_simulator.configure(error_rate=1, fault_targets=["poll"])

    for _ in range(6):  # the simulator picks 500 or 503 at random
        with pytest.raises((errors.APIError, errors.ServiceUnavailableError)) as caught:
            single_shot.get_status("text-to-video", job.id)
        assert caught.value.retryable and caught.value.status in (500, 503)

    ltx_simulator.configure(error_rate=0, rate_limit_rate=1)
    with pytest.raises(errors.RateLimitError) as limited:
        single_shot.get_status("text-to-video", job.id)
    assert limited.value.retry_after == 1.0


def test_it_retries_a_poll_whose_connection_was_reset(client, ltx_simulator, sleeps):
    job = client.submit("text-to-video", T2V)
    ltx_simulator.configure(reset_rate=1, fault_limit=1, fault_targets=["poll"])

    assert client.get_status("text-to-video", job.id).id == job.id
    assert len(sleeps) == 1


def test_it_never_resubmits_after_a_reset_and_says_the_outcome_is_unknown(client, ltx_simulator):
    ltx_simulator.configure(reset_rate=1, fault_limit=1, fault_targets=["submit"])

    with pytest.raises(errors.OutcomeUnknownError):
        client.submit("text-to-video", T2V)

    # The simulator created the job before dropping the connection: resending would make two.
    assert ltx_simulator.stats()["jobs"] == 1


def test_it_retries_submits_the_api_answered_with_an_error(client, ltx_simulator, sleeps):
    ltx_simulator.configure(error_rate=1, fault_limit=2, fault_targets=["submit"])

    client.submit("text-to-video", T2V)

    assert len(sleeps) == 2
    assert ltx_simulator.stats()["jobs"] == 1


def test_it_gives_up_on_a_slow_api_with_the_right_error(ltx_simulator):
    job_id = None
    with LTXClient(KEY, ltx_simulator.url, retry=RetryPolicy(max_attempts=1),
                   timeout=httpx.Timeout(0.3)) as impatient:  # fmt: skip
        job_id = impatient.submit("text-to-video", T2V).id
        ltx_simulator.configure(delay_seconds=1, fault_targets=["poll", "submit"])

        with pytest.raises(errors.NetworkError):
            impatient.get_status("text-to-video", job_id)
        with pytest.raises(errors.OutcomeUnknownError):
            impatient.submit("text-to-video", T2V)


def test_it_retries_a_truncated_download(client, ltx_simulator, tmp_path, sleeps):
    job = client.submit("text-to-video", T2V)
    done = wait_until_terminal(client, "text-to-video", job.id)
    url = done.result["video_url"]
    reference = httpx.get(url).content
    ltx_simulator.configure(truncate_rate=1, fault_limit=1, fault_targets=["download"])

    copy = client.download(url, tmp_path, max_bytes=2**30, deadline_seconds=30)

    assert copy.path.read_bytes() == reference
    assert len(sleeps) == 1
    assert [p.name for p in tmp_path.iterdir()] == [copy.path.name]


def test_it_reports_downloads_that_keep_arriving_short(ltx_simulator, tmp_path):
    with LTXClient(KEY, ltx_simulator.url, retry=RetryPolicy(max_attempts=2, base_delay=0.01)) as c:
        job = c.submit("text-to-video", T2V)
        url = wait_until_terminal(c, "text-to-video", job.id).result["video_url"]
        ltx_simulator.configure(truncate_rate=1, fault_targets=["download"])

        with pytest.raises(errors.DownloadError) as caught:
            c.download(url, tmp_path, max_bytes=2**30, deadline_seconds=30)

    assert caught.value.reason == "truncated"
    assert list(tmp_path.iterdir()) == []


def test_it_refuses_an_output_over_the_size_limit(client, ltx_simulator, tmp_path):
    job = client.submit("text-to-video", {**T2V, "prompt": "big one [size=3MB]"})
    url = wait_until_terminal(client, "text-to-video", job.id).result["video_url"]

    with pytest.raises(errors.DownloadError) as caught:
        client.download(url, tmp_path, max_bytes=2**20, deadline_seconds=30)

    assert caught.value.reason == "too_large"
    assert list(tmp_path.iterdir()) == []
