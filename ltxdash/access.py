"""Who may reach what: the one module every view (and later every API endpoint and task acting
for a user) asks before it touches a clip, a file, a link or a workspace.

A user works in one workspace at a time (``workspaces.current``). Every member sees every clip of
it; what they may do with one depends on their role:

- admin: everything, to any clip of the workspace;
- creator: generates, and changes, deletes and shares their own clips;
- viewer: watches, downloads and searches; changes nothing.

Anything a user may not even see is a 404, never a 403: a URL reveals nothing about whether the
object exists. A clip a member may see but not change answers 403. The public share pages reach
a clip through its token alone.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from ltxdash.boards.models import Board, BoardLink
from ltxdash.gallery.models import ShareLink
from ltxdash.generations.models import Generation, Output
from ltxdash.spend.models import Approval
from ltxdash.workspaces import current
from ltxdash.workspaces.models import Invitation, Membership, Role, Workspace

type User = AbstractBaseUser | AnonymousUser


class Action(StrEnum):
    VIEW = "view"  # see the clip, its files, its settings; use it as an input
    CHANGE = "change"  # favourite, cancel, retry, rename
    DELETE = "delete"  # delete it and its files
    SHARE = "share"  # make and revoke public links


def membership(user: User) -> Membership | None:
    """The user's membership of the workspace they work in (None when logged out)."""
    return current.membership(user)


def workspace(user: User) -> Workspace | None:
    found = membership(user)
    return found.workspace if found else None


def members(user: User) -> list[Any]:
    """The people of the user's current workspace, by name (the gallery's "made by")."""
    found = membership(user)
    if found is None:
        return []
    return [
        m.user
        for m in Membership.objects.filter(workspace_id=found.workspace_id)
        .select_related("user")
        .order_by("user__username")
    ]


def may_generate(user: User) -> bool:
    """Whether the user may make clips in their current workspace (not a viewer)."""
    found = membership(user)
    return found is not None and found.role in (Role.ADMIN, Role.CREATOR)


def may_manage(user: User) -> bool:
    """Whether the user runs their current workspace: members, invitations, key, settings."""
    found = membership(user)
    return found is not None and found.role == Role.ADMIN


def _allows(user: User, generation: Generation, action: Action) -> bool:
    """The one rule, for a clip already in hand."""
    found = membership(user)
    if found is None or generation.workspace_id != found.workspace_id:
        return False
    if action == Action.VIEW or found.role == Role.ADMIN:
        return True
    return found.role == Role.CREATOR and generation.owner_id == user.pk


def may(user: User, generation: Generation, action: Action) -> bool:
    """Whether ``user`` may do ``action`` to a clip already in hand (what a page offers)."""
    return _allows(user, generation, action)


class Refused(PermissionDenied):
    """A member may see this clip but not do that to it (403, with words for them)."""


def _pk(value: Any) -> int:
    """A primary key from a URL or a query string; anything else is a 404, never a 500."""
    text = str(value)
    # ASCII digits only: "²" is a digit to str.isdigit() and a ValueError to int().
    if not (text.isascii() and text.isdigit()) or len(text) > 18:
        raise Http404("No such object.")
    return int(text)


def generations(user: User, action: Action = Action.VIEW) -> QuerySet[Generation]:
    """Every generation ``user`` may act on: what galleries, pickers and refreshes list."""
    found = membership(user)
    if found is None:
        return Generation.objects.none()
    clips = Generation.objects.filter(workspace_id=found.workspace_id)
    if action == Action.VIEW or found.role == Role.ADMIN:
        return clips
    if found.role == Role.CREATOR:
        return clips.filter(owner_id=user.pk)
    return Generation.objects.none()


def own_generations(user: User) -> QuerySet[Generation]:
    """The user's own clips in their current workspace (the create page's cards)."""
    return generations(user).filter(owner_id=user.pk)


