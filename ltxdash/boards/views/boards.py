"""A workspace's boards: the list, one board (the gallery's grid and filters, in the board's
order), making, renaming and deleting them, and putting clips on and off them.

Every board and every clip goes through ``ltxdash.access``; a selection that names a clip the
member may not see is refused as a whole, with the count, and changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch
from django.forms import Form
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from ltxdash import access
from ltxdash.access import BoardAction
from ltxdash.boards.forms import MAX_ADD, BoardForm, MoveForm, PickBoardForm
from ltxdash.boards.models import Board
from ltxdash.boards.views.links import links_context
from ltxdash.core.http import AuthedHttpRequest
from ltxdash.gallery.forms import ClipIdsField, GalleryFilterForm
from ltxdash.gallery.selection import refusal, select_bar, selected_ids
from ltxdash.generations.models import Generation, Output
from ltxdash.generations.takes import takes_of
from ltxdash.workspaces.models import Workspace

BOARD_PAGE_SIZE = 60


def _refuse(request: AuthedHttpRequest, message: str, board: Board | None = None) -> HttpResponse:
    messages.error(request, message)
    return redirect(board.get_absolute_url() if board else "boards:index")


def _errors(form: Form) -> str:
    return " ".join(str(e) for errors in form.errors.values() for e in errors)


def _workspace(request: AuthedHttpRequest) -> Workspace:
    workspace = access.workspace(request.user)
    if workspace is None:  # a member's request always has one; anyone else got a 404 already
        raise Http404("No workspace")
    return workspace


def _visible_clips(request: AuthedHttpRequest, ids: list[int]) -> list[Generation] | str:
    """The clips, in the order given, or the words refusing the request when any of them is not
    one the member may see (nothing is changed then)."""
    refused = refusal(request, ids, access.Action.VIEW)
    if refused:
        return refused
    found = {g.pk: g for g in access.generations(request.user).filter(pk__in=ids)}
    return [found[pk] for pk in ids]


@require_safe
def index(request: AuthedHttpRequest) -> HttpResponse:
    boards = list(
        access.boards(request.user).select_related("created_by").annotate(clip_total=Count("items"))
    )
    covers = _covers(boards)
    return render(
        request,
        "boards/index.html",
        {
            "boards": [(board, covers.get(board.pk)) for board in boards],
            "form": BoardForm(),
            "can_make": access.may_make_boards(request.user),
        },
    )


def _covers(boards: Sequence[Board]) -> dict[int, Output]:
    """Each board's cover video (two queries for the whole list)."""
    from ltxdash.boards.models import BoardItem

    chosen = {b.pk: b.cover_id for b in boards if b.cover_id}
    firsts: dict[int, int] = {}
    items = (
        BoardItem.objects.filter(
            board__in=boards, generation__outputs__content_type__startswith="video/"
        )
        .order_by("board_id", "position", "id")
        .values_list("board_id", "generation_id")
    )
    on_board: set[tuple[int, int]] = set()
    for board_id, generation_id in items:
        on_board.add((board_id, generation_id))
        firsts.setdefault(board_id, generation_id)
    wanted = {
        board_id: (chosen[board_id] if (board_id, chosen.get(board_id)) in on_board else first)
        for board_id, first in firsts.items()
    }
    videos: dict[int, Output] = {}
    for output in Output.objects.filter(generation_id__in=set(wanted.values())).order_by("id"):
        if output.content_type.startswith("video/"):
            videos.setdefault(output.generation_id, output)
    return {board_id: videos[g] for board_id, g in wanted.items() if g in videos}


@require_POST
def create(request: AuthedHttpRequest) -> HttpResponse:
    """A new board; from the gallery's "Board of these clips", with every clip the filter
    matches (newest first, at most MAX_ADD)."""
    if not access.may_make_boards(request.user):
        raise access.Refused("Viewers can watch and download clips, not make boards.")
    form = BoardForm(request.POST)
    if not form.is_valid():
        return _refuse(request, _errors(form))
    workspace = _workspace(request)
    clips: list[Generation] = []
    if request.POST.get("from_filter"):
        gallery = GalleryFilterForm(
            request.POST, me=request.user, members=access.members(request.user)
        )
        matching = gallery.filter(access.generations(request.user)).order_by("-created_at", "-id")
        clips = list(matching[: MAX_ADD + 1])
        if len(clips) > MAX_ADD:
            return _refuse(
                request,
                f"The filter matches more than {MAX_ADD} clips; narrow it to make a board of them.",
            )
    board = Board.objects.create(
        workspace=workspace,
        name=form.cleaned_data["name"],
        description=form.cleaned_data["description"],
        created_by=request.user,
    )
    added = board.add(clips, request.user)
    messages.success(
        request, f"Board “{board.name}” made" + (f" with {added} clips." if added else ".")
    )
    return redirect(board.get_absolute_url())


