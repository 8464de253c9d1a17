"""What a grid's select mode needs to know (templates/gallery/_select_bar.html): the filter to
carry for "everything matching", and how many clips that is, counted only up to the cap (a
bounded COUNT, however many clips the workspace holds)."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import QueryDict

from ltxdash import access
from ltxdash.core.http import AuthedHttpRequest
from ltxdash.gallery.forms import MAX_ADD, ClipIdsField, GalleryFilterForm
from ltxdash.generations.models import Generation

_NOT_FILTERS = {"after", "page", "clip"}


@dataclass(frozen=True)
class SelectBar:
    filter_params: list[tuple[str, str]]
    filtered: bool
    matching: int  # up to cap + 1
    cap: int = MAX_ADD
    export_url: str = ""


def select_bar(
    query: QueryDict, form: GalleryFilterForm, matching: QuerySet[Generation], export_url: str = ""
) -> SelectBar:
    params = [
        (name, value)
        for name, values in query.lists()
        if name not in _NOT_FILTERS
        for value in values
    ]
    return SelectBar(
        filter_params=params,
        filtered=form.is_filtered,
        matching=matching.order_by()[: MAX_ADD + 1].count(),
        export_url=export_url,
    )


def selected_ids(request: AuthedHttpRequest) -> list[int] | str:
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
        ids = list(form.filter(scope).values_list("pk", flat=True)[: MAX_ADD + 1])
        if len(ids) > MAX_ADD:
            return f"The filter matches more than {MAX_ADD} clips; narrow it, or pick clips."
        return ids or "No clips match the filter."
    try:
        return ClipIdsField().clean(request.POST.getlist("ids"))
    except ValidationError as error:  # its words are for the member
        return " ".join(error.messages)
