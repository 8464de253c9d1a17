"""Queries over the catalog tables, labels, and lenient parsing of form values."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

from .data import COMBOS, HDR_TIERS, MODELS
from .specs import Combo

# --- Parsing: params may come from JSON (ints, floats, bools) or from form data (strings) -------


def blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def to_int(value: Any) -> int:
    """8, 8.0, "8" and "8.0" are 8; 8.5, "abc" and True raise ValueError."""
    if isinstance(value, bool):
        raise ValueError(value)
    number = to_float(value)
    if not number.is_integer():
        raise ValueError(value)
    return int(number)


def to_float(value: Any) -> float:
    if isinstance(value, bool):
        raise ValueError(value)
    number = float(value.strip() if isinstance(value, str) else value)
    if not math.isfinite(number):
        raise ValueError(value)
    return number


_TRUE = {"true", "1", "on", "yes"}
_FALSE = {"false", "0", "off", "no"}


def to_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(value)


def parse_resolution(value: str) -> tuple[int, int] | None:
    """ "1920x1080" -> (1920, 1080); anything else -> None."""
    width, sep, height = str(value).strip().lower().partition("x")
    if not sep or not width.isdigit() or not height.isdigit():
        return None
    return int(width), int(height)


# --- Labels -------------------------------------------------------------------------------------

_TIER_NAMES = {720: "720p", 1080: "1080p", 1440: "1440p", 2160: "4K"}
_RATIO_NAMES = {(4, 5): "4:5", (5, 4): "5:4", (3, 2): "3:2", (2, 3): "2:3"}


def model_label(model_id: str | None) -> str:
    if model_id is None:
        return "No model"
    spec = MODELS.get(model_id)
    return spec.label if spec else model_id


def resolution_label(resolution: str) -> str:
    """ "1920x1080" -> "1080p landscape", "1080x1350" -> "1080p portrait 4:5"."""
    size = parse_resolution(resolution)
    if size is None:
        return str(resolution)
    width, height = size
    short = min(width, height)
    name = _TIER_NAMES.get(short, f"{short}p")
    if width == height:
        return f"{name} square"
    orientation = "landscape" if width > height else "portrait"
    ratio = _RATIO_NAMES.get(_reduced(width, height))
    return f"{name} {orientation} {ratio}" if ratio else f"{name} {orientation}"


def _reduced(width: int, height: int) -> tuple[int, int]:
    divisor = math.gcd(width, height)
    return width // divisor, height // divisor


# --- Price tiers ----------------------------------------------------------------------------------


def resolution_tier(resolution: str | None) -> str | None:
    """Price tier of an output resolution, by its short side: "1080x1920" -> "1080p"."""
    size = parse_resolution(resolution) if resolution else None
    if size is None:
        return None
    tier = _TIER_NAMES.get(min(size))
    return tier.lower() if tier else None


def pixel_tier(width: int, height: int) -> tuple[str, int] | None:
    """Smallest HDR-style input tier that fits by pixel count: (tier, max frames), or None."""
    for tier, max_pixels, max_frames in HDR_TIERS:
        if width * height <= max_pixels:
            return tier, max_frames
    return None


# --- The combination table ---------------------------------------------------------------------


def matching_combos(
    endpoint: str,
    model: str | None,
    resolution: str | None = None,
    fps: int | None = None,
    duration: int | None = None,
) -> Iterator[Combo]:
    """Rows containing the combination; an argument left as None matches anything."""
    for combo in COMBOS:
        if endpoint not in combo.endpoints or model not in combo.models:
            continue
        if resolution is not None and resolution not in combo.resolutions:
            continue
        if fps is not None and fps not in combo.fps:
            continue
        if duration is not None and duration not in combo.durations:
            continue
        yield combo


def allowed_resolutions(endpoint: str, model: str | None) -> tuple[str, ...]:
    """Smallest first, landscape before portrait at each size."""
    found = _union(c.resolutions for c in matching_combos(endpoint, model))
    return tuple(sorted(found, key=_size_order))


def _size_order(resolution: str) -> tuple[int, bool, bool, str]:
    """By the short side; at each, 16:9 and 9:16 first (the usual shapes), landscape first."""
    width, height = parse_resolution(resolution) or (0, 0)
    usual = _reduced(width, height) in ((16, 9), (9, 16)) if width and height else False
    return min(width, height), not usual, width < height, resolution


def allowed_fps(endpoint: str, model: str | None, resolution: str | None) -> tuple[int, ...]:
    return tuple(sorted(_union(c.fps for c in matching_combos(endpoint, model, resolution))))


def allowed_durations(
    endpoint: str, model: str | None, resolution: str | None, fps: int | None
) -> tuple[int, ...]:
    rows = matching_combos(endpoint, model, resolution, fps)
    return tuple(sorted(_union(c.durations for c in rows)))


def caveat(
    endpoint: str,
    model: str | None,
    resolution: str | None = None,
    fps: int | None = None,
    duration: int | None = None,
) -> str | None:
    """None when a confirmed row holds the combination, else the first unsure row's note."""
    rows = list(matching_combos(endpoint, model, resolution, fps, duration))
    if not rows or any(c.confirmed for c in rows):
        return None
    return rows[0].note or "Not confirmed by LTX's documentation."


def max_input_seconds(endpoint: str, model: str | None, resolution: str | None) -> float | None:
    """The most lenient input-length cap among matching rows (None = no row-specific cap)."""
    caps = [c.max_input_seconds for c in matching_combos(endpoint, model, resolution)]
    if not caps or None in caps:
        return None
    return max(cap for cap in caps if cap is not None)


def _union[T](groups: Iterator[tuple[T, ...]]) -> tuple[T, ...]:
    return tuple(dict.fromkeys(value for group in groups for value in group))
