"""Submit, poll and download, over real sockets, for every v2 endpoint."""

from __future__ import annotations

import io
import re
import time
import uuid
import zipfile

import av
import pytest

from ltxdash.simulator import exr
from ltxdash.simulator.server import SimulatorServer
from tests.support.simulator_api import T2V, data_uri, submit, wait_for

TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def _open_mp4(content: bytes) -> av.container.InputContainer:
    return av.open(io.BytesIO(content))


@pytest.mark.ltx_simulator(pending_seconds=0.4, processing_seconds=0.4)
def test_it_walks_a_job_through_pending_processing_completed(api):
    response = api.post("/v2/text-to-video", json=T2V)

    assert response.status_code == 202
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["x-request-id"])
    created = response.json()
    assert set(created) == {"id", "created_at"}
    assert uuid.UUID(created["id"])
    assert TIMESTAMP.match(created["created_at"])

    pending = api.get(f"/v2/text-to-video/{created['id']}")
    assert pending.json() == {
        "id": created["id"],
        "status": "pending",
        "created_at": created["created_at"],
    }
    processing = wait_for(api, "text-to-video", created["id"], ("processing",))
    assert set(processing) == {"id", "status", "created_at"}
    completed = wait_for(api, "text-to-video", created["id"])

    assert completed["status"] == "completed"
    assert set(completed) == {"id", "status", "created_at", "completed_at", "result"}
    assert TIMESTAMP.match(completed["completed_at"])
    assert completed["completed_at"] > completed["created_at"]
    assert set(completed["result"]) == {"video_url"}
    assert completed["result"]["video_url"].startswith(f"{api.base_url}/_sim/files/")


@pytest.mark.parametrize("generate_audio", [True, False])
def test_it_serves_a_playable_mp4_with_audio_only_when_asked(api, generate_audio):
    job_id = submit(api, generate_audio=generate_audio, duration=6)
    url = wait_for(api, "text-to-video", job_id)["result"]["video_url"]

    download = api.get(url)

    assert download.status_code == 200
    assert download.headers["content-type"] == "video/mp4"
    assert int(download.headers["content-length"]) == len(download.content)
    with _open_mp4(download.content) as container:
        kinds = [stream.type for stream in container.streams]
        assert kinds.count("video") == 1
        assert ("audio" in kinds) is generate_audio
        assert container.streams.video[0].codec_context.name == "h264"
        assert container.duration / 1e6 == pytest.approx(6, abs=0.2)
        frame = next(container.decode(video=0))
        assert (frame.width, frame.height) == (320, 180)


def test_it_keeps_the_requested_aspect_ratio(api):
    job_id = submit(api, resolution="1080x1920", duration=6)
    content = api.get(wait_for(api, "text-to-video", job_id)["result"]["video_url"]).content

    with _open_mp4(content) as container:
        stream = container.streams.video[0]
        assert (stream.codec_context.width, stream.codec_context.height) == (180, 320)


def _bodies(media_dir):
    clip = data_uri(media_dir / "clip.mp4", "video/mp4")
    return {
        "image-to-video": {**T2V, "image_uri": data_uri(media_dir / "still.png", "image/png")},
        "audio-to-video": {
            "audio_uri": data_uri(media_dir / "tone.wav", "audio/wav"),
            "prompt": "a drum",
        },
        "retake": {"video_uri": clip, "start_time": 1, "duration": 2, "prompt": "a bird flies by"},
        "extend": {"video_uri": clip, "duration": 2, "prompt": "the camera pulls back"},
        "video-to-video-reframe": {
            "video_uri": clip,
            "model": "ltx-2-3-pro",
            "resolution": "720x720",
        },
        # The newer fields: LTX Desktop 1.3 (audio-to-video), the Comfy Router (reframe).
        "audio-to-video-newer": {
            "audio_uri": data_uri(media_dir / "tone.wav", "audio/wav"),
            "image_uri": data_uri(media_dir / "still.png", "image/png"),
            "last_frame_uri": data_uri(media_dir / "still.png", "image/png"),
            "prompt": "",
            "fps": 48,
            "camera_motion": "dolly_in",
            "resolution": "1280x720",
        },
        "video-to-video-reframe-newer": {
            "video_uri": clip,
            "resolution": "640x640",
            "placement": "bottom_right",
        },
    }


@pytest.mark.parametrize(
    "case",
    [
        "image-to-video",
        "audio-to-video",
        "retake",
        "extend",
        "video-to-video-reframe",
        "audio-to-video-newer",
        "video-to-video-reframe-newer",
    ],
)
def test_it_completes_every_video_endpoint_with_a_real_mp4(api, media_dir, case):
    endpoint = case.removesuffix("-newer")
    response = api.post(f"/v2/{endpoint}", json=_bodies(media_dir)[case])
    assert response.status_code == 202, response.text

    completed = wait_for(api, endpoint, response.json()["id"])

    assert completed["status"] == "completed"
    content = api.get(completed["result"]["video_url"]).content
    with _open_mp4(content) as container:
        assert container.streams.video and container.duration > 0


def test_it_follows_the_input_length_for_audio_to_video(api, media_dir):
    body = _bodies(media_dir)["audio-to-video"]
    job = wait_for(api, "audio-to-video", api.post("/v2/audio-to-video", json=body).json()["id"])

    with _open_mp4(api.get(job["result"]["video_url"]).content) as container:
        assert container.duration / 1e6 == pytest.approx(3, abs=0.2)  # tone.wav is 3 s
        assert container.streams.audio


