"""The money banners on every page: a budget or cap at 80 % or more, and, for admins, requests
waiting for approval. Nothing is read without a budget (it comes with the membership)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ltxdash.spend import budgets
from ltxdash.spend.models import Approval
from ltxdash.workspaces.models import Membership, Role


@dataclass(frozen=True)
class Banners:
    warnings: list[budgets.Standing]
    waiting: int  # approvals an admin could decide now

    def __bool__(self) -> bool:
        return bool(self.warnings or self.waiting)


def seen_by(user: Any, membership: Membership) -> Banners:
    workspace = membership.workspace
    if budgets.loaded_budget(workspace) is None:
        return Banners([], 0)
    is_admin = membership.role == Role.ADMIN
    waiting = (
        Approval.objects.filter(workspace=workspace, outcome=Approval.Outcome.PENDING).count()
        if is_admin
        else 0
    )
    return Banners(budgets.warnings(workspace, user.pk, is_admin=is_admin), waiting)
