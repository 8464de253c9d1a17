"""A board's public links: made and revoked by its maker and the workspace's admins
(``BoardAction.MANAGE``). The new link's token is shown once, in the answer to the POST that
made it; only its hash is stored, so no page can show it again."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from ltxdash import access
from ltxdash.audit import log as audit
from ltxdash.boards.link_forms import BoardLinkForm
from ltxdash.boards.models import Board, BoardLink
from ltxdash.core.http import AuthedHttpRequest

LINKS_PARTIAL = "boards/_links.html"
LINKS_PAGE = "boards/links.html"  # the same panel as a page of its own, for browsers without JS


def links_context(user: access.User, board: Board, **extra: Any) -> dict[str, Any]:
    """What ``boards/_links.html`` needs (the board page can spread it into its context)."""
    return {
        "board": board,
        "links": list(BoardLink.objects.filter(board=board)),
        "can_manage": access.may_on_board(user, board, access.BoardAction.MANAGE),
        "board_url": board.get_absolute_url(),
        **extra,
    }


@require_POST
def create(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    board = access.board(request.user, pk, access.BoardAction.MANAGE)
    form = BoardLinkForm(request.POST)
    extra: dict[str, Any] = {"link_form": form}
    if form.is_valid():
        with transaction.atomic():
            link, token = BoardLink.create_for(
                board,
                form.lifetime,
                by=request.user,
                allow_downloads=form.cleaned_data["allow_downloads"],
                show_prompts=form.cleaned_data["show_prompts"],
            )
            detail = f"Board “{board.name}”. {audit.link_detail(link)}"
            audit.record(request.user, board.workspace_id, audit.Action.BOARD_SHARED, link, detail)
        # The only moment the token exists outside the visitor's hands: shown once, not stored.
        url = reverse("public_board:page", args=[token])
        extra = {"new_link_url": request.build_absolute_uri(url)}
    template = LINKS_PARTIAL if request.htmx else LINKS_PAGE
    return render(request, template, links_context(request.user, board, **extra))


@require_POST
def revoke(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    link = access.board_link(request.user, pk)
    with transaction.atomic():
        if link.revoke():
            workspace = link.board.workspace_id
            audit.record(request.user, workspace, audit.Action.BOARD_LINK_REVOKED, link)
    if request.htmx:
        return render(request, LINKS_PARTIAL, links_context(request.user, link.board))
    back = link.board.get_absolute_url()
    if back:
        return redirect(back)
    return render(request, LINKS_PAGE, links_context(request.user, link.board))
