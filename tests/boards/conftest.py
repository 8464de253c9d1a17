"""The boards' fixtures: a team (its board's maker, an admin, another creator, a viewer), an
outsider, and a board of the maker's with three ready clips (real MP4s and posters)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from ltxdash.boards.models import Board
from ltxdash.workspaces import current
from ltxdash.workspaces.models import Membership, Role, Workspace
from tests.factories import make_clip, make_user


@pytest.fixture
def team(db) -> dict[str, Any]:
    workspace = Workspace.objects.create(name="Harbour Studio Secret Team", slug="harbour")
    people: dict[str, Any] = {"workspace": workspace}
    for who, role in (
        ("maker", Role.CREATOR),
        ("admin", Role.ADMIN),
        ("teammate", Role.CREATOR),
        ("viewer", Role.VIEWER),
    ):
        people[who] = make_user(who)
        Membership.objects.create(workspace=workspace, user=people[who], role=role)
        current.choose(people[who], workspace)
    people["outsider"] = make_user("outsider")
    return people


@pytest.fixture
def board(team) -> Board:
    maker = team["maker"]
    found = Board.objects.create(
        workspace=team["workspace"],
        name="Opening shot",
        description="Six takes for the opening.",
        created_by=maker,
    )
    found.add([make_clip(maker, title=f"Take {n}") for n in (1, 2, 3)], by=maker)
    return found


@pytest.fixture
def as_who(team):
    """as_who("viewer"): a client logged in as that person (or anonymous)."""

    def client_for(who: str) -> Client:
        client = Client()
        if who != "anonymous":
            client.force_login(team[who])
        return client

    return client_for
