from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest

from ltxdash.spend.models import Budget
from ltxdash.workspaces.models import Role, Workspace
from tests.support.spend import studio


@dataclass
class Team:
    workspace: Workspace
    admin: Any
    creator: Any
    viewer: Any

    def budget(self, **amounts: Any) -> Budget:
        values = {
            k: (
                Decimal(str(v))
                if isinstance(v, (int, float, str)) and not isinstance(v, bool)
                else v
            )
            for k, v in amounts.items()
        }
        budget, _ = Budget.objects.update_or_create(workspace=self.workspace, defaults=values)
        return budget


@pytest.fixture
def team(db) -> Team:
    workspace, people = studio()
    return Team(workspace, people[Role.ADMIN], people[Role.CREATOR], people[Role.VIEWER])


@pytest.fixture
def clean_broker():
    """No task left in the broker by an earlier test (a Redis broker outlives transactions)."""
    from tests.support.pipeline import drain_broker

    drain_broker()
