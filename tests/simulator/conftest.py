"""Fixtures for the simulator's tests (talking to its API: tests/support/simulator_api.py)."""

from __future__ import annotations

import math
import struct
import wave
from pathlib import Path

import httpx
import pytest
from PIL import Image

from ltxdash.simulator.render import write_mp4


@pytest.fixture
def api(ltx_simulator):
    """An httpx client for the simulator's API, with an API key."""
    with httpx.Client(
        base_url=ltx_simulator.url, headers={"Authorization": "Bearer sim-test-key"}, timeout=30
    ) as client:
        yield client


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
