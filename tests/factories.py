"""Every row the tests make, in one place: users, generations in any state with their events,
inputs and outputs, ready clips (with a real MP4 and poster, or with placeholder files), share
links, and ready clips in bulk for the scale tests and the benchmarks in bench/ (which import
this after django.setup()).

Plain functions, called with the database open; the fixtures in the conftest files (``owner``,
the gallery's ``clip`` ...) are thin wrappers over them.
"""

from __future__ import annotations

import functools
import hashlib
import tempfile
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.utils import timezone

from ltxdash.gallery.models import ShareLink
from ltxdash.generations.models import Generation, GenerationEvent, GenerationInput, Output, State
from tests.media_factory import make_image, make_video

BATCH = 2000
READY_AFTER = timedelta(seconds=40)  # from created_at to ready_at / finished_at

# A text-to-video clip's params as the create form hands them to pipeline.create_generations.
T2V = {
    "prompt": "a lighthouse in a storm",
    "model": "ltx-2-3-fast",
    "duration": 6,
    "resolution": "1920x1080",
    "fps": 24,
}


def ago(seconds: float) -> Any:
    """The moment ``seconds`` ago (negative: from now)."""
    return timezone.now() - timedelta(seconds=seconds)


# --- users ------------------------------------------------------------------------------------


def make_user(name: str, *, superuser: bool = False, email: str = "", password: str = ""):
    """A user (a superuser if asked) whose password is ``<name>-pass-123`` unless given."""
    users = get_user_model().objects
    create = users.create_superuser if superuser else users.create_user
    return create(name, email, password or f"{name}-pass-123")


# --- generations ------------------------------------------------------------------------------


def workspace_of(user):
    """The workspace ``user`` works in (a personal one, made on first use)."""
    from ltxdash.workspaces import current

    membership = current.membership(user)
    assert membership is not None
    return membership.workspace


def make_generation(owner, state: str = State.QUEUED, **fields: Any) -> Generation:
    """A text-to-video row in any state, written directly (tests of later stages start there),
    with the event that opened it ("" -> state). ``fields`` are Generation fields."""
    values: dict[str, Any] = {
        "endpoint": "text-to-video",
        "model": "ltx-2-3-fast",
        "prompt": T2V["prompt"],
        "params": dict(T2V),
        "state": state,
    }
    values.update(fields)
    values.setdefault("workspace", workspace_of(owner))
    generation = Generation.objects.create(owner=owner, **values)
    make_event(generation, "", state)
    return generation


def make_event(generation: Generation, from_state: str, to_state: str, **fields: Any):
    """One line of a generation's timeline."""
    return GenerationEvent.objects.create(
        generation=generation, from_state=from_state, to_state=to_state, **fields
    )


def make_input(generation: Generation, role: str, **fields: Any) -> GenerationInput:
    """An input of ``generation`` (``role`` is the API field: image_uri, video_uri ...)."""
    return GenerationInput.objects.create(generation=generation, role=role, **fields)


def make_output(
    generation: Generation,
    *,
    data: bytes | None = None,
    poster: bytes | None = None,
    **fields: Any,
) -> Output:
    """An output of ``generation`` (label video_url unless given). ``data`` and ``poster`` are
    stored as its file (clip-<pk>.mp4) and poster (poster-<pk>.jpg), and size and sha256 follow
    from ``data`` unless given; without them only the fields given are written."""
    values: dict[str, Any] = {"label": "video_url", **fields}
    if data is not None:
        values.setdefault("size", len(data))
        values.setdefault("sha256", hashlib.sha256(data).hexdigest())
    output = Output(generation=generation, **values)
    if data is not None:
        output.file.save(f"clip-{generation.pk}.mp4", ContentFile(data), save=False)
    if poster is not None:
        output.poster.save(f"poster-{generation.pk}.jpg", ContentFile(poster), save=False)
    output.save()
    return output


# --- ready clips ------------------------------------------------------------------------------

# What clip_media() holds, as rehosting would have measured it.
CLIP_VIDEO = {
    "content_type": "video/mp4",
    "duration": 2.0,
    "width": 320,
    "height": 180,
    "fps": 24.0,
    "codec": "h264",
}


