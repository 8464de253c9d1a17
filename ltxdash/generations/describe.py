"""A clip's request settings in words: labels from the catalog, one (label, value) row each.

The clip page lists them; takes.py compares them between takes of one prompt.
"""

from __future__ import annotations

from typing import Any

from ltxdash.generations.models import Generation
from ltxdash.ltx import catalog

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
