from __future__ import annotations

import base64
import math
import struct
import time
import wave
from pathlib import Path

import httpx
import pytest
from PIL import Image

from ltxdash.simulator.render import write_mp4

T2V = {
    "prompt": "A lighthouse at dusk, waves rolling in",
    "model": "ltx-2-3-fast",
    "duration": 6,
    "resolution": "1920x1080",
    "fps": 25,
}


@pytest.fixture
def api(ltx_simulator):
    """An httpx client for the simulator's API, with an API key."""
    with httpx.Client(
        base_url=ltx_simulator.url, headers={"Authorization": "Bearer sim-test-key"}, timeout=30
    ) as client:
        yield client


def wait_for(
    api: httpx.Client, endpoint: str, job_id: str, statuses=("completed", "failed"), timeout=20
):
    """Poll until the job's status is one of ``statuses``; returns the last body."""
    deadline = time.monotonic() + timeout
    while True:
        response = api.get(f"/v2/{endpoint}/{job_id}")
        assert response.status_code == 200, response.text
        body = response.json()
        if body["status"] in statuses:
            return body
        assert time.monotonic() < deadline, f"still {body['status']}"
        time.sleep(0.05)


def submit(api: httpx.Client, endpoint: str = "text-to-video", **changes) -> str:
    body = {**T2V, **changes} if endpoint == "text-to-video" else changes
    response = api.post(f"/v2/{endpoint}", json=body)
    assert response.status_code == 202, response.text
    return response.json()["id"]


@pytest.fixture(scope="session")
def media_dir(tmp_path_factory) -> Path:
    """Small real inputs: a 16:9 H.264 clip (100 frames), a PNG and a 3 s WAV."""
    folder = tmp_path_factory.mktemp("sim-inputs")
    spec = {"kind": "mp4", "width": 320, "height": 180, "fps": 25, "seconds": 4, "audio": True,
            "title": "input clip", "caption": "", "pad_to": 0}  # fmt: skip
    write_mp4(folder / "clip.mp4", spec)
    Image.new("RGB", (320, 180), (200, 80, 40)).save(folder / "still.png")
    with wave.open(str(folder / "tone.wav"), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(16000)
        out.writeframes(
            b"".join(struct.pack("<h", int(8000 * math.sin(k / 10))) for k in range(48000))
        )
    return folder


def data_uri(path: Path, mime: str) -> str:
    return f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode()}"
