"""What a grid's select mode needs to know (templates/gallery/_select_bar.html): the filter to
carry for "everything matching", and how many clips that is, counted only up to the cap (a
bounded COUNT, however many clips the workspace holds)."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models import Case, QuerySet, Value, When
from django.http import QueryDict
from django.utils.http import urlencode

from ltxdash import access
from ltxdash.core.http import AuthedHttpRequest
from ltxdash.gallery.forms import MAX_ADD, ClipIdsField, GalleryFilterForm
from ltxdash.generations.models import Generation


@dataclass(frozen=True)
class SelectBar:
    filter_params: list[tuple[str, str]]
    filtered: bool
    back: str = ""  # where an action returns: this page with its filters, nothing else
    cap: int = MAX_ADD
    export_url: str = ""


def select_bar(
    query: QueryDict, form: GalleryFilterForm, export_url: str = "", path: str = ""
) -> SelectBar:
    """No count here: a gallery page never counts its rows. The bar asks for the count of
    "everything matching" when it is ticked (``matching_count``), and every action says it."""
    # Only the filter form's own fields travel on: a link's other parameters (all=1, confirmed,
    # on_board, next ...) must never become part of the form that acts on the selection.
    params = [(name, value) for name in form.fields for value in query.getlist(name)]
    return SelectBar(
        filter_params=params,
        filtered=form.is_filtered,
        back=f"{path}?{urlencode(params)}" if params else path,
        export_url=export_url,
    )


def matching_count(request: AuthedHttpRequest, cap: int = MAX_ADD) -> int:
    """How many clips "everything matching" the filter in the query string is, counted up to
    ``cap + 1`` (a bounded count, however many clips the workspace holds)."""
    form = GalleryFilterForm(request.GET, me=request.user, members=access.members(request.user))
    on_board = request.GET.get("on_board")
    scope = (
        access.board(request.user, on_board).clips()
        if on_board
        else access.generations(request.user)
    )
    return form.filter(scope).order_by()[: cap + 1].count()


def selected_ids(request: AuthedHttpRequest, cap: int = MAX_ADD) -> list[int] | str:
    """The checked clips (``ids``), or with ``all=1`` every clip the posted gallery filter
    matches, newest first (on a board's page, ``on_board``: the board's clips, in its order);
    or the words refusing a selection this page could not have made."""
    if request.POST.get("all") == "1":
        form = GalleryFilterForm(
            request.POST, me=request.user, members=access.members(request.user)
        )
        on_board = request.POST.get("on_board")
        if on_board:
            scope = access.board(request.user, on_board).clips()
        else:
            scope = access.generations(request.user).order_by("-created_at", "-id")
        ids = list(form.filter(scope).values_list("pk", flat=True)[: cap + 1])
        if len(ids) > cap:
            return f"The filter matches more than {cap:,} clips; narrow it, or pick clips."
        return ids or "No clips match the filter."
    try:
        return ClipIdsField(cap=cap).clean(request.POST.getlist("ids"))
    except ValidationError as error:  # its words are for the member
        return " ".join(error.messages)


def refusal(request: AuthedHttpRequest, ids: list[int], action: access.Action) -> str:
    """Why the whole selection is refused, or "" when every clip allows ``action``."""
    seen = access.generations(request.user).filter(pk__in=ids).count()
    if seen < len(ids):
        return (
            f"{len(ids) - seen} of the {len(ids)} clips picked are not in this workspace (or no "
            "longer exist); nothing was changed."
        )
    if action == access.Action.VIEW:
        return ""
    allowed = access.generations(request.user, action).filter(pk__in=ids).count()
    if allowed < len(ids):
        who = (
            "viewers change nothing"
            if not access.may_generate(request.user)
            else "only their maker or a workspace admin may"
        )
        return (
            f"You may not {action} {len(ids) - allowed} of the {len(ids)} clips picked ({who}); "
            "nothing was changed."
        )
    return ""


def in_order(clips: QuerySet[Generation], ids: list[int]) -> QuerySet[Generation]:
    """``clips`` among ``ids``, in the order of ``ids`` (a board's, or the ticks')."""
    order = Case(*[When(pk=pk, then=Value(n)) for n, pk in enumerate(ids)])
    return clips.filter(pk__in=ids).order_by(order)
