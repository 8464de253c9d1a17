"""The ``visible`` filter (a template builtin): ``{{ generation.prompt|visible }}``. See
ltxdash/core/text.py for what it does and why."""

from __future__ import annotations

from django import template

from ltxdash.core.text import visible as visible_text

register = template.Library()


@register.filter(is_safe=False)
def visible(value: object) -> str:
    return visible_text(value)
