from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import template

from ltxdash import access
from ltxdash.gallery import details
from ltxdash.generations.models import Generation, Output
from ltxdash.generations.models.states import TONES
from ltxdash.ltx import catalog

register = template.Library()


@register.filter
def mode_label(slug: str) -> str:
    return catalog.endpoint_label(slug)


@register.filter
def download_name(output: Output) -> str:
    return details.download_name(output)


@register.filter
def took(delta: timedelta | None) -> str:
    return details.duration_text(delta)


@register.filter
def state_class(state: str) -> str:
    """The pill colour of a state (the one colour table: models/states.py)."""
    return f"pill-{TONES.get(state, 'muted')}"


@register.filter
def filesize(size: int | None) -> str:
    # Decimal units, as file managers show them; Django's filesizeformat says "KB" for KiB.
    value = float(size or 0)
    for unit in ("bytes", "kB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1000
    return ""


@register.filter
def may_change(generation: Generation, user: Any) -> bool:
    """``{% if clip|may_change:user %}``: the clip's owner or an admin may rename it (access.py)."""
    return access.may(user, generation, access.Action.CHANGE)
