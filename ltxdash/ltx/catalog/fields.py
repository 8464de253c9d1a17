"""Reading one request field leniently, and phrasing lists in messages."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .rules import blank, to_float, to_int

if TYPE_CHECKING:
    from ltxdash.media import MediaInfo

Errors = defaultdict[str, list[str]]
AUTO = "auto"


def frame_count(info: MediaInfo) -> int | None:
    if info.frames:
        return info.frames
    if info.duration and info.fps:
        return round(info.duration * info.fps)
    return None


def has_role(role: str, params: Mapping[str, Any], inputs: Mapping[str, Any] | None) -> bool:
    return (inputs is not None and role in inputs) or not blank(params.get(role))


def check_choice(
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
        errors[name].append(f"Choose {or_list(options)}.")


def optional_str(value: Any) -> str | None:
    return None if blank(value) or str(value).strip() == AUTO else str(value).strip()


def int_field(params: Mapping[str, Any], name: str, errors: Errors) -> int | None:
    if blank(params.get(name)):
        return None
    try:
        return to_int(params[name])
    except (TypeError, ValueError):
        errors[name].append("Enter a whole number.")
        return None


def float_field(
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


def or_list(values: Any) -> str:
    items = [str(v) for v in values]
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} or {items[-1]}"
