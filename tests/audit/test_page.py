"""The audit page: the workspace's admins only, filtered by what, who and which days (checked,
with words for a wrong filter), newest first, a page at a time."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse

from ltxdash.audit import forms, log
from ltxdash.audit.models import Action, AuditEntry
from ltxdash.workspaces.models import Workspace

pytestmark = pytest.mark.django_db
URL = "/audit/"


def shown(response) -> list[str]:
    return [entry.detail for entry in response.context["entries"]]


def test_the_url():
    assert reverse("audit:log") == URL


def test_only_the_workspaces_admins_see_it(team):
    log.record(team.admin, team.workspace, Action.INVITED, detail="in the studio")
    assert shown(team.client(team.admin).get(URL)) == ["in the studio"]
    for user in (team.creator, team.viewer):
        refused = team.client(user).get(URL)
        assert refused.status_code == 403
        assert (
            refused["X-Ltxdash-Message"]
            == "Only an admin of the workspace may manage its audit log."
        )
        assert b"in the studio" not in refused.content
    anonymous = Client().get(URL)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/accounts/login/")


def test_an_admin_of_another_workspace_sees_only_their_own(team):
    log.record(team.admin, team.workspace, Action.INVITED, detail="in the studio")
    theirs = team.client(team.outsider).get(URL)
    assert theirs.status_code == 200  # their own workspace's log, which is empty
    assert shown(theirs) == [] and b"in the studio" not in theirs.content
    assert b"No entries" in theirs.content
    # Naming the studio's entry as a page cursor finds nothing either.
    entry = AuditEntry.objects.get()
    refused = team.client(team.outsider).get(URL, {"before": entry.pk})
    assert refused.status_code == 422 and shown(refused) == []


def test_the_page_shows_the_entry_in_words(team):
    log.record(team.admin, team.workspace, Action.ROLE_CHANGED, detail="Creator → Viewer.")
    html = team.client(team.admin).get(URL).content.decode()
    assert "Changed a role" in html and "Creator → Viewer." in html and ">ann<" in html


def test_the_menu_and_the_members_page_link_it_for_admins_only(team):
    assert URL in team.client(team.admin).get("/workspaces/members/").content.decode()
    assert URL not in team.client(team.creator).get("/workspaces/members/").content.decode()


def _at(team, day: str, action: Action, actor, detail: str) -> AuditEntry:
    """An entry as if written at noon of ``day`` (tests only: the log itself never backdates)."""
    moment = datetime.fromisoformat(f"{day}T12:00").replace(tzinfo=ZoneInfo("UTC"))
    entry = AuditEntry(workspace=team.workspace, action=action, detail=detail, at=moment)
    entry.actor, entry.actor_name = actor, actor.get_username()
    entry.save()
    return entry


def test_it_filters_by_action_actor_and_days(team):
    _at(team, "2026-03-01", Action.INVITED, team.admin, "a")
    _at(team, "2026-03-02", Action.GENERATED, team.creator, "b")
    _at(team, "2026-03-03", Action.GENERATED, team.admin, "c")
    _at(team, "2026-03-04", Action.DELETED, team.creator, "d")
    client = team.client(team.admin)
    assert shown(client.get(URL)) == ["d", "c", "b", "a"]
    assert shown(client.get(URL, {"action": "generated"})) == ["c", "b"]
    assert shown(client.get(URL, {"actor": team.creator.pk})) == ["d", "b"]
    assert shown(client.get(URL, {"since": "2026-03-02", "until": "2026-03-03"})) == ["c", "b"]
    assert shown(client.get(URL, {"since": "2026-03-04"})) == ["d"]
    assert shown(client.get(URL, {"until": "2026-03-01"})) == ["a"]
    both = {"action": "generated", "actor": team.admin.pk, "since": "2026-03-01"}
    assert shown(client.get(URL, both)) == ["c"]


def test_days_are_the_workspaces(team):
    Workspace.objects.filter(pk=team.workspace.pk).update(time_zone="Pacific/Auckland")
    utc = ZoneInfo("UTC")
    for detail, moment in (  # Auckland is 13 hours ahead in March
        ("morning", datetime(2026, 3, 1, 5, tzinfo=utc)),  # 18:00 on 1 March there
        ("evening", datetime(2026, 3, 1, 20, tzinfo=utc)),  # 09:00 on 2 March there
    ):
        AuditEntry.objects.create(
            workspace=team.workspace, action=Action.INVITED, detail=detail, at=moment
        )
    client = team.client(team.admin)
    assert shown(client.get(URL, {"since": "2026-03-02", "until": "2026-03-02"})) == ["evening"]
    assert shown(client.get(URL, {"until": "2026-03-01"})) == ["morning"]


def test_a_wrong_filter_is_told_in_words(team):
    client = team.client(team.admin)
    cases = [
        ({"action": "hacked"}, "Select a valid choice"),
        ({"actor": "999999999"}, "Select a valid choice"),
        ({"actor": "ann"}, "Select a valid choice"),
        ({"since": "someday"}, "Write a day like 2 Dec 2026 (or today, yesterday)."),
        # The end of the calendar: no day after it to end the filter at (it was a 500).
        ({"until": "9999-12-31"}, "Pick a day between 2 Jan 0001 and 30 Dec 9999."),
        ({"since": "0001-01-01"}, "Pick a day between 2 Jan 0001 and 30 Dec 9999."),
        ({"since": "2026-03-05", "until": "2026-03-01"}, "The last day comes before the first"),
        ({"before": "-3"}, "start from the newest"),
        ({"before": "x"}, "start from the newest"),
    ]
    for query, words in cases:
        response = client.get(URL, query)
        assert response.status_code == 422, query
        assert words in response.content.decode(), query
        assert 'role="alert"' in response.content.decode()


def test_days_are_written_and_read_as_every_page_writes_them(team):
    log.record(team.admin, team.workspace, Action.INVITED, detail="in March")
    client = team.client(team.admin)
    response = client.get(URL, {"since": "1 Mar 2026", "until": "mar 2 2026"})
    assert response.status_code == 200
    page = response.content.decode()
    assert 'value="1 Mar 2026"' in page and 'value="2 Mar 2026"' in page
    assert 'type="date"' not in page  # the browser's locale format (mm/dd/yyyy) is not ours


def test_a_former_member_can_still_be_picked(team):
    log.record(team.viewer, team.workspace, Action.SHARED, detail="theirs")
    team.membership(team.viewer).delete()
    client = team.client(team.admin)
    assert "vic (not a member now)" in client.get(URL).content.decode()
    assert shown(client.get(URL, {"actor": team.viewer.pk})) == ["theirs"]


def test_it_pages_newest_first_without_counting(team, monkeypatch):
    monkeypatch.setattr(forms, "PAGE_SIZE", 3)
    moment = datetime(2026, 3, 1, 12, tzinfo=ZoneInfo("UTC"))
    for n in range(8):  # two at each moment: the id breaks the tie
        AuditEntry.objects.create(
            workspace=team.workspace,
            action=Action.GENERATED,
            detail=str(n),
            at=moment + timedelta(minutes=n // 2),
        )
    client = team.client(team.admin)
    seen: list[str] = []
    query: dict = {"action": "generated"}
    for _ in range(5):
        response = client.get(URL, query)
        seen += shown(response)
        older = response.context["older"]
        if older is None:
            break
        assert f"before={older.pk}" in response.content.decode()
        query = {"action": "generated", "before": older.pk}
    assert seen == ["7", "6", "5", "4", "3", "2", "1", "0"]
    assert "COUNT(" not in str(AuditEntry.objects.all().query)


def test_the_page_takes_a_fixed_number_of_queries(team, django_assert_max_num_queries):
    for n in range(60):
        log.record(team.admin, team.workspace, Action.INVITED, detail=str(n))
    client = team.client(team.admin)
    with django_assert_max_num_queries(12):
        response = client.get(URL, {"action": "invited"})
    assert len(shown(response)) == forms.PAGE_SIZE
