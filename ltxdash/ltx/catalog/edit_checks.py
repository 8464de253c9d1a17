"""Checks of the edit endpoints (retake, extend, HDR, reframe) and of every supplied input file."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from . import data
from .fields import Errors, check_choice, float_field, frame_count, optional_str, or_list
from .rules import (
    allowed_resolutions,
    blank,
    parse_resolution,
    pixel_tier,
    resolution_label,
    to_float,
)

if TYPE_CHECKING:
    from ltxdash.media import MediaInfo

_KIND_WORDS = {
    "image": "an image (PNG, JPEG or WEBP)",
    "video": "a video (MP4, MOV or MKV with H.264 or H.265)",
    "audio": "an audio file (WAV, MP3, M4A or OGG)",
}
_ROLE_NAMES = {
    "image_uri": "an image",
    "last_frame_uri": "a last frame",
    "audio_uri": "an audio file",
    "video_uri": "a video",
}


def _duration_range(endpoint: str) -> tuple[float, float]:
    """The (min, max) seconds of a float-duration endpoint (retake, extend); no max is inf."""
    span = data.ENDPOINTS[endpoint].duration_range
    if span is None:
        raise LookupError(f"the catalog gives {endpoint} no duration range")
    low, high = span
    return low, math.inf if high is None else high


def check_retake(
    model: str | None,
    params: Mapping[str, Any],
    inputs: Mapping[str, MediaInfo] | None,
    errors: Errors,
) -> None:
    check_choice(params, "mode", data.MODES["retake"], errors)
    resolution = optional_str(params.get("resolution"))
    if model is not None and resolution is not None:
        options = allowed_resolutions("retake", model)
        if resolution not in options:
            errors["resolution"].append(
                f"Retake makes {or_list([resolution_label(r) for r in options])} video, "
                "or leave it automatic."
            )
    start = float_field(params, "start_time", errors, required="Choose where the section starts.")
    length = float_field(params, "duration", errors, required="Choose how long the section is.")
    if start is not None and start < 0:
        errors["start_time"].append("The start time can't be negative.")
        start = None
    min_length, _ = _duration_range("retake")
    if length is not None and length < min_length:
        errors["duration"].append(f"The section must be at least {min_length:g} seconds long.")
        length = None
    video = (inputs or {}).get("video_uri")
    if video is None or video.duration is None or start is None or length is None:
        return
    if start >= video.duration:
        errors["start_time"].append(
            f"The section starts after the video ends (the video is {video.duration:.1f} s)."
        )
    elif min(start + length, video.duration) - start < min_length:
        # The API clamps a section that runs past the end; what is left must still be 2 s.
        errors["start_time"].append(
            f"Only {video.duration - start:.1f} s of video follow {start:g} s; the section needs "
            f"at least {min_length:g} s. Start earlier."
        )


def check_extend(
    model: str | None,
    params: Mapping[str, Any],
    inputs: Mapping[str, MediaInfo] | None,
    errors: Errors,
) -> None:
    check_choice(params, "mode", data.MODES["extend"], errors)
    low, high = _duration_range("extend")
    length = float_field(params, "duration", errors, required="Choose how much to add.")
    if length is not None and not low <= length <= high:
        errors["duration"].append(f"Add between {low:g} and {high:g} seconds.")
        length = None
    context = float_field(params, "context", errors)
    if context is not None and not 0 < context <= data.EXTEND_MAX_CONTEXT_SECONDS:
        errors["context"].append(
            f"Context must be more than 0 and at most {data.EXTEND_MAX_CONTEXT_SECONDS:g} seconds."
        )
        context = None
    video = (inputs or {}).get("video_uri")
    if video is None or video.kind != "video" or length is None:
        return
    if context is not None and video.duration is not None and context > video.duration:
        errors["context"].append(
            f"Context can't be longer than the video ({video.duration:.1f} s)."
        )
    if video.fps:
        # The API counts context + duration in frames at the input's frame rate.
        frames = round(((context or 0) + length) * video.fps)
        if frames > data.EXTEND_MAX_FRAMES:
            limit = data.EXTEND_MAX_FRAMES / video.fps
            what = "Context plus duration" if context else "The duration"
            field = "context" if context else "duration"
            errors[field].append(
                f"{what} must fit in {data.EXTEND_MAX_FRAMES} frames: at most {limit:.1f} s "
                f"for this {video.fps:g} fps video."
            )


def check_hdr(
    model: str | None,
    params: Mapping[str, Any],
    inputs: Mapping[str, MediaInfo] | None,
    errors: Errors,
) -> None:
    video = (inputs or {}).get("video_uri")
    if video is None or video.kind != "video" or not video.width or not video.height:
        return
    tier = pixel_tier(video.width, video.height)
    frames = frame_count(video)
    if tier is None or frames is None:
        return  # too large is reported by the common 4K check
    name, max_frames = tier
    if frames > max_frames:
        seconds = (
            f" (about {max_frames / video.fps:.1f} s at {video.fps:g} fps)" if video.fps else ""
        )
        errors["video_uri"].append(
            f"HDR takes at most {max_frames} frames at {name.upper() if name == '4k' else name}"
            f"{seconds}; this video has {frames}. Trim it first."
        )


def check_reframe(
    model: str | None,
    params: Mapping[str, Any],
    inputs: Mapping[str, MediaInfo] | None,
    errors: Errors,
) -> None:
    resolution = optional_str(params.get("resolution"))
    if resolution is None:
        errors["resolution"].append("Choose the new frame size.")
    elif model is not None and not reframe_size_ok(model, resolution):
        low, high = data.REFRAME_SIDE_RANGE
        errors["resolution"].append(
            f"Reframe can't make {resolution} video: each side must be {low} to {high} pixels."
        )
    _check_placement(params.get("placement"), errors)
    video = (inputs or {}).get("video_uri")
    if video is None or video.kind != "video":
        return
    if resolution is not None and resolution == f"{video.width}x{video.height}":
        errors["resolution"].append(
            f"This video is already {video.width}x{video.height}: reframing it to the same "
            "frame would be a paid copy of it. Choose another frame."
        )
    frames = frame_count(video)
    too_long = video.duration is not None and video.duration > data.REFRAME_MAX_SECONDS
    if too_long or (frames is not None and frames > data.REFRAME_MAX_FRAMES):
        errors["video_uri"].append(
            f"Reframe takes videos up to {data.REFRAME_MAX_SECONDS:g} s and "
            f"{data.REFRAME_MAX_FRAMES} frames. Trim it first."
        )


def reframe_size_ok(model: str, resolution: str) -> bool:
    """A size of the table, or any other "WxH" whose sides are within REFRAME_SIDE_RANGE."""
    if resolution in allowed_resolutions("video-to-video-reframe", model):
        return True
    size = parse_resolution(resolution)
    low, high = data.REFRAME_SIDE_RANGE
    return size is not None and all(low <= side <= high for side in size)


def _check_placement(value: Any, errors: Errors) -> None:
    """An anchor is checked with the other list fields; here, the fractional form: x, y, width
    and height, each a fraction of the new frame, the box inside it."""
    if not isinstance(value, dict):
        return
    problem = "Give placement as an anchor, or as x, y, width and height between 0 and 1."
    if set(value) != set(data.PLACEMENT_FRACTIONS):
        errors["placement"].append(problem)
        return
    try:
        x, y, width, height = (to_float(value[k]) for k in data.PLACEMENT_FRACTIONS)
    except (TypeError, ValueError):
        errors["placement"].append(problem)
        return
    inside = min(x, y) >= 0 and min(width, height) > 0
    if not inside or x + width > 1 or y + height > 1:
        errors["placement"].append(
            "The placement must lie inside the new frame: x + width and y + height at most 1."
        )


def check_inputs(
    endpoint: str, params: Mapping[str, Any], inputs: Mapping[str, MediaInfo], errors: Errors
) -> None:
    """Presence, kind, format, size and the edit endpoints' frame-count and size limits."""
    spec = data.ENDPOINTS[endpoint]
    for role, required in spec.input_roles.items():
        info = inputs.get(role)
        if info is None:
            if required and blank(params.get(role)):
                errors[role].append(f"Add {_ROLE_NAMES[role]}.")
            continue
        kind = data.ROLE_KINDS[role]
        if info.kind != kind or info.mime not in data.MIME_TYPES[kind]:
            errors[role].append(f"This must be {_KIND_WORDS[kind]}.")
            continue
        if kind == "video" and info.codec not in data.VIDEO_CODECS:
            errors[role].append("The video must use H.264 or H.265.")
        max_bytes = data.UPLOAD_LIMITS["upload"][kind]
        if info.size > max_bytes:
            errors[role].append(f"The file is over {max_bytes // data.MB} MB.")
        if kind == "video" and endpoint in ("retake", "extend", "video-to-video-hdr"):
            _check_video_frame(endpoint, role, info, errors)


def _check_video_frame(endpoint: str, role: str, info: MediaInfo, errors: Errors) -> None:
    if info.width and info.height:
        long_side, short_side = max(info.width, info.height), min(info.width, info.height)
        if long_side > data.MAX_INPUT_LONG_SIDE or short_side > data.MAX_INPUT_SHORT_SIDE:
            errors[role].append(
                f"The video is {info.width}x{info.height}; the largest allowed is 4K (3840x2160)."
            )
        if endpoint == "extend" and not _is_16_9(info.width, info.height):
            errors[role].append(
                f"Extend needs a 16:9 or 9:16 video; this one is {info.width}x{info.height}."
            )
    frames = frame_count(info)
    if endpoint != "video-to-video-hdr" and frames is not None and frames < data.MIN_INPUT_FRAMES:
        errors[role].append(
            f"The video needs at least {data.MIN_INPUT_FRAMES} frames (about 3 s at 24 fps); "
            f"it has {frames}."
        )


def _is_16_9(width: int, height: int) -> bool:
    # 1% tolerance: encoders round sizes to even numbers (854x480 is 16:9 to the eye and to LTX).
    ratio = max(width, height) / min(width, height)
    return abs(ratio - 16 / 9) <= 0.01 * 16 / 9
