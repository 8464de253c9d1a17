"""Which workspace a member works in: the one they chose last, kept in the database so the
choice holds in every tab and after logging in again. A user in no workspace (made by
``createsuperuser``, the admin or the shell) gets a personal one the first time it is needed.
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.text import slugify

from ltxdash.workspaces.models import Membership, Role, Workspace

_CACHE = "_ltxdash_membership"  # on the user object: one lookup per request


def membership(user: Any) -> Membership | None:
    """The acting user's membership of their current workspace (None when anonymous)."""
    if not getattr(user, "is_authenticated", False):
        return None
    cached = getattr(user, _CACHE, None)
    if cached is not None:
        return cached
    found = (
        Membership.objects.select_related("workspace")
        .filter(user_id=user.pk)
        .order_by(F("chosen_at").desc(nulls_last=True), "joined_at", "id")
        .first()
    )
    if found is None:
        found = personal_workspace(user)
    setattr(user, _CACHE, found)
    return found


def forget(user: Any) -> None:
    """Drop the cached membership (after a switch, a role change or a removal)."""
    if hasattr(user, _CACHE):
        delattr(user, _CACHE)


def memberships(user: Any) -> list[Membership]:
    """Every workspace the user belongs to, for the switcher."""
    return list(
        Membership.objects.select_related("workspace")
        .filter(user_id=user.pk)
        .order_by("workspace__name", "workspace_id")
    )


def choose(user: Any, workspace: Workspace) -> bool:
    """Make ``workspace`` the user's current one; False if they are not a member."""
    chosen = Membership.objects.filter(user_id=user.pk, workspace=workspace).update(
        chosen_at=timezone.now()
    )
    forget(user)
    return bool(chosen)


def personal_workspace(user: Any) -> Membership:
    """A workspace of the user's own, of which they are the admin."""
    name = f"{user.get_username()}'s workspace"
    base = slugify(user.get_username())[:60] or "workspace"
    for attempt in range(100):
        slug = base if attempt == 0 else f"{base}-{attempt + 1}"
        try:
            with transaction.atomic():
                workspace = Workspace.objects.create(name=name[:80], slug=slug)
        except IntegrityError:
            continue  # the slug is taken
        return Membership.objects.create(
            workspace=workspace, user=user, role=Role.ADMIN, chosen_at=timezone.now()
        )
    raise RuntimeError(f"no free slug for {base!r}")