@functools.cache
def clip_media() -> tuple[bytes, bytes]:
    """(mp4, poster): a real 2-second 320x180 H.264 MP4 with its index first (about 10 kB) and
    a 320x180 JPEG, encoded once per test run."""
    with tempfile.TemporaryDirectory() as folder:
        video = make_video(Path(folder) / "clip.mp4", seconds=2, faststart=True)
        poster = make_image(Path(folder) / "poster.jpg", fmt="JPEG")
        return video.read_bytes(), poster.read_bytes()


def add_video(
    generation: Generation, data: bytes | None = None, poster: bytes | None = None, **fields: Any
) -> Output:
    """A video output with its file and poster stored: clip_media() unless other bytes are
    given; measured as CLIP_VIDEO unless ``fields`` say otherwise."""
    mp4, jpeg = clip_media()
    return make_output(
        generation,
        data=mp4 if data is None else data,
        poster=jpeg if poster is None else poster,
        **{**CLIP_VIDEO, **fields},
    )


def make_clip(owner, *, video: bool | None = None, **fields: Any) -> Generation:
    """A clip of a red fox, ready unless ``fields`` give another state, made two minutes ago
    with every timestamp of the way; a ready one (or any, with ``video=True``) gets a real MP4
    and poster in MEDIA_ROOT (add_video)."""
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
    values.setdefault("workspace", workspace_of(owner))
    generation = Generation.objects.create(owner=owner, **values)
    if video if video is not None else values["state"] == State.READY:
        add_video(generation)
    return generation


def make_placeholder_clip(owner, seconds: float = 4.0, **fields: Any) -> Generation:
    """A ready make_generation() clip whose video output is measured as ``seconds`` long at
    1920x1080, 2,048 bytes, but whose stored files are placeholders (64 zero bytes, two bytes of
    JPEG): for pages that read the measured fields, never the file."""
    now = timezone.now()
    generation = make_generation(owner, State.READY, ready_at=now, finished_at=now, **fields)
    add_video(
        generation,
        b"\0" * 64,
        b"\xff\xd8",
        size=2048,
        sha256=hashlib.sha256(b"clip").hexdigest(),
        duration=seconds,
        width=1920,
        height=1080,
    )
    return generation


def make_share_link(generation: Generation, lifetime: timedelta | None = None) -> ShareLink:
    """A share link to ``generation`` (never expiring unless ``lifetime``); its token is lost."""
    return ShareLink.create_for(generation, lifetime)[0]


# --- in bulk ----------------------------------------------------------------------------------


def bulk_ready_clips(
    owner,
    count: int,
    *,
    start: datetime | None = None,
    step: timedelta = timedelta(seconds=37),
    **overrides: Any,
) -> list[int]:
    """``count`` ready clips of ``owner``'s, each with a video Output row (no file is written:
    the pages read the stored fields), in batches of bulk_create. Clip ``i`` is created at
    ``start - i * step`` (``start`` defaults to now). ``overrides`` are Generation fields, each a
    value or a function of ``i``: ``favourite=lambda i: i % 17 == 0``. Returns the new ids."""
    start = start or timezone.now()
    workspace = overrides.pop("workspace", None) or workspace_of(owner)

    def fields(i: int) -> dict[str, Any]:
        created = start - i * step
        values = {
            "endpoint": "text-to-video",
            "model": "ltx-2-3-fast",
            "prompt": f"A red fox number {i} runs through fresh snow at dawn",
            "params": {"duration": 6, "resolution": "1920x1080", "fps": 24},
            "state": State.READY,
            "created_at": created,
            "ready_at": created + READY_AFTER,
            "finished_at": created + READY_AFTER,
        }
        for name, value in overrides.items():
            values[name] = value(i) if callable(value) else value
        return values

    generations = Generation.objects.bulk_create(
        (Generation(owner=owner, workspace=workspace, **fields(i)) for i in range(count)),
        batch_size=BATCH,
    )
    Output.objects.bulk_create(
        (
            Output(
                generation=generation,
                label="video_url",
                file=f"outputs/{generation.pk}.mp4",
                poster=f"posters/{generation.pk}.jpg",
                size=1_000_000,
                sha256="0" * 64,
                content_type="video/mp4",
                duration=6.0,
                width=1920,
                height=1080,
                fps=24.0,
                codec="h264",
            )
            for generation in generations
        ),
        batch_size=BATCH,
    )
    return [generation.pk for generation in generations]
