"""What the gallery shows about a clip, in words: labels from the catalog, its settings as rows,
the time each step took, and a download name. Plain functions, so templates stay simple."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import PurePosixPath

from django.utils.text import slugify

from ltxdash.generations.models import Generation, Output

# The modes a finished video can be fed into, as (catalog slug, button text).
FOLLOW_UPS = (
    ("extend", "Extend"),
    ("retake", "Retake"),
    ("video-to-video-hdr", "HDR"),
    ("video-to-video-reframe", "Reframe"),
)


@dataclass(frozen=True)
class Step:
    label: str
    at: datetime
    after: timedelta | None  # time since the step before it


def timings(generation: Generation) -> list[Step]:
    """The steps this clip went through, each with the time it took since the one before."""
    marks = [
        ("Queued", generation.created_at),
        ("Submitted", generation.submitted_at),
        ("Generating", generation.processing_at),
        ("Completed at LTX", generation.completed_at),
        ("Saved", generation.ready_at),
    ]
    if generation.finished_at and not generation.ready_at:
        marks.append((generation.get_state_display(), generation.finished_at))
    steps: list[Step] = []
    for label, at in marks:
        if at is None:
            continue
        steps.append(Step(label, at, at - steps[-1].at if steps else None))
    return steps


def duration_text(delta: timedelta | None) -> str:
    if delta is None:
        return ""
    seconds = max(0.0, delta.total_seconds())
    if seconds < 10:
        return f"{seconds:.1f} s"
    if seconds < 90:
        return f"{seconds:.0f} s"
    minutes, seconds = divmod(int(seconds), 60)
    if minutes < 90:
        return f"{minutes} min {seconds} s"
    return f"{minutes // 60} h {minutes % 60} min"


def download_name(output: Output) -> str:
    """ "ltxdash-42-a-fox-running-through-snow.mp4": the clip id, then its name or the prompt's
    first words."""
    generation = output.generation
    words = slugify(generation.title or generation.prompt)[:48].rstrip("-")
    suffix = PurePosixPath(output.file.name or "").suffix.lower() or ".bin"
    stem = f"ltxdash-{generation.pk}" + (f"-{words}" if words else "")
    if output.label not in ("video_url", ""):
        stem += "-" + slugify(output.label.removesuffix("_url"))
    return stem + suffix