@require_safe
def board(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    found = access.board(request.user, pk)
    form = GalleryFilterForm(request.GET, me=request.user, members=access.members(request.user))
    matching = form.filter(found.clips())
    clips = matching.select_related("owner").prefetch_related(
        Prefetch("outputs", queryset=Output.objects.order_by("id"))
    )
    page = Paginator(clips, BOARD_PAGE_SIZE).get_page(request.GET.get("page"))
    numbered = takes_of(list(page.object_list), access.generations(request.user))
    can_change = access.may_on_board(request.user, found, BoardAction.CHANGE)
    can_manage = access.may_on_board(request.user, found, BoardAction.MANAGE)
    return render(
        request,
        "boards/board.html",
        {
            "board": found,
            "form": form,
            "page": page,
            "tiles": [(clip, numbered.get(clip.pk)) for clip in page.object_list],
            "total": found.items.count(),
            "cover": found.cover_clip(),
            "edit_form": BoardForm(initial={"name": found.name, "description": found.description}),
            "can_change": can_change,
            "can_manage": can_manage,
            **links_context(request.user, found),
            "select": select_bar(request.GET, form, reverse("gallery:export_zip"), request.path),
            "where": "the board",
        },
    )


@require_POST
def edit(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    found = access.board(request.user, pk, BoardAction.CHANGE)
    form = BoardForm(request.POST)
    if not form.is_valid():
        return _refuse(request, _errors(form), found)
    Board.objects.filter(pk=found.pk).update(
        name=form.cleaned_data["name"], description=form.cleaned_data["description"]
    )
    found.touch()
    messages.success(request, "Board saved.")
    return redirect(found.get_absolute_url())


@require_POST
def delete(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    found = access.board(request.user, pk, BoardAction.MANAGE)
    name = found.name
    found.delete()  # its links go with it; the clips stay in the gallery
    messages.success(request, f"Board “{name}” deleted; its clips are still in the gallery.")
    return redirect("boards:index")


@require_POST
def add(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    found = access.board(request.user, pk, BoardAction.CHANGE)
    clips = _posted_clips(request)
    if isinstance(clips, str):
        return _refuse(request, clips, found)
    added = found.add(clips, request.user)
    already = len(clips) - added
    messages.success(
        request,
        f"{added} clip{'s' if added != 1 else ''} added"
        + (f" ({already} already on the board)." if already else "."),
    )
    return redirect(found.get_absolute_url())


@require_POST
def remove(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    found = access.board(request.user, pk, BoardAction.CHANGE)
    clips = _posted_clips(request)
    if isinstance(clips, str):
        return _refuse(request, clips, found)
    removed = found.remove([clip.pk for clip in clips])
    messages.success(
        request,
        f"{removed} clip{'s' if removed != 1 else ''} taken off the board (still in the gallery).",
    )
    return redirect(found.get_absolute_url())


def _posted_clips(request: AuthedHttpRequest) -> list[Generation] | str:
    """The clips a form posted (ticked, or everything matching), each one the member may see."""
    ids = selected_ids(request)
    return ids if isinstance(ids, str) else _visible_clips(request, ids)


@require_POST
def move(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    found = access.board(request.user, pk, BoardAction.CHANGE)
    form = MoveForm(request.POST)
    if not form.is_valid():
        return _refuse(request, "That move is not one this page made.", found)
    clip, to, step = form.cleaned_data["clip"], form.cleaned_data["to"], form.cleaned_data["step"]
    moved = found.move_to(clip, to) if to else found.move(clip, step or 1)
    if request.htmx:
        return HttpResponse(status=204 if moved else 409)
    return redirect(f"{found.get_absolute_url()}#clip-{clip}")


@require_POST
def cover(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    found = access.board(request.user, pk, BoardAction.CHANGE)
    form = MoveForm({"clip": request.POST.get("clip")})
    if not form.is_valid() or not found.items.filter(generation_id=form.cleaned_data["clip"]):
        return _refuse(request, "Pick a clip on this board as its cover.", found)
    Board.objects.filter(pk=found.pk).update(cover_id=form.cleaned_data["clip"])
    found.touch()
    messages.success(request, "Cover chosen.")
    return redirect(found.get_absolute_url())


@require_http_methods(["GET", "POST"])
def pick(request: AuthedHttpRequest) -> HttpResponse:
    """Put clips on a board (from a card, the clip page or a selection): pick one of the
    workspace's boards, or name a new one. ``choose=1`` (the select bar) only shows the choice."""
    if not access.may_make_boards(request.user):
        raise access.Refused("Viewers can watch and download clips, not change boards.")
    boards = list(access.boards(request.user))
    choosing = request.method == "GET" or request.POST.get("choose") == "1"
    picked = (
        selected_ids(request)
        if request.method == "POST"
        else _ids_or_words(request.GET.getlist("ids"))
    )
    clips = _visible_clips(request, picked) if isinstance(picked, list) else picked
    form = PickBoardForm(
        None if choosing else request.POST,
        boards=boards,
        initial={"ids": picked if isinstance(picked, list) else []},
    )
    if not choosing and form.is_valid() and isinstance(clips, list):
        target = next((b for b in boards if b.pk == form.cleaned_data["board"]), None)
        if target is None:
            target = Board.objects.create(
                workspace=_workspace(request),
                name=" ".join(form.cleaned_data["new_name"].split()),
                created_by=request.user,
            )
        else:
            target = access.board(request.user, target.pk, BoardAction.CHANGE)
        added = target.add(clips, request.user)
        messages.success(
            request, f"{added} clip{'s' if added != 1 else ''} added to “{target.name}”."
        )
        return redirect(target.get_absolute_url())
    refused = clips if isinstance(clips, str) else ""
    return render(
        request,
        "boards/pick.html",
        {
            "form": form,
            "boards": boards,
            "clips": clips if isinstance(clips, list) else [],
            "refused": refused,
        },
        status=422 if refused or (not choosing and form.errors) else 200,
    )


def _ids_or_words(values: list[str]) -> list[int] | str:
    try:
        return ClipIdsField().clean(values)
    except ValidationError as error:
        return " ".join(error.messages)
