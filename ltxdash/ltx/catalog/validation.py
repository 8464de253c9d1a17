"""validate(): field-level, plain-English messages for a request, before anything is sent."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from . import data
from .rules import (
    allowed_durations,
    allowed_fps,
    allowed_resolutions,
    blank,
    max_input_seconds,
    model_label,
    pixel_tier,
    resolution_label,
    to_bool,
    to_float,
    to_int,
)

if TYPE_CHECKING:
    from ltxdash.media import MediaInfo

Errors = defaultdict[str, list[str]]

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
_AUTO = "auto"


def validate(
    endpoint: str, params: Mapping[str, Any], inputs: Mapping[str, MediaInfo] | None = None
) -> dict[str, list[str]]:
    """Messages keyed by API field name ("__all__" for cross-field); an empty dict means valid.

    `inputs` maps a role ("video_uri", ...) to the probed file. Without it, media checks are
    skipped; with it, a required role that is neither in `inputs` nor in `params` is reported.
    """
    spec = data.ENDPOINTS.get(endpoint)
    if spec is None:
        return {"__all__": [f"Unknown kind of generation: {endpoint!r}."]}
    errors: Errors = defaultdict(list)
    model = _check_model(endpoint, params, errors)
    _check_prompt(endpoint, params, inputs, errors)
    if endpoint in data.GEN:
        _check_generation(endpoint, model, params, errors)
    elif endpoint == "audio-to-video":
        _check_audio_to_video(model, params, inputs, errors)
    elif endpoint == "retake":
        _check_retake(model, params, inputs, errors)
    elif endpoint == "extend":
        _check_extend(params, inputs, errors)
    elif endpoint == "video-to-video-hdr":
        _check_hdr(inputs, errors)
    elif endpoint == "video-to-video-reframe":
        _check_reframe(model, params, inputs, errors)
    if inputs is not None:
        _check_inputs(endpoint, params, inputs, errors)
    return dict(errors)


def _check_model(endpoint: str, params: Mapping[str, Any], errors: Errors) -> str | None:
    """The model to use, or None when it is missing, unknown or not allowed here."""
    spec = data.ENDPOINTS[endpoint]
    if not spec.takes("model"):
        return None
    raw = params.get("model")
    if blank(raw):
        if "model" in spec.required_fields:
            errors["model"].append("Choose a model.")
            return None
        return spec.default_model
    model = str(raw).strip()
    known = data.MODELS.get(model)
    if known is None:
        errors["model"].append(f"Unknown model {model!r}.")
        return None
    if not known.is_current:
        when = f" on {known.removed_on:%d %B %Y}" if known.removed_on else ""
        instead = f" Use {model_label(known.replacement)} instead." if known.replacement else ""
        errors["model"].append(f"{known.label} was removed by LTX{when}.{instead}")
        return None
    if model not in spec.models:
        options = _or_list([model_label(m) for m in spec.models])
        errors["model"].append(f"{known.label} can't do {spec.label}. Choose {options}.")
        return None
    return model


def _check_prompt(
    endpoint: str,
    params: Mapping[str, Any],
    inputs: Mapping[str, MediaInfo] | None,
    errors: Errors,
) -> None:
    spec = data.ENDPOINTS[endpoint]
    if not spec.takes("prompt"):
        return
    prompt = params.get("prompt")
    if blank(prompt):
        if "prompt" in spec.required_fields:
            errors["prompt"].append("Write a prompt.")
        elif endpoint == "audio-to-video" and not _has_role("image_uri", params, inputs):
            # The API needs one of the two; with an image the prompt may be empty.
            errors["prompt"].append("Write a prompt or add an image.")
        return
    if len(str(prompt)) > data.PROMPT_MAX_CHARS:
        errors["prompt"].append(
            f"Keep the prompt under {data.PROMPT_MAX_CHARS:,} characters "
            f"(it has {len(str(prompt)):,})."
        )


def _check_generation(
    endpoint: str, model: str | None, params: Mapping[str, Any], errors: Errors
) -> None:
    """Text/image-to-video: resolution, fps, duration against the table, plus the simple fields."""
    _check_choice(params, "camera_motion", data.CAMERA_MOTIONS, errors, allow_none=True)
    if not blank(params.get("generate_audio")):
        try:
            to_bool(params["generate_audio"])
        except ValueError:
            errors["generate_audio"].append("Choose whether to generate audio (yes or no).")
    resolution = _optional_str(params.get("resolution"))
    fps = _int_field(params, "fps", errors)
    duration_raw = params.get("duration", "")
    if resolution is None:
        errors["resolution"].append("Choose a resolution.")
    if model is None or resolution is None:
        return  # the rest depends on a valid model and resolution
    label = model_label(model)
    resolutions = allowed_resolutions(endpoint, model)
    if resolution not in resolutions:
        options = _or_list([resolution_label(r) for r in resolutions])
        errors["resolution"].append(
            f"{label} can't make {resolution_label(resolution)} ({resolution}) video. Choose {options}."
        )
        return
    fps_options = allowed_fps(endpoint, model, resolution)
    if fps is None and "fps" not in errors:
        fps = data.DEFAULT_FPS  # what build_request will send
    if fps is not None and fps not in fps_options:
        errors["fps"].append(
            f"{label} at {resolution_label(resolution)} runs at {_or_list(fps_options)} fps, "
            f"not {fps}."
        )
        return
    auto_ok = data.MODELS[model].auto_duration
    if duration_raw is None or str(duration_raw).strip().lower() == _AUTO:
        if not auto_ok:
            auto_models = _or_list([m.label for m in data.MODELS.values() if m.auto_duration])
            errors["duration"].append(
                f"Choose a duration: automatic duration works only with {auto_models}."
            )
        return
    if blank(duration_raw):
        errors["duration"].append("Choose a duration.")
        return
    try:
        duration = to_int(duration_raw)
    except ValueError:
        errors["duration"].append("Duration must be a whole number of seconds.")
        return
    durations = allowed_durations(endpoint, model, resolution, fps)
    if duration not in durations:
        errors["duration"].append(
            f"{duration} s isn't available for {label} at {resolution_label(resolution)} and "
            f"{fps} fps. Choose {_or_list(durations)} seconds."
        )


def _check_audio_to_video(
    model: str | None,
    params: Mapping[str, Any],
    inputs: Mapping[str, MediaInfo] | None,
    errors: Errors,
) -> None:
    resolution = _optional_str(params.get("resolution"))
    if model is not None and resolution is not None:
        options = allowed_resolutions("audio-to-video", model)
        if resolution not in options:
            errors["resolution"].append(
                f"{model_label(model)} audio-to-video makes "
                f"{_or_list([resolution_label(r) for r in options])} video, or leave it automatic."
            )
            return
    guidance = _float_field(params, "guidance_scale", errors)
    if guidance is not None and guidance <= 0:
        errors["guidance_scale"].append("Guidance scale must be a positive number.")
    audio = (inputs or {}).get("audio_uri")
    if audio is None or audio.kind != "audio" or audio.duration is None:
        return
    low, high = data.AUDIO_SECONDS
    cap = max_input_seconds("audio-to-video", model, resolution or data.DEFAULT_RESOLUTION)
    if cap is not None and model is not None:
        high = min(high, cap)
    if not low <= audio.duration <= high:
        errors["audio_uri"].append(
            f"The audio must be {low:g} to {high:g} seconds long for this model and resolution "
            f"(it is {audio.duration:.1f} s)."
        )


def _check_retake(
    model: str | None,
    params: Mapping[str, Any],
    inputs: Mapping[str, MediaInfo] | None,
    errors: Errors,
) -> None:
    _check_choice(params, "mode", data.MODES["retake"], errors)
    resolution = _optional_str(params.get("resolution"))
    if model is not None and resolution is not None:
        options = allowed_resolutions("retake", model)
        if resolution not in options:
            errors["resolution"].append(
                f"Retake makes {_or_list([resolution_label(r) for r in options])} video, "
                "or leave it automatic."
            )
    start = _float_field(params, "start_time", errors, required="Choose where the section starts.")
    length = _float_field(params, "duration", errors, required="Choose how long the section is.")
    if start is not None and start < 0:
        errors["start_time"].append("The start time can't be negative.")
        start = None
    min_length = data.ENDPOINTS["retake"].duration_range[0]  # type: ignore[index]
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


def _check_extend(
    params: Mapping[str, Any], inputs: Mapping[str, MediaInfo] | None, errors: Errors
) -> None:
    _check_choice(params, "mode", data.MODES["extend"], errors)
    low, high = data.ENDPOINTS["extend"].duration_range  # type: ignore[misc]
    length = _float_field(params, "duration", errors, required="Choose how much to add.")
    if length is not None and not low <= length <= high:  # type: ignore[operator]
        errors["duration"].append(f"Add between {low:g} and {high:g} seconds.")
        length = None
    context = _float_field(params, "context", errors)
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


def _check_hdr(inputs: Mapping[str, MediaInfo] | None, errors: Errors) -> None:
    video = (inputs or {}).get("video_uri")
    if video is None or video.kind != "video" or not video.width or not video.height:
        return
    tier = pixel_tier(video.width, video.height)
    frames = _frame_count(video)
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


def _check_reframe(
    model: str | None,
    params: Mapping[str, Any],
    inputs: Mapping[str, MediaInfo] | None,
    errors: Errors,
) -> None:
    resolution = _optional_str(params.get("resolution"))
    if resolution is None:
        errors["resolution"].append("Choose the new frame size.")
    elif model is not None and resolution not in allowed_resolutions(
        "video-to-video-reframe", model
    ):
        errors["resolution"].append(f"Reframe can't make {resolution} video.")
    video = (inputs or {}).get("video_uri")
    if video is None or video.kind != "video":
        return
    frames = _frame_count(video)
    too_long = video.duration is not None and video.duration > data.REFRAME_MAX_SECONDS
    if too_long or (frames is not None and frames > data.REFRAME_MAX_FRAMES):
        errors["video_uri"].append(
            f"Reframe takes videos up to {data.REFRAME_MAX_SECONDS:g} s and "
            f"{data.REFRAME_MAX_FRAMES} frames. Trim it first."
        )


def _check_inputs(
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
    frames = _frame_count(info)
    if endpoint != "video-to-video-hdr" and frames is not None and frames < data.MIN_INPUT_FRAMES:
        errors[role].append(
            f"The video needs at least {data.MIN_INPUT_FRAMES} frames (about 3 s at 24 fps); "
            f"it has {frames}."
        )


def _is_16_9(width: int, height: int) -> bool:
    # 1% tolerance: encoders round sizes to even numbers (854x480 is 16:9 to the eye and to LTX).
    ratio = max(width, height) / min(width, height)
    return abs(ratio - 16 / 9) <= 0.01 * 16 / 9


def _frame_count(info: MediaInfo) -> int | None:
    if info.frames:
        return info.frames
    if info.duration and info.fps:
        return round(info.duration * info.fps)
    return None


def _has_role(role: str, params: Mapping[str, Any], inputs: Mapping[str, Any] | None) -> bool:
    return (inputs is not None and role in inputs) or not blank(params.get(role))


def _check_choice(
    params: Mapping[str, Any],
    name: str,
    options: tuple[str, ...],
    errors: Errors,
    *,
    allow_none: bool = False,
) -> None:
    value = params.get(name)
    if blank(value) or (allow_none and str(value).strip().lower() == "none"):
        return
    if str(value).strip() not in options:
        errors[name].append(f"Choose {_or_list(options)}.")


def _optional_str(value: Any) -> str | None:
    return None if blank(value) or str(value).strip() == _AUTO else str(value).strip()


def _int_field(params: Mapping[str, Any], name: str, errors: Errors) -> int | None:
    if blank(params.get(name)):
        return None
    try:
        return to_int(params[name])
    except (TypeError, ValueError):
        errors[name].append("Enter a whole number.")
        return None


def _float_field(
    params: Mapping[str, Any], name: str, errors: Errors, *, required: str = ""
) -> float | None:
    if blank(params.get(name)):
        if required:
            errors[name].append(required)
        return None
    try:
        return to_float(params[name])
    except (TypeError, ValueError):
        errors[name].append(
            "Enter a number of seconds." if name != "guidance_scale" else "Enter a number."
        )
        return None


def _or_list(values: Any) -> str:
    items = [str(v) for v in values]
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} or {items[-1]}"
