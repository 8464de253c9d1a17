"""Which account pause a person is shown.

A pause belongs to one LTX key (``DispatchState``): a member sees the pause of the key their
current workspace sends with, and nobody else's. Staff also see every other key's pause, named
by its workspace, so an operator notices a client's empty account without being a member.
"""

from __future__ import annotations

from typing import Any

from ltxdash.generations.models import DispatchState
from ltxdash.workspaces.models import ApiKey


def key_of(workspace_id: int | None) -> int | None:
    """The id of the key a workspace sends with (None: ``LTX_API_KEY``)."""
    if workspace_id is None:
        return None
    return (
        ApiKey.objects.filter(workspace_id=workspace_id, retired_at__isnull=True)
        .values_list("id", flat=True)
        .first()
    )


def seen_by(
    user: Any, workspace_id: int | None
) -> tuple[DispatchState | None, list[DispatchState]]:
    """(the pause of the workspace's key, the other paused keys a staff member also sees).
    One query while nothing is paused (the banner's cost on every page)."""
    paused = list(DispatchState.in_use_paused().select_related("api_key__workspace"))
    if not paused:
        return None, []
    key = key_of(workspace_id)
    own = next((state for state in paused if state.api_key_id == key), None)
    others = [state for state in paused if state is not own] if user.is_staff else []
    return own, others
