"""The budget page: an admin sets the rules and members' own caps; bad input says why."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ltxdash.spend.models import Budget, MemberCap
from ltxdash.workspaces.models import Membership, Workspace

pytestmark = pytest.mark.django_db

RULES = {
    "monthly_limit": "150.00",
    "member_cap": "40",
    "request_cap": "",
    "approval_above": "5",
    "members_may_ask": "on",
    "time_zone": "Europe/Paris",
}


def test_an_admin_sets_the_budget_and_the_time_zone(team, client):
    client.force_login(team.admin)
    assert client.get("/spend/budget/").status_code == 200
    response = client.post("/spend/budget/", RULES, follow=True)
    assert "The budget is saved." in response.content.decode()
    budget = Budget.objects.get(workspace=team.workspace)
    assert (budget.monthly_limit, budget.member_cap, budget.request_cap) == (
        Decimal("150"),
        Decimal("40"),
        None,
    )
    assert budget.approval_above == Decimal("5") and budget.members_may_ask
    assert budget.updated_by == team.admin
    assert Workspace.objects.get(pk=team.workspace.pk).time_zone == "Europe/Paris"


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("monthly_limit", "-1", "greater than or equal to 0"),
        ("monthly_limit", "lots", "Enter a number."),
        ("member_cap", "200", "can&#x27;t be more than the whole budget"),
        ("time_zone", "Mars/Olympus", "Select a valid choice."),
    ],
)
def test_bad_input_is_refused_beside_its_field(team, client, field, value, words):
    client.force_login(team.admin)
    response = client.post("/spend/budget/", {**RULES, field: value})
    assert response.status_code == 422
    assert words in response.content.decode()
    assert not Budget.objects.exists()


def test_a_member_s_own_cap_is_set_and_cleared(team, client):
    client.force_login(team.admin)
    member = Membership.objects.get(workspace=team.workspace, user=team.creator)
    client.post(f"/spend/budget/members/{member.pk}/cap", {"monthly_cap": "12.50"})
    assert MemberCap.objects.get(user=team.creator).monthly_cap == Decimal("12.50")
    response = client.post(
        f"/spend/budget/members/{member.pk}/cap", {"monthly_cap": "x"}, follow=True
    )
    assert "A cap is an amount in dollars" in response.content.decode()
    client.post(f"/spend/budget/members/{member.pk}/cap", {"monthly_cap": ""})
    assert not MemberCap.objects.exists()


def test_only_an_admin_reaches_it(team, client):
    client.force_login(team.creator)
    assert client.get("/spend/budget/").status_code == 403
    assert client.post("/spend/budget/", RULES).status_code == 403
    assert not Budget.objects.exists()
