"""Each action the issue names leaves one entry, written by the action itself (driven here
through the real view or function): who did it, what, to which object, in which workspace."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from ltxdash.audit.models import Action, AuditEntry
from ltxdash.boards.models import Board, BoardLink
from ltxdash.gallery.models import ShareLink
from ltxdash.generations.models import Generation, State
from ltxdash.spend.models import Approval, Budget
from ltxdash.workspaces.models import ApiKey, Invitation, Membership
from tests.factories import make_clip, make_generation
from tests.support.pages import HTMX, T2V_FORM
from tests.support.spend import queue

pytestmark = pytest.mark.django_db
FORM = T2V_FORM


def assert_entry(found: AuditEntry, actor, workspace, object_type: str, object_id) -> None:
    assert found.actor_id == actor.pk and found.actor_name == actor.get_username()
    assert found.workspace_id == workspace.pk
    assert (found.object_type, found.object_id) == (object_type, str(object_id))


# --- generating, approving, declining ------------------------------------------------------


def test_a_request_of_three_takes_is_one_entry_with_the_count_and_the_total(team, entry):
    response = team.client(team.creator).post("/", {**FORM, "count": "3"}, headers=HTMX)
    assert response.status_code == 200
    first, _, last = Generation.objects.filter(owner=team.creator).order_by("pk")
    found = entry(Action.GENERATED)
    assert_entry(found, team.creator, team.workspace, "clip", first.pk)
    # 6 s at $0.06 a second: $0.36 a take.
    assert found.detail == f"3 takes (#{first.pk} to #{last.pk}), estimated $1.08 in all."


def test_a_request_that_waits_for_approval_says_why(team, entry):
    Budget.objects.create(workspace=team.workspace, approval_above=Decimal("0.10"))
    team.client(team.creator).post("/", FORM, headers=HTMX)
    (clip,) = Generation.objects.filter(owner=team.creator)
    assert clip.state == State.AWAITING_APPROVAL
    found = entry(Action.GENERATED)
    assert found.detail.startswith("1 take, estimated $0.36 in all. Waits for approval: ")


def test_a_refused_request_leaves_no_entry(team):
    Budget.objects.create(workspace=team.workspace, monthly_limit=Decimal("0.10"))
    response = team.client(team.creator).post("/", FORM, headers=HTMX)
    assert response.status_code == 422
    assert not AuditEntry.objects.exists()  # the entry rolled back with the request


def test_a_retry_is_a_request_too(team, entry):
    failed = make_generation(team.creator, State.FAILED, workspace=team.workspace)
    team.client(team.admin).post(reverse("generations:retry", args=[failed.pk]), headers=HTMX)
    clone = Generation.objects.exclude(pk=failed.pk).get()
    found = entry(Action.GENERATED)
    assert_entry(found, team.admin, team.workspace, "clip", clone.pk)  # the admin asked
    assert f"a retry of #{failed.pk}" in found.detail


def _waiting(team) -> Approval:
    Budget.objects.create(workspace=team.workspace, approval_above=Decimal("0.10"))
    (clip,) = queue(team.creator, team.workspace)
    return Approval.objects.get(generation=clip)


def test_approving(team, entry):
    approval = _waiting(team)
    client = team.client(team.admin)
    client.post(reverse("spend:approve", args=[approval.pk]), {"note": "go ahead"})
    found = entry(Action.APPROVED)
    assert_entry(found, team.admin, team.workspace, "clip", approval.generation_id)
    assert found.detail == "$0.36 reserved. Note: go ahead"
    client.post(reverse("spend:approve", args=[approval.pk]))  # already decided: no entry
    assert AuditEntry.objects.filter(action=Action.APPROVED).count() == 1


def test_declining_keeps_the_note(team, entry):
    approval = _waiting(team)
    team.client(team.admin).post(reverse("spend:decline", args=[approval.pk]), {"note": "too dear"})
    found = entry(Action.DECLINED)
    assert_entry(found, team.admin, team.workspace, "clip", approval.generation_id)
    assert found.detail == "Note: too dear"


# --- clips ---------------------------------------------------------------------------------


def test_deleting_a_clip(team, entry):
    clip = make_clip(team.creator, workspace=team.workspace, title="Harbour")
    team.client(team.creator).post(reverse("gallery:delete", args=[clip.pk]))
    assert not Generation.objects.filter(pk=clip.pk).exists()
    found = entry(Action.DELETED)
    assert_entry(found, team.creator, team.workspace, "clip", clip.pk)
    assert found.object_words == f"#{clip.pk} Harbour"  # kept: the clip is gone


def test_deleting_clips_at_once_is_one_entry_each(team):
    clips = [make_clip(team.creator, workspace=team.workspace) for _ in range(3)]
    data = {"action": "delete", "ids": [c.pk for c in clips], "confirmed": "1"}
    team.client(team.admin).post(reverse("gallery:bulk"), data)
    assert not Generation.objects.filter(pk__in=[c.pk for c in clips]).exists()
    found = AuditEntry.objects.filter(action=Action.DELETED)
    assert sorted(int(e.object_id) for e in found) == sorted(c.pk for c in clips)
    assert {(e.actor_id, e.workspace_id, e.detail) for e in found} == {
        (team.admin.pk, team.workspace.pk, "One of 3 at once.")
    }


def test_a_failed_delete_leaves_no_entry(team):
    clip = make_clip(team.creator, workspace=team.workspace)
    response = team.client(team.viewer).post(reverse("gallery:delete", args=[clip.pk]))
    assert response.status_code == 403
    assert not AuditEntry.objects.exists()


# --- links ---------------------------------------------------------------------------------


def test_sharing_a_clip_and_revoking_the_link(team, entry):
    clip = make_clip(team.creator, workspace=team.workspace)
    client = team.client(team.creator)
    client.post(reverse("gallery:share_create", args=[clip.pk]), {"expires": "never"})
    link = ShareLink.objects.get(generation=clip)
    found = entry(Action.SHARED)
    assert_entry(found, team.creator, team.workspace, "share link", link.pk)
    assert found.detail == "Never expires."
    for _ in range(2):  # the second revocation changes nothing, and says nothing
        client.post(reverse("gallery:share_revoke", args=[link.pk]))
    assert_entry(entry(Action.SHARE_REVOKED), team.creator, team.workspace, "share link", link.pk)


def test_sharing_a_board_and_revoking_the_link(team, entry):
    board = Board.objects.create(workspace=team.workspace, name="Picks", created_by=team.creator)
    client = team.client(team.admin)
    client.post(reverse("boards:link_create", args=[board.pk]), {"expires": "7"}, headers=HTMX)
    link = BoardLink.objects.get(board=board)
    found = entry(Action.BOARD_SHARED)
    assert_entry(found, team.admin, team.workspace, "board link", link.pk)
    assert found.detail.startswith("Board “Picks”. Expires ")
    for _ in range(2):
        client.post(reverse("boards:link_revoke", args=[link.pk]), headers=HTMX)
    found = entry(Action.BOARD_LINK_REVOKED)
    assert_entry(found, team.admin, team.workspace, "board link", link.pk)


# --- people --------------------------------------------------------------------------------


def test_inviting_and_revoking_the_invitation(team, entry):
    client = team.client(team.admin)
    client.post(reverse("workspaces:invite"), {"role": "viewer", "days": "30"})
    invitation = Invitation.objects.get(workspace=team.workspace)
    found = entry(Action.INVITED)
    assert_entry(found, team.admin, team.workspace, "invitation", invitation.pk)
    assert found.detail == "As viewer, for 30 days."
    for _ in range(2):
        client.post(reverse("workspaces:revoke_invitation", args=[invitation.pk]))
    found = entry(Action.INVITATION_REVOKED)
    assert_entry(found, team.admin, team.workspace, "invitation", invitation.pk)


def test_changing_a_role(team, entry):
    member = team.membership(team.creator)
    client = team.client(team.admin)
    for _ in range(2):  # the same role again changes nothing: one entry
        client.post(reverse("workspaces:change_role", args=[member.pk]), {"role": "viewer"})
    found = entry(Action.ROLE_CHANGED)
    assert_entry(found, team.admin, team.workspace, "member", member.pk)
    assert (found.object_words, found.detail) == ("cam", "Creator → Viewer.")


def test_removing_a_member(team, entry):
    member = team.membership(team.viewer)
    team.client(team.admin).post(reverse("workspaces:remove_member", args=[member.pk]))
    assert not Membership.objects.filter(pk=member.pk).exists()
    found = entry(Action.MEMBER_REMOVED)
    assert_entry(found, team.admin, team.workspace, "member", member.pk)
    assert found.object_words == "vic"


def test_the_last_admin_cannot_be_removed_and_nothing_is_recorded(team):
    member = team.membership(team.admin)
    team.client(team.admin).post(reverse("workspaces:remove_member", args=[member.pk]))
    assert not AuditEntry.objects.exists()


# --- the budget and the key ------------------------------------------------------------------


def test_changing_the_budget(team, entry):
    data = {"monthly_limit": "50", "time_zone": "UTC"}
    team.client(team.admin).post(reverse("spend:budget"), data)
    found = entry(Action.BUDGET_CHANGED)
    assert (found.actor_id, found.workspace_id) == (team.admin.pk, team.workspace.pk)
    assert "50" in found.detail


def test_changing_a_members_cap(team, entry):
    member = team.membership(team.creator)
    team.client(team.admin).post(
        reverse("spend:member_cap", args=[member.pk]), {"monthly_cap": "5"}
    )
    found = entry(Action.BUDGET_CHANGED)
    assert found.actor_id == team.admin.pk and "cap of cam" in found.detail


KEY = "ltx-sk-good-5f1e2d3c4b5a-9w8x"
OTHER = "ltx-sk-other-1a2b3c4d5e6f-7y6z"


@pytest.fixture
def simulated(settings, ltx_simulator):
    settings.LTX_API_BASE_URL = ltx_simulator.url
    settings.LTX_API_KEY = "sk-server-key"
    return ltx_simulator


def test_setting_replacing_and_stopping_the_key(team, simulated):
    client = team.client(team.admin)
    client.post(reverse("workspaces:api_key"), {"key": KEY, "max_concurrency": ""})
    client.post(reverse("workspaces:api_key"), {"key": OTHER, "max_concurrency": ""})
    first, second = ApiKey.objects.filter(workspace=team.workspace).order_by("pk")
    replaced = list(AuditEntry.objects.filter(action=Action.KEY_REPLACED).order_by("pk"))
    assert [e.object_id for e in replaced] == [str(first.pk), str(second.pk)]
    assert [e.detail for e in replaced] == ["Instead of the server's key.", "Replaced ••••9w8x."]
    assert [e.object_words for e in replaced] == ["key ••••9w8x", "key ••••7y6z"]
    assert all(e.actor_id == team.admin.pk for e in replaced)
    assert KEY not in str(list(AuditEntry.objects.values())) and OTHER not in str(
        list(AuditEntry.objects.values())
    )  # only the last four characters, as everywhere
    for _ in range(2):  # the second stop finds nothing to stop
        client.post(reverse("workspaces:stop_api_key"))
    (stopped,) = AuditEntry.objects.filter(action=Action.KEY_STOPPED)
    assert_entry(stopped, team.admin, team.workspace, "LTX key", second.pk)


def test_changing_only_jobs_at_once_is_not_a_new_key(team, simulated):
    ApiKey.store(team.workspace, KEY, team.admin)
    assert AuditEntry.objects.filter(action=Action.KEY_REPLACED).count() == 1
    team.client(team.admin).post(reverse("workspaces:api_key"), {"key": "", "max_concurrency": "3"})
    assert AuditEntry.objects.filter(action=Action.KEY_REPLACED).count() == 1


def test_every_action_of_the_issue_has_a_test_here():
    import ast
    from pathlib import Path

    source = Path(__file__).read_text()
    named = {
        node.attr
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id == "Action"
    }
    assert {a.name for a in Action} <= named


def test_revoking_in_django_s_admin_is_recorded_too(team, entry):
    from tests.factories import make_user

    clip = make_clip(team.creator, workspace=team.workspace)
    link, _ = ShareLink.create_for(clip, None)
    root = make_user("root", superuser=True)
    admin = team.client(root)
    for _ in range(2):  # the second time there is nothing to revoke, and nothing is recorded
        admin.post(
            reverse("admin:gallery_sharelink_changelist"),
            {"action": "revoke", "_selected_action": [link.pk]},
        )
    found = entry(Action.SHARE_REVOKED)
    assert_entry(found, root, team.workspace, "share link", link.pk)
    assert found.detail == "In Django's admin."
    board = Board.objects.create(workspace=team.workspace, name="Picks", created_by=team.creator)
    board_link, _ = BoardLink.create_for(board, None, by=team.creator)
    admin.post(
        reverse("admin:boards_boardlink_changelist"),
        {"action": "revoke", "_selected_action": [board_link.pk]},
    )
    assert_entry(
        entry(Action.BOARD_LINK_REVOKED), root, team.workspace, "board link", board_link.pk
    )
    assert BoardLink.objects.get(pk=board_link.pk).revoked_at is not None
    budget = Budget.objects.create(workspace=team.workspace)
    admin.post(
        reverse("admin:spend_budget_change", args=[budget.pk]),
        {"workspace": team.workspace.pk, "monthly_limit": "80", "members_may_ask": "on"},
    )
    assert "monthly limit none → $80.00" in entry(Action.BUDGET_CHANGED).detail
