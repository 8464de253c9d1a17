"""The ``visible`` and ``usd`` filters (template builtins): ``{{ generation.prompt|visible }}``. See
ltxdash/core/text.py for what it does and why."""

from __future__ import annotations

from django import template

from ltxdash.core.text import visible as visible_text

register = template.Library()


@register.filter(is_safe=False)
def visible(value: object) -> str:
    return visible_text(value)


@register.filter(is_safe=False)
def usd(value: object) -> str:
    """An amount in dollars as people read it ("$1,234.50"); empty stays empty."""
    if value is None or value == "":
        return ""
    from ltxdash.ltx.catalog import usd as as_usd

    return as_usd(value)  # type: ignore[arg-type]