def generation(
    user: User,
    pk: Any,
    action: Action = Action.VIEW,
    queryset: QuerySet[Generation] | None = None,
) -> Generation:
    """One generation ``user`` may act on: 404 if they may not see it, 403 if they may see it
    but not do ``action`` to it (``queryset`` narrows it, e.g. prefetches)."""
    found = get_object_or_404(generations(user) if queryset is None else queryset, pk=_pk(pk))
    if not _allows(user, found, Action.VIEW):  # the queryset came from outside: check the row
        raise Http404("No such generation.")
    if not _allows(user, found, action):
        raise Refused(_refusal(user, action))
    return found


def _refusal(user: User, action: Action) -> str:
    found = membership(user)
    if found is not None and found.role == Role.VIEWER:
        return "Viewers can watch and download clips, not change them."
    return f"Only the clip's maker or a workspace admin may {action} it."


def output(user: User, pk: Any, action: Action = Action.VIEW) -> Output:
    """A stored file of a generation ``user`` may act on, or 404."""
    found = get_object_or_404(
        Output.objects.select_related("generation").filter(
            generation__in=generations(user, action)
        ),
        pk=_pk(pk),
    )
    return found


def share_link(user: User, pk: Any, action: Action = Action.SHARE) -> ShareLink:
    """A share link of a generation ``user`` may share: 404 unseen, 403 seen but not theirs."""
    link = get_object_or_404(
        ShareLink.objects.select_related("generation").filter(generation__in=generations(user)),
        pk=_pk(pk),
    )
    if not _allows(user, link.generation, action):
        raise Refused(_refusal(user, action))
    return link


def shared_clip(token: str) -> tuple[ShareLink, Generation, Output]:
    """What a public link opens: the live link, its clip and the clip's video. Unknown, expired
    and revoked tokens, and a clip without a video, all give the same 404."""
    link = ShareLink.objects.select_related("generation").find_live(token)
    video = link.generation.video if link else None
    if link is None or video is None:
        raise Http404("No such link")
    return link, link.generation, video


# --- boards ---------------------------------------------------------------------------------
#
# Every member sees every board of the workspace. Creators and admins make boards and change any
# of them (add, remove, reorder, rename, cover): a board is the team's, like its gallery. Deleting
# a board and its public links belong to the board's maker and to admins.


class BoardAction(StrEnum):
    VIEW = "view"  # see the board and its clips; download them
    CHANGE = "change"  # add, remove, reorder; rename, describe, choose the cover
    MANAGE = "manage"  # delete the board; make and revoke its public links


def boards(user: User) -> QuerySet[Board]:
    found = membership(user)
    if found is None:
        return Board.objects.none()
    return Board.objects.filter(workspace_id=found.workspace_id)


def may_make_boards(user: User) -> bool:
    return may_generate(user)  # the same people: creators and admins


def _allows_board(user: User, board: Board, action: BoardAction) -> bool:
    found = membership(user)
    if found is None or board.workspace_id != found.workspace_id:
        return False
    if action == BoardAction.VIEW or found.role == Role.ADMIN:
        return True
    if found.role != Role.CREATOR:
        return False
    return action == BoardAction.CHANGE or board.created_by_id == user.pk


def board(user: User, pk: Any, action: BoardAction = BoardAction.VIEW) -> Board:
    """A board of the user's workspace: 404 for any other, 403 when the role does not allow
    ``action``."""
    found = get_object_or_404(boards(user), pk=_pk(pk))
    if not _allows_board(user, found, action):
        raise Refused(_board_refusal(user, action))
    return found


def may_on_board(user: User, board: Board, action: BoardAction) -> bool:
    """For templates: whether to offer an action at all."""
    return _allows_board(user, board, action)


def _board_refusal(user: User, action: BoardAction) -> str:
    found = membership(user)
    if found is not None and found.role == Role.VIEWER:
        return "Viewers can watch and download a board's clips, not change the board."
    return "Only the board's maker or a workspace admin may delete it or share it."


