"""Template filters for the account-pause banner (templates/_banners.html)."""

from __future__ import annotations

from django import template

from ltxdash.generations import explain
from ltxdash.generations.models import DispatchState

register = template.Library()


@register.filter
def pause_headline(dispatch: DispatchState) -> str:
    return explain.pause_headline(dispatch)


@register.filter
def pause_stamp(dispatch: DispatchState | None) -> str:
    return DispatchState.stamp_of(dispatch)


@register.filter
def pause_reason(dispatch: DispatchState) -> str:
    return explain.pause_reason(dispatch)


@register.filter
def pause_owner(dispatch: DispatchState) -> str:
    return explain.pause_owner(dispatch)
