"""Template filters for the account-pause banner (templates/_banners.html)."""

from __future__ import annotations

from django import template

from ltxdash.generations import explain
from ltxdash.generations.models import DispatchState

register = template.Library()

_HEADLINES = {
    "insufficient_funds_error": "Out of LTX credits",
    "authentication_error": "LTX API key not accepted",
    "admin": "Paused by an admin",
}


@register.filter
def pause_headline(dispatch: DispatchState) -> str:
    return _HEADLINES.get(dispatch.reason_type, "Sending to LTX is paused")


@register.filter
def pause_reason(dispatch: DispatchState) -> str:
    return explain.pause_reason(dispatch)
