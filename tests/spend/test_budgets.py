"""Budgets, caps and the approval threshold, decided before anything is queued
(spend/budgets.py), and the reservation race on the database the suite runs on."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.db import OperationalError, connections
from django.utils import timezone

from ltxdash.generations import pipeline
from ltxdash.generations.models import Generation, State
from ltxdash.generations.pipeline import actions
from ltxdash.spend import budgets, ledger
from ltxdash.spend.models import Approval, LedgerEntry, MemberCap, Status
from tests.support.spend import CLIP, queue

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("clean_broker")]


def test_a_request_exactly_at_the_budget_is_queued(team):
    team.budget(monthly_limit=CLIP * 4)
    made = queue(team.creator, team.workspace, count=4)
    assert [g.state for g in made] == [State.QUEUED] * 4
    assert budgets.committed(team.workspace.pk, budgets.month_of(team.workspace)) == CLIP * 4


def test_one_cent_over_the_budget_is_refused_before_anything_is_queued(team):
    team.budget(monthly_limit=CLIP * 4 - Decimal("0.01"))
    with pytest.raises(pipeline.PipelineError) as refused:
        queue(team.creator, team.workspace, count=4)
    assert str(refused.value) == (
        "This month's budget has $1.43 left and this request costs $1.44 (4 takes × $0.36). "  # noqa: RUF001
        "Make fewer takes or shorter clips, or ask an admin to raise the budget."
    )
    assert not getattr(refused.value, "may_ask", False)  # an approval can't lift the budget
    assert Generation.objects.count() == 0 and LedgerEntry.objects.count() == 0
    assert len(queue(team.creator, team.workspace, count=3)) == 3


def test_the_budget_binds_admins_too(team):
    team.budget(monthly_limit=CLIP)
    with pytest.raises(pipeline.PipelineError, match="budget has \\$0.36 left"):
        queue(team.admin, team.workspace, count=2)


def test_a_batch_over_a_member_cap_is_refused_as_a_whole(team):
    team.budget(member_cap=CLIP * 3)
    queue(team.creator, team.workspace, count=1)
    with pytest.raises(pipeline.PipelineError) as refused:
        queue(team.creator, team.workspace, count=3)
    assert "Your monthly cap of $1.08 has $0.72 left and this request costs $1.08" in str(
        refused.value
    )
    assert refused.value.may_ask  # type: ignore[attr-defined]
    assert Generation.objects.count() == 1
    assert len(queue(team.creator, team.workspace, count=2)) == 2


def test_a_member_s_own_cap_replaces_the_workspace_s(team):
    team.budget(member_cap=CLIP)
    MemberCap.objects.create(workspace=team.workspace, user=team.creator, monthly_cap=CLIP * 2)
    assert len(queue(team.creator, team.workspace, count=2)) == 2


def test_released_and_waived_entries_give_their_room_back(team):
    team.budget(monthly_limit=CLIP * 2)
    first, second = queue(team.creator, team.workspace, count=2)
    pipeline.cancel(first)
    second.transition(State.SUBMITTING)
    second.transition(State.PENDING)
    second.transition(State.FAILED)
    ledger.waive(LedgerEntry.objects.get(clip_number=second.pk), team.admin)
    assert len(queue(team.creator, team.workspace, count=2)) == 2


def test_the_per_request_cap_refuses_or_sends_for_approval(team):
    team.budget(request_cap=Decimal("1.00"))
    with pytest.raises(pipeline.PipelineError, match="One request may cost at most \\$1.00"):
        queue(team.creator, team.workspace, count=3)
    made = queue(team.creator, team.workspace, count=3, ask=True)
    assert [g.state for g in made] == [State.AWAITING_APPROVAL] * 3
    assert Approval.objects.filter(outcome=Approval.Outcome.PENDING).count() == 3
    assert LedgerEntry.objects.count() == 0  # nothing is held until it is approved


def test_asking_is_refused_where_the_workspace_does_not_allow_it(team):
    team.budget(member_cap=CLIP, members_may_ask=False)
    with pytest.raises(pipeline.PipelineError) as refused:
        queue(team.creator, team.workspace, count=2, ask=True)
    assert "ask an admin to raise it" in str(refused.value)
    assert not refused.value.may_ask  # type: ignore[attr-defined]


def test_the_approval_threshold_holds_a_creator_s_request_but_not_an_admin_s(team):
    team.budget(approval_above=Decimal("0.50"))
    assert [g.state for g in queue(team.creator, team.workspace, count=2)] == [
        State.AWAITING_APPROVAL
    ] * 2
    assert [g.state for g in queue(team.creator, team.workspace)] == [State.QUEUED]
    assert [g.state for g in queue(team.admin, team.workspace, count=2)] == [State.QUEUED] * 2


def test_a_month_counts_in_the_workspace_s_time_zone(team, monkeypatch):
    team.workspace.time_zone = "America/Los_Angeles"
    team.workspace.save()
    team.budget(monthly_limit=CLIP)
    # 07:30 UTC on 1 December is still 30 November, 23:30 in Los Angeles.
    late_november = datetime(2026, 12, 1, 7, 30, tzinfo=UTC)
    monkeypatch.setattr(timezone, "now", lambda: late_november)
    (november,) = queue(team.creator, team.workspace)
    found = LedgerEntry.objects.get(clip_number=november.pk)
    assert (found.day.isoformat(), found.month.isoformat()) == ("2026-11-30", "2026-11-01")
    with pytest.raises(pipeline.PipelineError, match="budget has \\$0.00 left"):
        queue(team.creator, team.workspace)

    # 08:30 UTC: midnight has passed in Los Angeles, and December's budget is whole.
    monkeypatch.setattr(timezone, "now", lambda: datetime(2026, 12, 1, 8, 30, tzinfo=UTC))
    (december,) = queue(team.creator, team.workspace)
    assert LedgerEntry.objects.get(clip_number=december.pk).month.isoformat() == "2026-12-01"


def test_the_form_says_what_is_left_what_it_costs_and_offers_to_ask(team, client):
    team.budget(member_cap=CLIP)
    client.force_login(team.creator)
    form = {
        "mode": "text-to-video",
        "prompt": "A lighthouse in a storm",
        "model": "ltx-2-3-fast",
        "resolution": "1920x1080",
        "fps": "24",
        "duration": "6",
        "count": "2",
    }
    page = client.get("/").content.decode()
    assert "$0.36 left of your monthly cap" in page

    response = client.post("/", form, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert response.status_code == 422
    assert "Your monthly cap of $0.36 has $0.36 left and this request costs $0.72" in html
    assert 'name="ask_approval" value="1"' in html
    assert Generation.objects.count() == 0

    response = client.post("/", {**form, "ask_approval": "1"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert "for approval" in response.content.decode()
    assert Generation.objects.filter(state=State.AWAITING_APPROVAL).count() == 2


def test_the_banner_appears_at_80_percent(team, client):
    team.budget(monthly_limit=CLIP * 5, member_cap=CLIP * 2)
    queue(team.creator, team.workspace, count=1)
    client.force_login(team.creator)
    assert "spend-banner" not in client.get("/gallery/").content.decode()  # 50 % of the cap

    queue(team.creator, team.workspace, count=1)  # 100 % of the cap, 40 % of the budget
    html = client.get("/gallery/").content.decode()
    assert "Your monthly cap: 100 % used" in html
    client.force_login(team.admin)
    assert "spend-banner" not in client.get("/gallery/").content.decode()

    queue(team.admin, team.workspace, count=2)  # 80 % of the budget
    html = client.get("/gallery/").content.decode()
    assert "The workspace&#x27;s budget this month: 80 % used" in html


def race(team, attempts: int, monkeypatch) -> list[str]:
    """``attempts`` creates of one clip each at the same moment, from as many connections."""
    monkeypatch.setattr(actions, "nudge_dispatcher", lambda: None)
    barrier = threading.Barrier(attempts)
    outcomes: list[str] = []

    def post() -> None:
        barrier.wait()
        try:
            while True:
                try:
                    queue(team.creator, team.workspace)
                    outcomes.append("queued")
                    return
                except pipeline.PipelineError:
                    outcomes.append("refused")
                    return
                except OperationalError:
                    time.sleep(0.01)  # SQLite's shared-cache test database: the lock is taken
        finally:
            connections.close_all()

    threads = [threading.Thread(target=post) for _ in range(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def test_twenty_submits_at_once_against_a_budget_for_five_queue_exactly_five(team, monkeypatch):
    team.budget(monthly_limit=CLIP * 5)
    outcomes = race(team, 20, monkeypatch)
    assert sorted(outcomes) == ["queued"] * 5 + ["refused"] * 15
    assert Generation.objects.filter(state=State.QUEUED).count() == 5
    held = LedgerEntry.objects.filter(status=Status.RESERVED)
    assert held.count() == 5
    assert budgets.committed(team.workspace.pk, budgets.month_of(team.workspace)) == CLIP * 5


def test_a_request_whose_cost_cannot_be_estimated_is_not_waved_through(team):
    team.budget(monthly_limit=Decimal("100"))
    params = {"model": "ltx-2-3-fast", "resolution": "1920x1080", "fps": 24}
    unpriced = {"endpoint": "audio-to-video", "params": params, "inputs": {}}
    with pytest.raises(pipeline.PipelineError, match="can't be estimated") as refused:
        pipeline.create_generations(owner=team.creator, workspace=team.workspace, **unpriced)
    assert refused.value.may_ask  # type: ignore[attr-defined]
    made = pipeline.create_generations(
        owner=team.creator, workspace=team.workspace, ask_approval=True, **unpriced
    )
    assert [g.state for g in made] == [State.AWAITING_APPROVAL]
    with pytest.raises(pipeline.PipelineError, match="ask an admin to raise it"):
        pipeline.create_generations(owner=team.admin, workspace=team.workspace, **unpriced)


def test_without_a_budget_an_unpriced_request_is_queued(team):
    params = {"model": "ltx-2-3-fast", "resolution": "1920x1080", "fps": 24}
    made = pipeline.create_generations(
        owner=team.creator,
        workspace=team.workspace,
        endpoint="audio-to-video",
        params=params,
        inputs={},
    )
    assert [g.state for g in made] == [State.QUEUED]
