"""The public page of a board link, and its media: no login, the token is the permission.

Unknown, expired and revoked tokens all raise the same Http404 as share links do. Every request
asks ``access`` again, so a revoked link, or a clip taken off the board, stops at the next
request, media included. The page shows the board's name and description and, for each clip on
it with a video, its display title (and its prompt only when the link shows prompts); nothing of
the workspace, its people, costs, job or request ids, or any other board.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.utils.text import slugify
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from ltxdash import access
from ltxdash.boards.models import BoardLink
from ltxdash.core.http import HtmxHttpRequest
from ltxdash.gallery import export
from ltxdash.gallery.ranges import serve_file
from ltxdash.gallery.selection import in_order
from ltxdash.gallery.views.outputs import poster_type
from ltxdash.gallery.views.share import SHARE_CACHE
from ltxdash.generations.models import Output
from ltxdash.ltx import catalog

# Posters in the grid a page; the player steps through every clip, across pages.
PAGE_SIZE = 60
# Not even the path (the token) leaves with a request to elsewhere; never listed by a search.
PAGE_HEADERS = {"Referrer-Policy": "no-referrer", "X-Robots-Tag": "noindex, nofollow"}


@dataclass(frozen=True)
class Shown:
    """A clip as the public page shows it: its place among the board's videos (1-based), its
    display title, its prompt (empty unless the link shows prompts) and its video."""

    number: int
    title: str
    prompt: str
    video: int  # the Output's id, in the media URLs
    has_poster: bool
    width: int | None
    height: int | None
    duration: float | None
    clip: int  # the Generation's id (never shown: the board's cover is one of them)


def shown_clips(link: BoardLink) -> list[Shown]:
    """The board's clips that have a video, in the board's order, each with its first video:
    one query of plain rows, whatever their number (no model instances for 500 clips)."""
    board = link.board
    fields = ["pk", "generation_id", "poster", "width", "height", "duration"]
    fields += ["generation__title", "generation__endpoint"]
    if link.show_prompts:
        fields.append("generation__prompt")
    rows = (
        Output.objects.filter(
            generation__board_items__board_id=board.pk,
            generation__workspace_id=board.workspace_id,
            content_type__startswith="video/",
        )
        .order_by("generation__board_items__position", "generation__board_items__id", "pk")
        .values_list(*fields)
    )
    shown: list[Shown] = []
    seen: set[int] = set()
    for video, clip, poster, width, height, duration, title, endpoint, *prompt in rows:
        if clip in seen:
            continue  # a clip's first video, as Generation.video picks it
        seen.add(clip)
        shown.append(
            Shown(
                number=len(shown) + 1,
                title=title or catalog.endpoint_label(endpoint),  # Generation.display_title
                prompt=prompt[0] if prompt else "",
                video=video,
                has_poster=bool(poster),
                width=width,
                height=height,
                duration=duration,
                clip=clip,
            )
        )
    return shown


def _number(value: Any, last: int, default: int) -> int:
    """A 1-based place from the query string, kept within 1..last; anything else: ``default``."""
    text = str(value or "")
    if not (text.isascii() and text.isdigit()) or len(text) > 9:
        return default
    return max(1, min(int(text), max(last, 1)))


def _cover(link: BoardLink, shown: list[Shown]) -> Shown | None:
    """The chosen cover while it is on the board, else the first clip with a poster."""
    with_poster = [item for item in shown if item.has_poster]
    chosen = [item for item in with_poster if item.clip == link.board.cover_id]
    found = chosen or with_poster
    return found[0] if found else None


def _player_data(link: BoardLink, shown: list[Shown]) -> list[dict[str, Any]]:
    """What board_player.js needs to step through every clip without a reload: ids and words
    only (the URLs follow from the page's own), and the prompt only when the link shows it."""
    return [
        {
            "n": item.number,
            "title": item.title,
            "prompt": item.prompt if link.show_prompts else "",
            "video": item.video,
            "poster": item.has_poster,
            "width": item.width,
            "height": item.height,
        }
        for item in shown
    ]


@login_not_required
@require_safe
@never_cache  # every open is counted, and a revoked link must stop working at once
def page(request: HtmxHttpRequest, token: str) -> HttpResponse:
    link = access.shared_board(token)
    if request.method == "GET":
        link.record_view()
    shown = shown_clips(link)
    count = len(shown)
    pages = max(1, -(-count // PAGE_SIZE))
    number = _number(request.GET.get("clip"), count, 1)
    page_number = _number(request.GET.get("page"), pages, (number - 1) // PAGE_SIZE + 1)
    start = (page_number - 1) * PAGE_SIZE
    current = shown[number - 1] if shown else None
    cover = _cover(link, shown)
    page_url = request.build_absolute_uri(reverse("public_board:page", args=[token]))
    description = link.board.description or f"{count} clip{'' if count == 1 else 's'}"
    response = render(
        request,
        "boards/public.html",
        {
            "token": token,
            "name": link.board.name,
            "description": link.board.description,
            "og_description": description,
            "allow_downloads": link.allow_downloads,
            "show_prompts": link.show_prompts,
            "count": count,
            "current": current,
            "previous": number - 1 if number > 1 else None,
            "next": number + 1 if number < count else None,
            "grid": shown[start : start + PAGE_SIZE],
            "page_number": page_number,
            "pages": pages,
            "earlier_page": page_number - 1 if page_number > 1 else None,
            "later_page": page_number + 1 if page_number < pages else None,
            "player_data": _player_data(link, shown),
            "page_url": page_url,
            "cover_url": request.build_absolute_uri(
                reverse("public_board:poster", args=[token, cover.video])
            )
            if cover
            else "",
            "cover": cover,
        },
    )
    for name, value in PAGE_HEADERS.items():
        response[name] = value
    return response


def _media(response: HttpResponseBase) -> HttpResponseBase:
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


@login_not_required
@require_safe
def file(request: HtmxHttpRequest, token: str, pk: int) -> HttpResponseBase:
    link = access.shared_board(token)
    output = access.shared_board_output(link, pk)
    return _media(
        serve_file(
            request,
            output.file,
            content_type=output.content_type,
            cache_control=SHARE_CACHE,
            expires_at=link.expires_at,
        )
    )


@login_not_required
@require_safe
def poster(request: HtmxHttpRequest, token: str, pk: int) -> HttpResponseBase:
    link = access.shared_board(token)
    output = access.shared_board_output(link, pk)
    return _media(
        serve_file(
            request,
            output.poster,
            content_type=poster_type(output),
            cache_control=SHARE_CACHE,
            expires_at=link.expires_at,
        )
    )


@login_not_required
@require_safe
def download(request: HtmxHttpRequest, token: str, pk: int) -> HttpResponseBase:
    link = access.shared_board(token)
    if not link.allow_downloads:
        raise Http404("No such file")
    output = access.shared_board_output(link, pk)
    return _media(
        serve_file(
            request,
            output.file,
            content_type=output.content_type,
            filename=public_download_name(link, output),
            attachment=True,
            cache_control=SHARE_CACHE,
            expires_at=link.expires_at,
        )
    )


@login_not_required
@require_safe
@never_cache
def archive(request: HtmxHttpRequest, token: str) -> HttpResponseBase:
    """The whole board as one ZIP (when the link allows downloads): its clips' videos in the
    board's order, and clips.csv / clips.json with what the page shows and nothing more."""
    link = access.shared_board(token)
    if not link.allow_downloads:
        raise Http404("No such file")
    shown = shown_clips(link)
    if len(shown) > export.MAX_ZIP_CLIPS:
        return HttpResponse(
            f"This board holds more than {export.MAX_ZIP_CLIPS:,} clips, too many for one ZIP: "
            "download them one at a time from the page.",
            status=413,
            content_type="text/plain; charset=utf-8",
        )
    clips = in_order(link.board.clips(), [clip.clip for clip in shown])
    view = export.View(prompts=link.show_prompts, team=False)
    response = StreamingHttpResponse(
        export.zip_stream(clips, view=view), content_type="application/zip"
    )
    name = slugify(link.board.name)[:60].rstrip("-") or "board"
    response["Content-Disposition"] = f'attachment; filename="{name}.zip"'
    response["Cache-Control"] = "private, no-store"
    return _media(response)


def public_download_name(link: BoardLink, output: Output) -> str:
    """ "opening-shot-harbour-at-dusk-17.mp4": the board's name, the clip's own name (never its
    prompt, which the link may hide) and the file's number, which its URL shows anyway."""
    board = slugify(link.board.name)[:40].rstrip("-") or "board"
    title = slugify(output.generation.title)[:48].rstrip("-")
    suffix = PurePosixPath(output.file.name or "").suffix.lower() or ".bin"
    return "-".join(part for part in (board, title, str(output.pk)) if part) + suffix