def board_link(user: User, pk: Any) -> BoardLink:
    """A public link of a board ``user`` may manage: 404 unseen, 403 seen but not theirs."""
    link = get_object_or_404(
        BoardLink.objects.select_related("board").filter(board__in=boards(user)), pk=_pk(pk)
    )
    if not _allows_board(user, link.board, BoardAction.MANAGE):
        raise Refused(_board_refusal(user, BoardAction.MANAGE))
    return link


def shared_board(token: str) -> BoardLink:
    """What a public board link opens: the live link (with its board). Unknown, expired and
    revoked tokens all give the same 404."""
    link = BoardLink.objects.select_related("board").find_live(token)
    if link is None:
        raise Http404("No such link")
    return link


def shared_board_output(link: BoardLink, pk: Any) -> Output:
    """The video of a clip that is on the link's board now (removed: 404 at once). Only the
    clip's video, as the page shows it: never its other files (EXR frames, say)."""
    found = get_object_or_404(
        Output.objects.select_related("generation").filter(
            generation__board_items__board_id=link.board_id,
            generation__workspace_id=link.board.workspace_id,
            content_type__startswith="video/",
        ),
        pk=_pk(pk),
    )
    if found.generation.video != found:  # a second video of the clip: not what the page shows
        raise Http404("No such file")
    return found


# --- a workspace's people and invitations ------------------------------------------------------


def _managed(user: User, what: str = "its members and invitations") -> Membership:
    """The admin's own membership, or 403 for any other member (404 when logged out)."""
    found = membership(user)
    if found is None:
        raise Http404("No such workspace.")
    if found.role != Role.ADMIN:
        raise Refused(f"Only an admin of the workspace may manage {what}.")
    return found


def managed_member(user: User, pk: Any) -> Membership:
    """A membership of the workspace ``user`` is an admin of: 404 for another workspace's."""
    mine = _managed(user)
    return get_object_or_404(
        Membership.objects.select_related("user"), pk=_pk(pk), workspace_id=mine.workspace_id
    )


def managed_invitation(user: User, pk: Any) -> Invitation:
    mine = _managed(user)
    return get_object_or_404(Invitation, pk=_pk(pk), workspace_id=mine.workspace_id)


def managed_workspace(user: User) -> Workspace:
    return _managed(user).workspace


def managed_budget(user: User) -> Workspace:
    """The workspace whose budget, caps and approvals ``user`` runs: their current one, if they
    are its admin (403 for its other members)."""
    return _managed(user, "its budget and approvals").workspace


def approval(user: User, pk: Any) -> Approval:
    """A request for approval in the workspace ``user`` is an admin of (404 for another's)."""
    mine = _managed(user, "its budget and approvals")
    return get_object_or_404(
        Approval.objects.select_related("generation", "generation__workspace"),
        pk=_pk(pk),
        workspace_id=mine.workspace_id,
    )


def key_workspace(user: User) -> Workspace:
    """The workspace whose own LTX key ``user`` sets, replaces and stops using: their current
    one, if they are its admin (403 for its other members; 404 when logged out)."""
    return _managed(user, "its LTX key").workspace


def audit_workspace(user: User) -> Workspace:
    """The workspace whose audit log ``user`` reads: their current one, if they are its admin
    (403 for its other members; 404 when logged out). Nobody changes the log."""
    return _managed(user, "its audit log").workspace


# --- money: what was spent --------------------------------------------------------------------


def usage_scope(user: User) -> tuple[Workspace, int | None]:
    """Whose usage ``user`` sees, in the workspace they work in: the whole workspace's for its
    admins (member None: everyone), only their own entries for every other member (creators,
    viewers). 404 when logged out (the login middleware turns them away first)."""
    found = membership(user)
    if found is None:
        raise Http404("No such workspace.")
    return found.workspace, None if found.role == Role.ADMIN else user.pk
