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

_CACHE = "_ltxdash_memberships"  # on the user object: one query per request


def _all(user: Any) -> list[Membership]:
    """The user's memberships, the current one first (one query, kept for the request)."""
    cached = getattr(user, _CACHE, None)
    if cached is None:
        cached = list(
            # The budget rides along: every page's banner asks for it (spend/budgets.py).
            Membership.objects.select_related("workspace", "workspace__budget")
            .filter(user_id=user.pk)
            .order_by(F("chosen_at").desc(nulls_last=True), "joined_at", "id")
        )
        if not cached:
            cached = [personal_workspace(user)]
        setattr(user, _CACHE, cached)
    return cached


def membership(user: Any) -> Membership | None:
    """The acting user's membership of their current workspace (None when anonymous)."""
    if not getattr(user, "is_authenticated", False):
        return None
    return _all(user)[0]


def memberships(user: Any) -> list[Membership]:
    """Every workspace the user belongs to, by name (the switcher)."""
    if not getattr(user, "is_authenticated", False):
        return []
    return sorted(_all(user), key=lambda m: (m.workspace.name.lower(), m.workspace_id))


def forget(user: Any) -> None:
    """Drop what this request knows (after a switch, a role change or a removal)."""
    if hasattr(user, _CACHE):
        delattr(user, _CACHE)


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
