"""Approvals: the new states' moves, the approvals page, a second approval as a no-op, and an
approval after the budget ran out (spend/approvals.py)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ltxdash.generations import explain, pipeline
from ltxdash.generations.cards import build_cards
from ltxdash.generations.models import TRANSITIONS, Generation, IllegalTransition, State
from ltxdash.spend import approvals, budgets
from ltxdash.spend.models import Approval, LedgerEntry, Status
from tests.support.spend import CLIP, queue

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("clean_broker")]


def waiting(team, count: int = 1) -> list[Generation]:
    team.budget(approval_above=Decimal("0.10"))
    return queue(team.creator, team.workspace, count=count)


def test_the_state_machine_knows_the_new_states():
    assert TRANSITIONS[State.AWAITING_APPROVAL] == {State.QUEUED, State.DECLINED, State.CANCELED}
    assert TRANSITIONS[State.DECLINED] == frozenset()
    assert State.AWAITING_APPROVAL not in TRANSITIONS[State.QUEUED]


def test_a_waiting_clip_cannot_be_sent_or_skip_ahead(team):
    (clip,) = waiting(team)
    with pytest.raises(IllegalTransition):
        clip.transition(State.SUBMITTING)
    from ltxdash.generations.pipeline import dispatch

    assert dispatch.claim_slots() == []  # the dispatcher never picks it up


def test_approving_queues_it_and_reserves_its_cost(team):
    (clip,) = waiting(team)
    approval = Approval.objects.get(generation=clip)
    assert "costs more than $0.10" in approval.reason

    assert approvals.approve(approval, team.admin, "Fine, go")
    clip.refresh_from_db()
    assert clip.state == State.QUEUED
    entry = LedgerEntry.objects.get(clip_number=clip.pk)
    assert entry.status == Status.RESERVED and entry.amount == CLIP
    approval.refresh_from_db()
    assert (approval.outcome, approval.decided_by, approval.note) == (
        "approved",
        team.admin,
        "Fine, go",
    )
    assert explain.approved(clip) == "Approved by ann: “Fine, go”"
    assert clip.events.filter(to_state=State.QUEUED, detail="Approved by ann: Fine, go").exists()


def test_a_second_approval_is_a_no_op(team):
    (clip,) = waiting(team)
    approval = Approval.objects.get(generation=clip)
    assert approvals.approve(approval, team.admin)
    assert not approvals.approve(Approval.objects.get(pk=approval.pk), team.admin)
    assert not approvals.decline(Approval.objects.get(pk=approval.pk), team.admin, "late")
    assert LedgerEntry.objects.count() == 1
    assert Generation.objects.get(pk=clip.pk).state == State.QUEUED


def test_an_approval_after_the_budget_ran_out_is_refused_and_the_request_keeps_waiting(team):
    (clip,) = waiting(team)
    team.budget(approval_above=Decimal("0.10"), monthly_limit=CLIP)
    queue(team.admin, team.workspace)  # takes the month's last $0.36
    approval = Approval.objects.get(generation=clip)
    with pytest.raises(budgets.OverBudget, match="budget has \\$0.00 left"):
        approvals.approve(approval, team.admin)
    assert Generation.objects.get(pk=clip.pk).state == State.AWAITING_APPROVAL
    assert Approval.objects.get(pk=approval.pk).outcome == Approval.Outcome.PENDING


def test_declining_ends_it_with_the_reason_on_the_card(team):
    (clip,) = waiting(team)
    approval = Approval.objects.get(generation=clip)
    assert approvals.decline(approval, team.admin, "Too long: make it 4 s")
    clip.refresh_from_db()
    assert clip.state == State.DECLINED and clip.is_terminal
    assert (
        explain.reason(clip) == "Declined by ann: Too long: make it 4 s Nothing was sent or spent."
    )
    assert LedgerEntry.objects.count() == 0
    assert clip.can_retry  # it may be asked for again, through the same rules


def test_the_requester_may_cancel_while_it_waits(team):
    (clip,) = waiting(team)
    assert pipeline.cancel(clip)
    assert Generation.objects.get(pk=clip.pk).state == State.CANCELED
    assert Approval.objects.get(generation=clip).outcome == Approval.Outcome.WITHDRAWN


def test_the_waiting_card_says_so_and_why(team):
    (clip,) = waiting(team)
    (card,) = build_cards([Generation.objects.get(pk=clip.pk)], team.creator)
    assert card.state_label == "Awaiting approval"
    assert "Waiting for an admin of the workspace to approve it. Why: $0.36" in card.reason
    assert card.can_cancel


def test_the_approvals_page_lists_and_decides(team, client):
    first, second = waiting(team, count=2)
    client.force_login(team.admin)
    page = client.get("/spend/approvals/").content.decode()
    assert f"#{first.pk}" in page and f"#{second.pk}" in page
    assert "2 requests wait for approval" in page

    one = Approval.objects.get(generation=first)
    response = client.post(f"/spend/approvals/{one.pk}/approve", {"note": "ok"}, follow=True)
    assert f"#{first.pk} is approved and queued ($0.36 reserved)" in response.content.decode()
    other = Approval.objects.get(generation=second)
    response = client.post(f"/spend/approvals/{other.pk}/decline", {"note": "no"}, follow=True)
    assert "is declined" in response.content.decode()
    response = client.post(f"/spend/approvals/{other.pk}/approve", follow=True)
    assert "already decided" in response.content.decode()
    assert Generation.objects.get(pk=second.pk).state == State.DECLINED


def test_an_approval_the_budget_cannot_cover_says_so_on_the_page(team, client):
    (clip,) = waiting(team)
    team.budget(approval_above=Decimal("0.10"), monthly_limit=Decimal("0.20"))
    client.force_login(team.admin)
    one = Approval.objects.get(generation=clip)
    html = client.post(f"/spend/approvals/{one.pk}/approve", follow=True).content.decode()
    assert "can&#x27;t be approved: This month&#x27;s budget has $0.20 left" in html


def test_only_admins_decide_and_only_their_workspace_s(team, client):
    (clip,) = waiting(team)
    one = Approval.objects.get(generation=clip)
    client.force_login(team.creator)
    assert client.get("/spend/approvals/").status_code == 403
    assert client.post(f"/spend/approvals/{one.pk}/approve").status_code == 403
    from tests.factories import make_user

    client.force_login(make_user("stranger"))  # the admin of a workspace of their own
    assert client.post(f"/spend/approvals/{one.pk}/approve").status_code == 404
    assert Generation.objects.get(pk=clip.pk).state == State.AWAITING_APPROVAL
