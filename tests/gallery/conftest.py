"""The gallery's fixtures: a ready clip with a real MP4, poster and timeline, and its media."""

from __future__ import annotations

import pytest

from ltxdash.generations.models import Generation, Output, State
from tests import factories


@pytest.fixture(scope="session")
def mp4_bytes() -> bytes:
    """The real 2-second H.264 MP4 (about 10 kB) every clip made here stores."""
    return factories.clip_media()[0]


@pytest.fixture(scope="session")
def poster_bytes() -> bytes:
    """The JPEG poster every clip made here stores."""
    return factories.clip_media()[1]


@pytest.fixture
def make_clip(db):
    """make_clip(owner, **fields): factories.make_clip (ready ones get a real MP4 and poster)."""
    return factories.make_clip


@pytest.fixture
def clip(owner, make_clip) -> Generation:
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
        factories.make_event(generation, old, new, request_id=rid)
    return generation


@pytest.fixture
def video(clip) -> Output:
    return clip.outputs.get()
