"""What the spend tests share: the price of the standard clip, and queueing one for a member."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ltxdash.generations import pipeline
from ltxdash.generations.models import Generation
from ltxdash.workspaces.models import Workspace
from tests.factories import T2V

# T2V (LTX-2.3 Fast, 1080p, 6 s) at $0.06 a second: $0.36 a clip.
CLIP = Decimal("0.36")


def studio() -> tuple[Workspace, dict[str, Any]]:
    """The workspace "Studio" (UTC) with an admin (ann), a creator (cam) and a viewer (vic),
    each working in it: the workspace and its people by role."""
    from ltxdash.workspaces import current
    from ltxdash.workspaces.models import Membership, Role
    from tests.factories import make_user

    workspace = Workspace.objects.create(name="Studio", slug="studio", time_zone="UTC")
    people: dict[str, Any] = {}
    for name, role in (("ann", Role.ADMIN), ("cam", Role.CREATOR), ("vic", Role.VIEWER)):
        user = make_user(name)
        Membership.objects.create(workspace=workspace, user=user, role=role)
        current.choose(user, workspace)
        people[role] = user
    return workspace, people


def queue(
    owner: Any, workspace: Workspace, count: int = 1, ask: bool = False, **params: Any
) -> list[Generation]:
    return pipeline.create_generations(
        owner=owner,
        workspace=workspace,
        endpoint="text-to-video",
        params={**T2V, **params},
        inputs={},
        count=count,
        ask_approval=ask,
    )
