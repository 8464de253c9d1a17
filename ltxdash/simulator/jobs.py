"""What a submitted job will do: its outcome (prompt markers) and the media it will produce."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

from ltxdash.ltx import catalog

from .config import SimConfig
from .render import small_size

_MARKER = re.compile(
    r"\[(reject|filter|funds|fail|busy|size=(\d+(?:\.\d+)?)\s*([kmg])?i?b?)\]", re.I
)
_UNITS = {None: 1, "k": 1024, "m": 1024**2, "g": 1024**3}
_FAILURES = {
    "filter": (
        "content_filtered_error",
        "The generated content was blocked by the safety filters.",
    ),
    "funds": (
        "insufficient_funds_error",
        "Your balance ran out before this generation finished. Top up your credits.",
    ),
    "fail": ("api_error", "The generation failed unexpectedly. Please try again."),
    # LTX Desktop 1.3's fixtures show overloaded_error as a failed job's type.
    "busy": ("overloaded_error", "The service is overloaded. Please try again later."),
}
DEFAULT_SECONDS = 5.0  # for inputs the simulator could not probe (https URLs)
HDR_MAX_FRAMES = 24


@dataclass(frozen=True)
class Plan:
    outcome: str  # completed | failed
    error_type: str | None
    error_message: str | None
    result_key: str
    result_name: str
    spec: dict[str, Any]
    # Outputs beside the first: {result key: (file name, render spec)} (HDR's MP4).
    extra: dict[str, tuple[str, dict[str, Any]]] = field(default_factory=dict)


def _markers(prompt: Any) -> list[re.Match[str]]:
    return list(_MARKER.finditer(prompt)) if isinstance(prompt, str) else []


def rejected_by_filter(params: dict[str, Any]) -> bool:
    return any(m.group(1).lower() == "reject" for m in _markers(params.get("prompt")))


def _size_marker(prompt: Any) -> int:
    size = 0
    for match in _markers(prompt):
        if match.group(2):
            unit = match.group(3).lower() if match.group(3) else None
            size = max(size, int(float(match.group(2)) * _UNITS[unit]))
    return size


def _dimensions(value: Any) -> tuple[int, int] | None:
    if isinstance(value, str) and re.fullmatch(r"\d{2,5}x\d{2,5}", value):
        width, height = value.split("x")
        return int(width), int(height)
    return None


def _number(value: Any, default: float) -> float:
    """A number from the request, or ``default`` (validation has already refused nonsense)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return default
    return number if math.isfinite(number) and number > 0 else default


def _info(media: dict[str, Any], *names: str) -> Any:
    for name in names:
        if name in media:
            return media[name]
    return None


def plan_job(
    endpoint: str, params: dict[str, Any], media: dict[str, Any], config: SimConfig
) -> Plan:
    prompt = params.get("prompt")
    outcome, error_type, error_message = "completed", None, None
    for match in _markers(prompt):
        if match.group(1).lower() in _FAILURES:
            error_type, error_message = _FAILURES[match.group(1).lower()]
            outcome = "failed"
            break
    result_key = catalog.ENDPOINTS[endpoint].result_keys[0]

    source = _info(media, "video_uri", "image_uri", "audio_uri")
    src_w, src_h = getattr(source, "width", None), getattr(source, "height", None)
    source_size = (src_w, src_h) if src_w and src_h else None
    source_seconds = getattr(_info(media, "video_uri", "audio_uri"), "duration", None)

    if endpoint == "video-to-video-hdr":
        source_width, source_height = source_size or (1920, 1080)
        width, height = small_size(source_width, source_height, long_side=128)
        frames = getattr(media.get("video_uri"), "frames", None) or 12
        frames = max(1, min(int(frames), HDR_MAX_FRAMES))
        spec = {"kind": "exr", "width": width, "height": height, "frames": frames}
        # The HDR MP4 beside the frames (an ordinary MP4 here: only its place in the answer and
        # its type are the contract), as long as the frames at the source's rate.
        fps = max(1, min(60, round(getattr(media.get("video_uri"), "fps", None) or 24)))
        colorspace = params.get("output_colorspace") or "acescg"
        mp4 = {
            "kind": "mp4",
            "width": width,
            "height": height,
            "fps": fps,
            "seconds": round(max(0.5, min(frames / fps, config.max_clip_seconds or 0.5)), 3),
            "audio": False,
            "title": "HDR",
            "caption": f"{endpoint} · {colorspace}",
            "pad_to": config.output_pad_bytes,
        }
        extra = {"video_url": ("video.mp4", mp4)}
        return Plan(outcome, error_type, error_message, result_key, "frames.zip", spec, extra)

    size = _dimensions(params.get("resolution"))
    if size is None and endpoint == "extend" and source_size:
        size = source_size
    if size is None:  # the API follows the input's orientation
        portrait = source_size is not None and source_size[1] > source_size[0]
        size = (1080, 1920) if portrait else (1920, 1080)

    if endpoint in ("text-to-video", "image-to-video"):
        seconds = _number(params.get("duration"), 8)  # duration null: "automatic", pick 8 s
        audio = params.get("generate_audio", True) is not False
    else:
        seconds = source_seconds or DEFAULT_SECONDS
        if endpoint == "extend":
            seconds += _number(params.get("duration"), 0)
        has_audio = getattr(_info(media, "audio_uri", "video_uri"), "has_audio", None)
        audio = endpoint == "audio-to-video" or has_audio is not False

    fps = _number(params.get("fps"), getattr(media.get("video_uri"), "fps", None) or 25)
    fps = max(1, min(60, round(fps)))
    seconds = max(0.5, min(seconds, config.max_clip_seconds or 0.5))
    width, height = small_size(*size)
    model = params.get("model") or "default model"
    spec = {
        "kind": "mp4",
        "width": width,
        "height": height,
        "fps": fps,
        "seconds": round(seconds, 3),
        "audio": audio,
        "title": prompt if isinstance(prompt, str) and prompt else endpoint,
        "caption": f"{endpoint} · {model} · {size[0]}x{size[1]} · {fps} fps",
        "pad_to": max(config.output_pad_bytes, _size_marker(prompt)),
    }
    return Plan(outcome, error_type, error_message, result_key, "video.mp4", spec)
