from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from ltxdash.audit.models import AuditEntry
from ltxdash.workspaces import current
from ltxdash.workspaces.models import Membership, Role, Workspace
from tests.factories import make_user
from tests.support.spend import studio


@dataclass
class Team:
    workspace: Workspace
    admin: Any
    creator: Any
    viewer: Any
    outsider: Any  # an admin of a workspace of their own only

    def client(self, user: Any) -> Client:
        client = Client()
        client.force_login(user)
        return client

    def membership(self, user: Any) -> Membership:
        return Membership.objects.get(workspace=self.workspace, user=user)


@pytest.fixture
def team(db) -> Team:
    workspace, people = studio()
    outsider = make_user("otto")
    current.membership(outsider)  # their own workspace, made on first use
    return Team(workspace, people[Role.ADMIN], people[Role.CREATOR], people[Role.VIEWER], outsider)


@pytest.fixture
def entry():
    """The one entry an action added (and that it added exactly one)."""

    def only(action: str) -> AuditEntry:
        (found,) = AuditEntry.objects.filter(action=action)
        return found

    return only
