"""What the generation views share: the ownership helper and the status column's context."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404

from ltxdash.generations.cards import any_active, build_cards, page_generations
from ltxdash.generations.models import Generation

TEMPLATE = "generations/create.html"
# How often a page with clips in flight asks for changes. An unchanged answer is a 204 and a
# single indexed query, so this can be short; the workers poll LTX on their own schedule.
POLL_SECONDS = 2


def get_own_generation(
    request: HttpRequest, pk: Any, queryset: QuerySet[Generation] | None = None
) -> Generation:
    """The requester's generation, or 404: someone else's looks exactly like a missing one."""
    if not str(pk).isdigit():
        raise Http404("No such generation.")
    queryset = Generation.objects.all() if queryset is None else queryset
    return get_object_or_404(queryset, pk=int(pk), owner=request.user)


def status_context(owner: AbstractBaseUser) -> dict[str, Any]:
    cards = build_cards(page_generations(owner))
    return {"cards": cards, "polling": any_active(cards), "poll_seconds": POLL_SECONDS}
