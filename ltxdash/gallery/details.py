"""What the gallery shows about a clip, in words: labels from the catalog, its settings as rows,
the time each step took, and a download name. Plain functions, so templates stay simple."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import PurePosixPath
from typing import Any

from django.utils.text import slugify

from ltxdash.generations.models import Generation, Output
from ltxdash.ltx import catalog

# The modes a finished video can be fed into, as (catalog slug, button text).
FOLLOW_UPS = (
    ("extend", "Extend"),
    ("retake", "Retake"),
    ("video-to-video-hdr", "HDR"),
    ("video-to-video-reframe", "Reframe"),
)

# Request fields in the order and words the clip page uses; anything else is shown after them.
PARAM_LABELS = {
    "duration": "Duration",
    "resolution": "Resolution",
    "fps": "Frame rate",
    "generate_audio": "Audio",
    "camera_motion": "Camera motion",
    "guidance_scale": "Guidance scale",
    "start_time": "Start time",
    "mode": "Mode",
    "context": "Context",
}
_SECONDS = {"duration", "start_time", "context"}


def _value_text(key: str, value: Any) -> str:
    if value is None or value == "":
        return "auto" if key == "duration" else "—"
    if isinstance(value, bool):
        return "on" if value else "off"
    if key == "resolution":
        return f"{catalog.resolution_label(str(value))} ({value})"
    if key == "fps":
        return f"{value} fps"
    if key in _SECONDS:
        return f"{value:g} s" if isinstance(value, int | float) else f"{value} s"
    if isinstance(value, str):
        return value.replace("_", " ")
    return str(value)


def settings_rows(generation: Generation) -> list[tuple[str, str]]:
    """Mode, model and every request parameter as (label, value), known fields first."""
    rows = [("Mode", catalog.endpoint_label(generation.endpoint))]
    if generation.model:
        rows.append(("Model", catalog.model_label(generation.model)))
    params = generation.params or {}
    known = [k for k in PARAM_LABELS if k in params]
    other = sorted(k for k in params if k not in PARAM_LABELS and k not in {"prompt", "model"})
    for key in known + other:
        label = PARAM_LABELS.get(key) or key.replace("_", " ").capitalize()
        value = params[key]
        if key == "mode":  # extend's "end"/"start", retake's "replace_audio" ...: not the endpoint
            label = "Extend at" if generation.endpoint == "extend" else "Replace"
            value = str(value).removeprefix("replace_")
        rows.append((label, _value_text(key, value)))
    return rows


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
    """ "ltxdash-42-a-fox-running-through-snow.mp4": the clip id, then the prompt's first words."""
    generation = output.generation
    words = slugify(generation.prompt)[:48].rstrip("-")
    suffix = PurePosixPath(output.file.name or "").suffix.lower() or ".bin"
    stem = f"ltxdash-{generation.pk}" + (f"-{words}" if words else "")
    if output.label not in ("video_url", ""):
        stem += "-" + slugify(output.label.removesuffix("_url"))
    return stem + suffix
