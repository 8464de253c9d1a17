"""Cost estimates from the price table and what each endpoint bills on."""

from __future__ import annotations

import math
from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from . import data
from .rules import blank, pixel_tier, resolution_tier, to_float, to_int
from .specs import Estimate, Price

if TYPE_CHECKING:
    from ltxdash.media import MediaInfo

CENT = Decimal("0.01")


def price_for(endpoint: str, model: str | None, tier: str | None) -> Price | None:
    for price in data.PRICES:
        if endpoint in price.endpoints and price.model == model and price.tier == tier:
            return price
    return None


# Far beyond any documented length; a longer "duration" is a typo or an attack, not a clip.
_MAX_PRICED_SECONDS = 1_000_000.0


def estimate(
    endpoint: str, params: Mapping[str, Any], inputs: Mapping[str, MediaInfo] | None = None
) -> Estimate | None:
    """The expected charge with its basis, or None when the price or the length is unknown.

    Seconds are billed as measured (no rounding up is documented); the total is rounded to cents.
    """
    spec = data.ENDPOINTS.get(endpoint)
    if spec is None:
        return None
    inputs = inputs or {}
    model = params.get("model") if not blank(params.get("model")) else spec.default_model
    if not spec.takes("model"):
        model = None
    price = price_for(endpoint, model, _tier(endpoint, params, inputs))
    seconds = _billed_seconds(endpoint, params, inputs)
    if price is None or seconds is None:
        return None
    if not math.isfinite(seconds) or abs(seconds) > _MAX_PRICED_SECONDS:
        return None  # no clip is that long: nothing sensible to price (and Decimal would overflow)
    billed = Decimal(str(round(seconds, 3)))
    usd = (price.usd_per_second * billed).quantize(CENT, rounding=ROUND_HALF_UP)
    note = "" if price.confirmed else f"Unconfirmed price (source: {price.source})."
    return Estimate(usd, billed, price.usd_per_second, price.confirmed, note)


def estimate_cost(
    endpoint: str, params: Mapping[str, Any], inputs: Mapping[str, MediaInfo] | None = None
) -> Decimal | None:
    """USD, or None when it can't be known (automatic duration, missing input info, no price)."""
    result = estimate(endpoint, params, inputs)
    return result.usd if result else None


def usd(amount: Decimal | float | int) -> str:
    """An amount in dollars as people read it: Decimal("0.3600") -> "$0.36", 1234.5 -> "$1,234.50".

    Rounded to cents like the estimates; a cost below a cent still shows as one ("<$0.01")."""
    value = Decimal(str(amount)).quantize(CENT, rounding=ROUND_HALF_UP)
    if value == 0 and Decimal(str(amount)) > 0:
        return "<$0.01"
    sign = "-" if value < 0 else ""
    return f"{sign}${abs(value):,.2f}"


def _tier(endpoint: str, params: Mapping[str, Any], inputs: Mapping[str, MediaInfo]) -> str | None:
    resolution = None if blank(params.get("resolution")) else str(params["resolution"]).strip()
    if endpoint in ("audio-to-video", "retake"):
        # Both make 1080p, portrait or landscape, when the resolution is left automatic.
        return resolution_tier(resolution or data.DEFAULT_RESOLUTION)
    if endpoint in ("extend", "video-to-video-hdr"):
        # Billed by the input's size tier. Extend has only a 1080p price: inputs up to
        # 1920x1080 pixels are assumed to pay it, as HDR's tiers work (unconfirmed).
        video = inputs.get("video_uri")
        if video is None or not video.width or not video.height:
            return None
        tier = pixel_tier(video.width, video.height)
        return tier[0] if tier else None
    return resolution_tier(resolution)


def _billed_seconds(
    endpoint: str, params: Mapping[str, Any], inputs: Mapping[str, MediaInfo]
) -> float | None:
    bills_on = data.ENDPOINTS[endpoint].bills_on
    try:
        if bills_on == "output_seconds":
            raw = params.get("duration")
            return None if blank(raw) or str(raw).strip() == "auto" else float(to_int(raw))
        if bills_on == "input_audio_seconds":
            return _duration_of(inputs.get("audio_uri"))
        if bills_on == "input_video_seconds":
            return _duration_of(inputs.get("video_uri"))
        return _extension_seconds(params, inputs.get("video_uri"))
    except (TypeError, ValueError):
        return None


def _extension_seconds(params: Mapping[str, Any], video: MediaInfo | None) -> float | None:
    """Extension plus the context used, capped at 505 frames of the input's frame rate."""
    if video is None or not video.fps or video.duration is None or blank(params.get("duration")):
        return None
    length = to_float(params["duration"])
    cap = data.EXTEND_MAX_FRAMES / video.fps
    if blank(params.get("context")):
        # The API then uses as much context as fits in 505 frames and 20 s.
        context = min(data.EXTEND_MAX_CONTEXT_SECONDS, video.duration, max(cap - length, 0.0))
    else:
        context = to_float(params["context"])
    return min(length + context, cap)


def _duration_of(info: MediaInfo | None) -> float | None:
    return info.duration if info is not None else None
