"""validate(): field-level, plain-English messages for a request, before anything is sent."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping
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
    _check_simple_fields(endpoint, params, errors)
    own_checks = _CHECKS.get(endpoint)
    if own_checks is not None:
        own_checks(model, params, inputs, errors)
    if inputs is not None:
        check_inputs(endpoint, params, inputs, errors)
    return dict(errors)


def _check_simple_fields(endpoint: str, params: Mapping[str, Any], errors: Errors) -> None:
    """The list fields (`data.FIELD_CHOICES`) and true/false fields the endpoint takes."""
    spec = data.ENDPOINTS[endpoint]
    for name, options in data.FIELD_CHOICES.items():
        if spec.takes(name) and not (name == "placement" and isinstance(params.get(name), dict)):
            check_choice(params, name, options, errors, allow_none=name == "camera_motion")
    for name in data.BOOLEAN_FIELDS:
        if spec.takes(name) and not blank(params.get(name)):
            try:
                to_bool(params[name])
            except ValueError:
                what = name.replace("_", " ")
                errors[name].append(f"Choose whether to {what} (yes or no).")


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
    endpoint: str,
    model: str | None,
    params: Mapping[str, Any],
    inputs: Mapping[str, MediaInfo] | None,
    errors: Errors,
) -> None:
    """Text/image-to-video: resolution, fps, duration against the table."""
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
        fps = data.ENDPOINTS[endpoint].default_fps  # what build_request will send
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
        elif has_role("last_frame_uri", params, inputs):
            # LTX Desktop 1.3 refuses the pair; the changelog summary says the API does too.
            errors["duration"].append(
                "Automatic duration can't be combined with a last frame: choose a duration, "
                "or remove the last frame."
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
    fps = int_field(params, "fps", errors)
    if model is not None and "fps" not in errors:
        # Automatic resolution: the API makes 1080p (portrait or landscape).
        fps_options = allowed_fps("audio-to-video", model, resolution or data.DEFAULT_RESOLUTION)
        wanted = data.ENDPOINTS["audio-to-video"].default_fps if fps is None else fps
        if wanted not in fps_options:
            errors["fps"].append(
                f"{model_label(model)} audio-to-video runs at {or_list(fps_options)} fps, "
                f"not {wanted}."
            )
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


def _check_text_to_video(
    model: str | None,
    params: Mapping[str, Any],
    inputs: Mapping[str, MediaInfo] | None,
    errors: Errors,
) -> None:
    _check_generation("text-to-video", model, params, inputs, errors)


def _check_image_to_video(
    model: str | None,
    params: Mapping[str, Any],
    inputs: Mapping[str, MediaInfo] | None,
    errors: Errors,
) -> None:
    _check_generation("image-to-video", model, params, inputs, errors)


# Each endpoint's own checks, after the model, the prompt and the simple fields; an endpoint
# not listed has none beyond those and the inputs' (presence, kind, format, size).
Check = Callable[[str | None, Mapping[str, Any], "Mapping[str, MediaInfo] | None", Errors], None]
_CHECKS: dict[str, Check] = {
    "text-to-video": _check_text_to_video,
    "image-to-video": _check_image_to_video,
    "audio-to-video": _check_audio_to_video,
    "retake": check_retake,
    "extend": check_extend,
    "video-to-video-hdr": check_hdr,
    "video-to-video-reframe": check_reframe,
}
