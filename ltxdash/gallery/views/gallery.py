from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_safe

from ltxdash import access
from ltxdash.core.http import AuthedHttpRequest
from ltxdash.gallery.forms import GalleryFilterForm
from ltxdash.gallery.listing import page_of
from ltxdash.gallery.selection import select_bar
from ltxdash.generations.takes import takes_of


@require_safe
def index(request: AuthedHttpRequest) -> HttpResponse:
    """The user's clips, newest first. One view serves the page, the filtered grid (HTMX filter
    form) and the next cards (infinite scroll); each runs the same fixed number of queries."""
    form = GalleryFilterForm(request.GET, me=request.user, members=access.members(request.user))
    visible = access.generations(request.user)
    matching = form.filter(visible)
    page = page_of(matching.select_related("owner"), request.GET.get("after"))
    numbered = takes_of(page.clips, visible)
    tiles = [(clip, numbered.get(clip.pk)) for clip in page.clips]
    template = "gallery/index.html"
    if request.htmx and not request.htmx.history_restore_request:
        # The filter form asks for the whole grid; the scroll sentinel (with a cursor) for more cards.
        template += "#cards" if "after" in request.GET else "#grid"
    context = {"form": form, "page": page, "tiles": tiles, "where": "the gallery"}
    # More cards (infinite scroll) need only their checkboxes, not a new select bar.
    more = bool(request.htmx) and "after" in request.GET
    context["select"] = (
        True if more else select_bar(request.GET, form, reverse("gallery:export_zip"), request.path)
    )
    response = render(request, template, context)
    # The same URL answers with a page or a fragment: caches must keep them apart.
    patch_vary_headers(response, ["HX-Request"])
    return response
