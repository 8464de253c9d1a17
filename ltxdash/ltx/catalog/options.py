"""What the create form may offer (choices), defaults, and per-role upload limits."""

from __future__ import annotations

from . import data
from .rules import allowed_durations, allowed_fps, allowed_resolutions, caveat
from .specs import Choices, InputLimit

_ACCEPT_EXTENSIONS = {
    "image": ".png,.jpg,.jpeg,.webp",
    "video": ".mp4,.mov,.mkv",
    "audio": ".wav,.mp3,.m4a,.ogg",
}


def default_model(endpoint: str) -> str | None:
    return data.ENDPOINTS[endpoint].default_model


def current_models() -> tuple[str, ...]:
    return tuple(m.id for m in data.MODELS.values() if m.is_current)


def choices(
    endpoint: str,
    model: str | None = None,
    resolution: str | None = None,
    fps: int | None = None,
) -> Choices:
    """Options valid together with the current selections; invalid selections fall back to defaults.

    The UI calls this again whenever the model, resolution or fps changes.
    """
    spec = data.ENDPOINTS[endpoint]
    models = spec.models
    model = model if model in models else spec.default_model
    caveats: dict[str, dict[str | int, str]] = {}
    _note(caveats, "model", {m: caveat(endpoint, m) for m in models})

    resolutions = allowed_resolutions(endpoint, model) if spec.takes("resolution") else ()
    optional = endpoint in data.RESOLUTION_OPTIONAL
    chosen = endpoint in data.RESOLUTION_CHOSEN
    if resolution not in resolutions:
        no_default = optional or chosen or not resolutions
        resolution = None if no_default else _prefer(resolutions, data.DEFAULT_RESOLUTION)
    _note(caveats, "resolution", {r: caveat(endpoint, model, r) for r in resolutions})

    fps_options: tuple[int, ...] = ()
    durations: tuple[int, ...] = ()
    duration: int | None = None
    if spec.takes("fps"):
        fps_options = allowed_fps(endpoint, model, resolution)
        fps = fps if fps in fps_options else _prefer(fps_options, spec.default_fps)
        durations = allowed_durations(endpoint, model, resolution, fps)
        duration = _prefer(durations, data.DEFAULT_DURATION)
        _note(caveats, "fps", {f: caveat(endpoint, model, resolution, f) for f in fps_options})
        _note(
            caveats, "duration", {d: caveat(endpoint, model, resolution, fps, d) for d in durations}
        )
    else:
        fps = None

    field_notes: dict[str, str] = dict(data.FIELD_NOTES.get(endpoint, {}))
    model_spec = data.MODELS.get(model) if model else None
    if spec.takes("camera_motion") and model_spec and model_spec.tier == "fast":
        field_notes["camera_motion"] = data.CAMERA_MOTION_FAST_NOTE
    if spec.takes("last_frame_uri") and model in data.LAST_FRAME_NOTE:
        field_notes.setdefault("last_frame_uri", data.LAST_FRAME_NOTE[model])

    return Choices(
        endpoint=endpoint,
        models=models,
        resolutions=resolutions,
        fps=fps_options,
        durations=durations,
        auto_duration=bool(model_spec and model_spec.auto_duration and endpoint in data.GEN),
        duration_range=spec.duration_range,
        camera_motions=data.CAMERA_MOTIONS if spec.takes("camera_motion") else (),
        modes=data.MODES.get(endpoint, ()),
        model=model,
        resolution=resolution,
        fps_value=fps,
        duration=duration,
        resolution_optional=optional,
        resolution_chosen=chosen,
        field_choices={n: v for n, v in data.FIELD_CHOICES.items() if spec.takes(n)},
        caveats=caveats,
        field_notes=field_notes,
    )


def upload_limits(endpoint: str | None = None) -> dict[str, dict[str, int]]:
    """Max bytes per input method ("upload", "url", "data_uri") and media kind; with an
    endpoint, its own larger limits where it has any (HDR's and reframe's 200 MB URLs)."""
    own = data.ENDPOINT_UPLOAD_LIMITS.get(endpoint or "", {})
    return {
        method: {**limits, **own.get(method, {})} for method, limits in data.UPLOAD_LIMITS.items()
    }


def largest_upload_bytes() -> int:
    """The largest file any input role accepts as an upload: the default per-file cap on
    request bodies (settings.LTXDASH_MAX_UPLOAD_BYTES)."""
    return max(data.UPLOAD_LIMITS["upload"].values())


def most_inputs() -> int:
    """The most input files one request can carry (an endpoint's input roles)."""
    return max(len(spec.input_roles) for spec in data.ENDPOINTS.values())


def input_limit(role: str, method: str = "upload", endpoint: str | None = None) -> InputLimit:
    """What one role (e.g. "video_uri") accepts through one input method (of one endpoint)."""
    kind = data.ROLE_KINDS[role]
    return InputLimit(
        role=role,
        kind=kind,
        mime_types=data.MIME_TYPES[kind],
        max_bytes=upload_limits(endpoint)[method][kind],
    )


def accept_attribute(role: str) -> str:
    """For <input type="file" accept="...">: MIME types and extensions (browsers vary)."""
    kind = data.ROLE_KINDS[role]
    return ",".join((*data.MIME_TYPES[kind], _ACCEPT_EXTENSIONS[kind]))


def _prefer[T](options: tuple[T, ...], preferred: T) -> T | None:
    if preferred in options:
        return preferred
    return options[0] if options else None


def _note(caveats: dict[str, dict[str | int, str]], name: str, notes: dict) -> None:
    kept = {value: note for value, note in notes.items() if note}
    if kept:
        caveats[name] = kept
