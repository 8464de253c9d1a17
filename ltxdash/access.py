"""Who may reach what: the one module every view (and later every API endpoint and task acting
for a user) asks before it touches a clip, a file or a link.

Anything a user may not reach is a 404, never a 403: a URL reveals nothing about whether the
object exists. Each function takes the acting user and an ``Action``; today a user may do
everything to their own clips and nothing to anyone else's, and the public share pages reach a
clip through its token alone. Roles and workspaces will change ``_allows`` and the querysets
below, not the views.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from ltxdash.gallery.models import ShareLink
from ltxdash.generations.models import Generation, Output

type User = AbstractBaseUser | AnonymousUser


class Action(StrEnum):
    VIEW = "view"  # see the clip, its files, its settings; use it as an input
    CHANGE = "change"  # favourite, cancel, retry, rename
    DELETE = "delete"  # delete it and its files
    SHARE = "share"  # make and revoke public links


def _allows(user: User, generation: Generation, action: Action) -> bool:
    """The one rule, for an object already in hand: owners may do everything."""
    return bool(user.is_authenticated) and generation.owner_id == user.pk


def _pk(value: Any) -> int:
    """A primary key from a URL or a query string; anything else is a 404, never a 500."""
    text = str(value)
    # ASCII digits only: "²" is a digit to str.isdigit() and a ValueError to int().
    if not (text.isascii() and text.isdigit()) or len(text) > 18:
        raise Http404("No such object.")
    return int(text)


def generations(user: User, action: Action = Action.VIEW) -> QuerySet[Generation]:
    """Every generation ``user`` may act on: what galleries, pickers and refreshes list."""
    if not user.is_authenticated:
        return Generation.objects.none()
    return Generation.objects.filter(owner_id=user.pk)


def generation(
    user: User,
    pk: Any,
    action: Action = Action.VIEW,
    queryset: QuerySet[Generation] | None = None,
) -> Generation:
    """One generation ``user`` may act on, or 404 (``queryset`` narrows it, e.g. prefetches)."""
    found = get_object_or_404(
        generations(user, action) if queryset is None else queryset, pk=_pk(pk)
    )
    if not _allows(user, found, action):  # the queryset came from outside: check the row too
        raise Http404("No such generation.")
    return found


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
    """A share link of a generation ``user`` may share, or 404."""
    return get_object_or_404(
        ShareLink.objects.select_related("generation").filter(
            generation__in=generations(user, action)
        ),
        pk=_pk(pk),
    )


def shared_clip(token: str) -> tuple[ShareLink, Generation, Output]:
    """What a public link opens: the live link, its clip and the clip's video. Unknown, expired
    and revoked tokens, and a clip without a video, all give the same 404."""
    link = ShareLink.objects.find_live(token)
    video = link.generation.video if link else None
    if link is None or video is None:
        raise Http404("No such link")
    return link, link.generation, video
