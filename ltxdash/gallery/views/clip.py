from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db.models import F, Prefetch
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django_htmx.http import HttpResponseClientRedirect

from ltxdash import access
from ltxdash.core.http import AuthedHttpRequest
from ltxdash.gallery import details
from ltxdash.gallery.forms import RenameForm, ShareForm
from ltxdash.gallery.models import ShareLink
from ltxdash.generations import describe, pipeline
from ltxdash.generations.cards import build_cards
from ltxdash.generations.explain import reason
from ltxdash.generations.models import Generation, Output
from ltxdash.generations.takes import takes_of

MAX_CHILDREN = 24


def clip_queryset():
    return Generation.objects.select_related("parent").prefetch_related(
        Prefetch("outputs", queryset=Output.objects.order_by("id")),
        "events",
        "inputs",
        "parent__outputs",
    )


def shares_context(generation: Generation, **extra: Any) -> dict[str, Any]:
    """What the share panel needs; also used by the share views to redraw it."""
    return {
        "generation": generation,
        "share_links": list(ShareLink.objects.filter(generation=generation)),
        "share_form": ShareForm(initial={"title": generation.title}),
        "can_share": generation.video is not None,
        "now": timezone.now(),
        **extra,
    }


def clip_context(user: access.User, generation: Generation, **extra: Any) -> dict[str, Any]:
    visible = access.generations(user)
    children = visible.filter(parent=generation).prefetch_related("outputs")
    return {
        "take": takes_of([generation], visible).get(generation.pk),
        **shares_context(generation, **extra),
        "video": generation.video,
        "outputs": list(generation.outputs.all()),
        "settings_rows": describe.settings_rows(generation),
        "steps": details.timings(generation),
        "children": list(children.order_by("-created_at", "-id")[:MAX_CHILDREN]),
        "follow_ups": details.FOLLOW_UPS,
        "on_boards": list(access.boards(user).filter(items__generation=generation)),
        "reason": reason(generation) if generation.has_problem else "",
    }


@require_safe
def clip(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    generation = access.generation(request.user, pk, queryset=clip_queryset())
    return render(request, "gallery/clip.html", clip_context(request.user, generation))


@require_POST
def favourite(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """Set (not flip) the flag, so a double-submitted form leaves what the user saw."""
    generation = access.generation(request.user, pk, access.Action.CHANGE)
    value = request.POST.get("favourite") == "1"
    # version is bumped because status cards show the star too.
    Generation.objects.filter(pk=generation.pk).update(favourite=value, version=F("version") + 1)
    generation.favourite = value
    if request.htmx:
        return render(request, "gallery/_favourite.html", {"generation": generation})
    return redirect(_next_url(request, generation))


@require_POST
def rename(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """Name the clip (from its page or its card); an empty name gives back the mode's name."""
    generation = access.generation(request.user, pk, access.Action.CHANGE, clip_queryset())
    form = RenameForm(request.POST)
    refused = "" if form.is_valid() else str(form.errors["title"][0])
    if not refused:
        # version is bumped because status cards show the name too.
        title = form.cleaned_data["title"]
        Generation.objects.filter(pk=pk).update(title=title, version=F("version") + 1)
        generation.title = title
    if not request.htmx:
        if refused:
            messages.error(request, refused)
        return redirect(_next_url(request, generation))
    context: dict[str, Any]
    if request.POST.get("on") == "card":
        card = build_cards([generation], request.user)[0]
        template, context = "_generation_card.html", {"card": card}
    elif request.POST.get("on") == "tile":
        template, context = "gallery/_clip_card.html#naming", {"clip": generation}
    else:
        template, context = "gallery/clip.html#title", {"generation": generation}
    response = render(
        request, template, context | {"rename_form": form}, status=422 if refused else 200
    )
    if refused:
        response["X-Ltxdash-Message"] = refused  # shown beside the form (static/js/notices.js)
    return response


def _next_url(request: AuthedHttpRequest, generation: Generation) -> str:
    """Where a form without JavaScript returns: its ``next`` if that is ours, else the clip."""
    next_url = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(next_url, {request.get_host()}):
        return next_url
    return reverse("gallery:clip", args=[generation.pk])


@require_http_methods(["GET", "HEAD", "POST"])
def delete(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """GET asks (the page without JavaScript); POST deletes the clip and its files."""
    generation = access.generation(request.user, pk, access.Action.DELETE)
    if request.method != "POST":
        return render(request, "gallery/delete.html", {"generation": generation})
    pipeline.delete_generation(generation, by=request.user)  # the row, its files, an entry
    messages.success(request, f"Clip #{pk} and its files were deleted.")
    if request.htmx:
        return HttpResponseClientRedirect(reverse("gallery:index"))
    return redirect("gallery:index")
