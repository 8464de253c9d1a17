"""POST /v1/upload, the pre-signed PUT, and using the storage_uri."""

from __future__ import annotations

import datetime
import re

import httpx
import pytest

from tests.support.simulator_api import T2V, submit, wait_for

pytestmark = pytest.mark.ltx_simulator(pending_seconds=0, processing_seconds=0)


def _upload(api: httpx.Client, path, content_type: str, headers: dict | None = None) -> dict:
    ticket = api.post("/v1/upload")
    assert ticket.status_code == 200, ticket.text
    grant = ticket.json()
    put = httpx.put(
        grant["upload_url"],
        content=path.read_bytes(),
        headers={"Content-Type": content_type, **grant["required_headers"], **(headers or {})},
    )
    assert put.status_code == 200, put.text
    return grant


def test_it_hands_out_a_presigned_upload(api):
    response = api.post("/v1/upload")

    assert response.status_code == 200
    grant = response.json()
    assert set(grant) == {"upload_url", "storage_uri", "expires_at", "required_headers"}
    assert re.fullmatch(r"ltx://uploads/[0-9a-f]{32}", grant["storage_uri"])
    assert grant["upload_url"].startswith(str(api.base_url))
    expires = datetime.datetime.fromisoformat(grant["expires_at"])
    in_an_hour = datetime.datetime.now(datetime.UTC) + datetime.timedelta(hours=1)
    assert abs((expires - in_an_hour).total_seconds()) < 60
    assert grant["required_headers"]  # e.g. a token and a content-length range


def test_it_refuses_a_put_without_the_required_headers(api, media_dir):
    grant = api.post("/v1/upload").json()
    content = (media_dir / "still.png").read_bytes()

    bare = httpx.put(grant["upload_url"], content=content)
    wrong = httpx.put(
        grant["upload_url"],
        content=content,
        headers={**grant["required_headers"], "x-sim-upload-token": "forged"},
    )

    assert bare.status_code == 403
    assert "required header" in bare.text
    assert wrong.status_code == 403 and "does not match" in wrong.text
    # Nothing was stored: the storage_uri is still unusable.
    response = api.post("/v2/image-to-video", json={**T2V, "image_uri": grant["storage_uri"]})
    assert response.status_code == 400 and "PUT the file" in response.text


def test_it_generates_from_an_uploaded_image(api, media_dir, ltx_simulator):
    grant = _upload(api, media_dir / "still.png", "image/png")

    job_id = submit(api, "image-to-video", **T2V, image_uri=grant["storage_uri"])

    assert wait_for(api, "image-to-video", job_id)["status"] == "completed"
    assert ltx_simulator.jobs()[0]["body"]["image_uri"] == grant["storage_uri"]


def test_it_validates_an_uploaded_file_by_its_content(api, media_dir):
    grant = _upload(api, media_dir / "tone.wav", "image/png")  # a WAV claiming to be a PNG

    response = api.post("/v2/image-to-video", json={**T2V, "image_uri": grant["storage_uri"]})

    assert response.status_code == 400
    assert response.json()["error"]["message"].startswith("image_uri: ")


def test_it_checks_uploaded_video_limits_through_the_catalog(api, tmp_path):
    from ltxdash.simulator.render import write_mp4

    short = tmp_path / "short.mp4"  # 25 frames: retake needs at least 73
    write_mp4(short, {"kind": "mp4", "width": 320, "height": 180, "fps": 25, "seconds": 1,
                      "audio": False, "title": "short", "caption": "", "pad_to": 0})  # fmt: skip
    grant = _upload(api, short, "video/mp4")

    response = api.post(
        "/v2/retake", json={"video_uri": grant["storage_uri"], "start_time": 0, "duration": 2}
    )

    assert response.status_code == 400
    assert "73 frames" in response.json()["error"]["message"]
