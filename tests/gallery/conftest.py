from __future__ import annotations

import hashlib
import re
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from ltxdash.generations.models import Generation, GenerationEvent, Output, State
from tests.media_factory import make_image, make_video


@pytest.fixture(scope="session")
def mp4_bytes(tmp_path_factory) -> bytes:
    """A real 2-second H.264 MP4 (about 10 kB), encoded once per run."""
    path = make_video(tmp_path_factory.mktemp("media") / "clip.mp4", seconds=2, faststart=True)
    return path.read_bytes()


@pytest.fixture(scope="session")
def poster_bytes(tmp_path_factory) -> bytes:
    return make_image(tmp_path_factory.mktemp("media") / "poster.jpg", fmt="JPEG").read_bytes()


@pytest.fixture
def make_clip(db, mp4_bytes, poster_bytes):
    """make_clip(owner, **fields): a Generation; ready ones get a real MP4 and poster in MEDIA_ROOT."""

    def make(owner, *, video: bool | None = None, **fields) -> Generation:
        now = timezone.now()
        values = {
            "endpoint": "text-to-video",
            "model": "ltx-2-3-fast",
            "prompt": "A red fox runs through fresh snow",
            "params": {"duration": 6, "resolution": "1920x1080", "fps": 24, "generate_audio": True},
            "state": State.READY,
            "created_at": now - timedelta(minutes=2),
        }
        values.update(fields)
        if values["state"] == State.READY:
            created = values["created_at"]
            for name, seconds in (
                ("submitted_at", 1),
                ("processing_at", 5),
                ("completed_at", 40),
                ("ready_at", 43),
                ("finished_at", 43),
            ):
                values.setdefault(name, created + timedelta(seconds=seconds))
        generation = Generation.objects.create(owner=owner, **values)
        if video if video is not None else values["state"] == State.READY:
            add_video(generation, mp4_bytes, poster_bytes)
        return generation

    return make


def add_video(generation: Generation, data: bytes, poster: bytes) -> Output:
    output = Output(
        generation=generation,
        label="video_url",
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        content_type="video/mp4",
        duration=2.0,
        width=320,
        height=180,
        fps=24.0,
        codec="h264",
    )
    output.file.save(f"clip-{generation.pk}.mp4", ContentFile(data), save=False)
    output.poster.save(f"poster-{generation.pk}.jpg", ContentFile(poster), save=False)
    output.save()
    return output


@pytest.fixture
def clip(owner, make_clip):
    """A ready clip of the owner's with a timeline."""
    generation = make_clip(
        owner,
        remote_id="job_abc123",
        submit_request_id="req-submit-1",
        last_request_id="req-poll-9",
    )
    for old, new, rid in (
        ("", State.QUEUED, ""),
        (State.QUEUED, State.SUBMITTING, ""),
        (State.SUBMITTING, State.PENDING, "req-submit-1"),
        (State.PENDING, State.PROCESSING, "req-poll-3"),
        (State.PROCESSING, State.REHOSTING, "req-poll-9"),
        (State.REHOSTING, State.READY, ""),
    ):
        GenerationEvent.objects.create(
            generation=generation, from_state=old, to_state=new, request_id=rid
        )
    return generation


@pytest.fixture
def video(clip) -> Output:
    return clip.outputs.get()


def token_from(html: str) -> str:
    """The share token in a page that has just created a link."""
    match = re.search(r'value="https?://[^/"]+/s/([A-Za-z0-9_-]+)"', html)
    assert match, "no share link on the page"
    return match.group(1)
