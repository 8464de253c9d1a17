"""Share links: made and revoked by a clip's owner; opened by anyone holding the token.

Unknown, expired and revoked tokens all raise the same Http404, so a response never tells a
guesser which of them they hit. The public views expose the clip's video, poster and prompt only.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.db import transaction
from django.http import Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from ltxdash import access
from ltxdash.audit import log as audit
from ltxdash.core.http import AuthedHttpRequest, HtmxHttpRequest
from ltxdash.gallery.forms import ShareForm
from ltxdash.gallery.models import ShareLink
from ltxdash.gallery.ranges import serve_file
from ltxdash.gallery.views.clip import clip_context, clip_queryset, shares_context
from ltxdash.gallery.views.outputs import poster_type

# Caches may keep shared media but must ask again (a cheap 304 via ETag) before each use, so a
# revoked or expired link stops playing at once, also from a shared cache.
SHARE_CACHE = "public, no-cache"


@require_POST
def create(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    generation = access.generation(request.user, pk, access.Action.SHARE, clip_queryset())
    if generation.video is None:
        raise Http404("Nothing to share yet")
    form = ShareForm(request.POST)
    extra: dict = {"share_form": form}
    if form.is_valid():
        with transaction.atomic():
            link, token = ShareLink.create_for(
                generation,
                form.lifetime,
                title=form.cleaned_data["title"],
                show_prompt=not form.cleaned_data["hide_prompt"],
            )
            detail = audit.link_detail(link)
            audit.record(request.user, generation.workspace_id, audit.Action.SHARED, link, detail)
        # The only moment the token exists outside the visitor's hands: shown once, not stored.
        extra = {"new_share_url": request.build_absolute_uri(reverse("share:page", args=[token]))}
    if request.htmx:
        return render(request, "gallery/clip.html#shares", shares_context(generation, **extra))
    return render(request, "gallery/clip.html", clip_context(request.user, generation, **extra))


@require_POST
def revoke(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    link = access.share_link(request.user, pk)
    with transaction.atomic():
        if link.revoke():
            workspace = link.generation.workspace_id
            audit.record(request.user, workspace, audit.Action.SHARE_REVOKED, link)
    if request.htmx:
        return render(request, "gallery/clip.html#shares", shares_context(link.generation))
    return redirect("gallery:clip", link.generation_id)


@login_not_required
@require_safe
@never_cache  # every open is counted, and a revoked link must stop working at once
def page(request: HtmxHttpRequest, token: str) -> HttpResponse:
    link, generation, video = access.shared_clip(token)
    if request.method == "GET":
        link.record_view()
    return render(
        request,
        "share/page.html",
        {
            # Only what the owner chose to show: never the clip itself (its prompt may be hidden).
            "heading": link.title,
            "prompt": generation.prompt if link.show_prompt else "",
            "video": video,
            "page_url": request.build_absolute_uri(),
            "video_url": request.build_absolute_uri(reverse("share:video", args=[token])),
            "poster_url": request.build_absolute_uri(reverse("share:poster", args=[token]))
            if video.poster
            else "",
        },
    )


@login_not_required
@require_safe
def video(request: HtmxHttpRequest, token: str) -> HttpResponseBase:
    link, _, output = access.shared_clip(token)
    return serve_file(
        request,
        output.file,
        content_type=output.content_type,
        cache_control=SHARE_CACHE,
        expires_at=link.expires_at,
    )


@login_not_required
@require_safe
def poster(request: HtmxHttpRequest, token: str) -> HttpResponseBase:
    link, _, output = access.shared_clip(token)
    return serve_file(
        request,
        output.poster,
        content_type=poster_type(output),
        cache_control=SHARE_CACHE,
        expires_at=link.expires_at,
    )
