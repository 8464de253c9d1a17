"""The one way gallery views fetch a user's objects: anyone else's is a 404, never a 403,
so a URL reveals nothing about whether the object exists."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404

from ltxdash.gallery.models import ShareLink
from ltxdash.generations.models import Generation, Output


def owned_generation(
    request: HttpRequest, pk: int, queryset: QuerySet[Generation] | None = None
) -> Generation:
    queryset = Generation.objects.all() if queryset is None else queryset
    return get_object_or_404(queryset, pk=pk, owner=request.user)


def owned_output(request: HttpRequest, pk: int) -> Output:
    return get_object_or_404(
        Output.objects.select_related("generation"), pk=pk, generation__owner=request.user
    )


def owned_share_link(request: HttpRequest, pk: int) -> ShareLink:
    return get_object_or_404(
        ShareLink.objects.select_related("generation"), pk=pk, generation__owner=request.user
    )