def test_it_returns_a_zip_of_exr_frames_and_an_mp4_for_hdr(api, media_dir):
    response = api.post(
        "/v2/video-to-video-hdr",
        json={
            "video_uri": data_uri(media_dir / "clip.mp4", "video/mp4"),
            "output_colorspace": "acescct",
        },
    )
    completed = wait_for(api, "video-to-video-hdr", response.json()["id"])

    assert set(completed["result"]) == {"exr_frames_url", "video_url"}
    video = api.get(completed["result"]["video_url"])
    assert video.headers["content-type"] == "video/mp4"
    with _open_mp4(video.content) as container:
        assert container.streams.video and container.duration > 0
    name = completed["result"]["video_url"].rsplit("/", 1)[1]
    assert api.get(completed["result"]["video_url"].replace(name, "other.mp4")).status_code == 404
    download = api.get(completed["result"]["exr_frames_url"])
    assert download.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(download.content)) as archive:
        names = archive.namelist()
        assert names and all(name.endswith(".exr") for name in names)
        for name in names:
            assert archive.read(name)[:4] == exr.MAGIC == b"\x76\x2f\x31\x01"


def test_it_answers_404_for_unknown_ids_and_other_endpoints(api):
    job_id = submit(api)

    for path in (f"/v2/text-to-video/{uuid.uuid4()}", f"/v2/image-to-video/{job_id}"):
        response = api.get(path)
        assert response.status_code == 404
        assert response.json()["type"] == "error"
        assert response.json()["error"]["type"] == "not_found_error"
        assert re.fullmatch(r"[0-9a-f]{32}", response.headers["x-request-id"])
    assert api.get(f"/v2/text-to-video/{job_id}").status_code == 200


@pytest.mark.ltx_simulator(pending_seconds=0, processing_seconds=0, retention_seconds=1)
def test_it_forgets_a_job_and_its_file_after_retention(api):
    job_id = submit(api)
    url = wait_for(api, "text-to-video", job_id)["result"]["video_url"]
    assert api.get(url).status_code == 200

    time.sleep(1.1)

    assert api.get(f"/v2/text-to-video/{job_id}").status_code == 404
    assert api.get(url).status_code == 404


@pytest.mark.ltx_simulator(pending_seconds=0, processing_seconds=0)
def test_it_expires_a_job_on_demand(api, ltx_simulator):
    job_id = submit(api)
    url = wait_for(api, "text-to-video", job_id)["result"]["video_url"]

    ltx_simulator.expire(job_id)

    assert api.get(f"/v2/text-to-video/{job_id}").status_code == 404
    assert api.get(url).status_code == 404
    assert ltx_simulator.jobs()[0]["status"] == "expired"


def test_it_counts_submits_and_polls(api, ltx_simulator):
    job_id = submit(api, prompt="count me")
    for _ in range(3):
        api.get(f"/v2/text-to-video/{job_id}")

    [job] = ltx_simulator.jobs()
    stats = ltx_simulator.stats()

    assert (job["id"], job["submits"], job["polls"]) == (job_id, 1, 3)
    assert job["body"]["prompt"] == "count me"
    assert stats["submits_by_prompt"] == {"count me": 1}
    assert (stats["jobs"], stats["polls"]) == (1, 3)


def test_it_records_the_longest_wait_between_polls_of_a_job(api, ltx_simulator):
    import time

    job_id = submit(api)
    api.get(f"/v2/text-to-video/{job_id}")
    time.sleep(0.6)  # the longest gap, between the first and second poll
    api.get(f"/v2/text-to-video/{job_id}")
    api.get(f"/v2/text-to-video/{job_id}")

    [job] = ltx_simulator.jobs()
    assert 0.6 <= job["poll_gap_max"] < 1.5


def test_it_keeps_jobs_across_a_restart(tmp_path):
    first = SimulatorServer(tmp_path, pending_seconds=0, processing_seconds=0).start()
    import httpx

    headers = {"Authorization": "Bearer k"}
    job_id = httpx.post(f"{first.url}/v2/text-to-video", json=T2V, headers=headers).json()["id"]
    first.stop()

    second = SimulatorServer(tmp_path).start()
    try:
        response = httpx.get(f"{second.url}/v2/text-to-video/{job_id}", headers=headers)
        assert response.status_code == 200
        assert response.json()["status"] == "completed"
        video = httpx.get(response.json()["result"]["video_url"])
        assert video.status_code == 200
        assert video.content[4:8] == b"ftyp"
    finally:
        second.stop()


@pytest.mark.ltx_simulator(pending_seconds=0, processing_seconds=0)
def test_it_renders_each_distinct_clip_once(api, ltx_simulator):
    first = wait_for(api, "text-to-video", submit(api, prompt="same clip"))
    second = wait_for(api, "text-to-video", submit(api, prompt="same clip"))
    other = wait_for(api, "text-to-video", submit(api, prompt="another clip"))

    contents = [api.get(job["result"]["video_url"]).content for job in (first, second, other)]

    assert contents[0] == contents[1] != contents[2]
    assert ltx_simulator.stats()["counters"]["renders"] == 2
