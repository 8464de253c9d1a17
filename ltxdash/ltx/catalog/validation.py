"""validate(): field-level, plain-English messages for a request, before anything is sent."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from . import data
from .edit_checks import check_extend, check_hdr, check_inputs, check_reframe, check_retake
from .fields import (
    AUTO,
    Errors,
    check_choice,
    float_field,
    has_role,
    int_field,
    optional_str,
    or_list,
)
from .rules import (
    allowed_durations,
    allowed_fps,
    allowed_resolutions,
    blank,
    max_input_seconds,
    model_label,
    resolution_label,
    to_bool,
    to_int,
)

if TYPE_CHECKING:
    from ltxdash.media import MediaInfo


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
        check_retake(model, params, inputs, errors)
    elif endpoint == "extend":
        check_extend(params, inputs, errors)
    elif endpoint == "video-to-video-hdr":
        check_hdr(inputs, errors)
    elif endpoint == "video-to-video-reframe":
        check_reframe(model, params, inputs, errors)
    if inputs is not None:
        check_inputs(endpoint, params, inputs, errors)
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
        options = or_list([model_label(m) for m in spec.models])
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
        elif endpoint == "audio-to-video" and not has_role("image_uri", params, inputs):
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
    check_choice(params, "camera_motion", data.CAMERA_MOTIONS, errors, allow_none=True)
    if not blank(params.get("generate_audio")):
        try:
            to_bool(params["generate_audio"])
        except ValueError:
            errors["generate_audio"].append("Choose whether to generate audio (yes or no).")
    resolution = optional_str(params.get("resolution"))
    fps = int_field(params, "fps", errors)
    duration_raw = params.get("duration", "")
    if resolution is None:
        errors["resolution"].append("Choose a resolution.")
    if model is None or resolution is None:
        return  # the rest depends on a valid model and resolution
    label = model_label(model)
    resolutions = allowed_resolutions(endpoint, model)
    if resolution not in resolutions:
        options = or_list([resolution_label(r) for r in resolutions])
        errors["resolution"].append(
            f"{label} can't make {resolution_label(resolution)} ({resolution}) video. Choose {options}."
        )
        return
    if "fps" in errors:
        return  # durations depend on a valid fps
    fps_options = allowed_fps(endpoint, model, resolution)
    if fps is None:
        fps = data.DEFAULT_FPS  # what build_request will send
    if fps not in fps_options:
        errors["fps"].append(
            f"{label} at {resolution_label(resolution)} runs at {or_list(fps_options)} fps, "
            f"not {fps}."
        )
        return
    auto_ok = data.MODELS[model].auto_duration
    if duration_raw is None or str(duration_raw).strip().lower() == AUTO:
        if not auto_ok:
            auto_models = or_list([m.label for m in data.MODELS.values() if m.auto_duration])
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
            f"{fps} fps. Choose {or_list(durations)} seconds."
        )


def _check_audio_to_video(
    model: str | None,
    params: Mapping[str, Any],
    inputs: Mapping[str, MediaInfo] | None,
    errors: Errors,
) -> None:
    resolution = optional_str(params.get("resolution"))
    if model is not None and resolution is not None:
        options = allowed_resolutions("audio-to-video", model)
        if resolution not in options:
            errors["resolution"].append(
                f"{model_label(model)} audio-to-video makes "
                f"{or_list([resolution_label(r) for r in options])} video, or leave it automatic."
            )
            return
    guidance = float_field(params, "guidance_scale", errors)
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
