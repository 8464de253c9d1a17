"""A team in one workspace: the team gallery and its "made by" filter, the member's own cards,
the viewer's home, choosing a workspace, personal workspaces, and removing a member."""

from __future__ import annotations

import importlib
import re
from html import escape

import pytest
from django.apps import apps
from django.test import Client
from django.urls import reverse

from ltxdash.generations.models import Generation
from ltxdash.workspaces import current
from ltxdash.workspaces.models import Membership, Role, Workspace
from tests.factories import make_clip, make_generation, make_user
from tests.support.pages import HTMX

pytestmark = pytest.mark.django_db


@pytest.fixture
def team(db):
    studio = Workspace.objects.create(name="Studio", slug="studio")
    people = {}
    for name, role in (("ana", Role.ADMIN), ("cem", Role.CREATOR), ("vik", Role.VIEWER)):
        people[name] = make_user(name)
        Membership.objects.create(workspace=studio, user=people[name], role=role)
        current.choose(people[name], studio)
    people["studio"] = studio
    return people


def client_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def ids(response) -> list[int]:
    return [
        int(pk)
        for pk in re.findall(
            r'class="clip-thumb" href="/gallery/(\d+)/"', response.content.decode()
        )
    ]


def test_every_member_sees_the_teams_clips_and_who_made_them(team):
    by_ana = make_clip(team["ana"], prompt="A harbour at dawn")
    by_cem = make_clip(team["cem"], prompt="A kite over dunes")
    outsider = make_user("olga")
    theirs = make_clip(outsider)

    for name in ("ana", "cem", "vik"):
        response = client_of(team[name]).get(reverse("gallery:index"))
        assert sorted(ids(response)) == sorted([by_ana.pk, by_cem.pk]), name
    html = client_of(team["cem"]).get(reverse("gallery:index")).content.decode()
    assert '<span class="muted clip-maker">ana</span>' in html
    assert '<span class="muted clip-maker">you</span>' in html
    assert ids(client_of(outsider).get(reverse("gallery:index"))) == [theirs.pk]


def test_made_by_filters_mine_and_each_member(team):
    by_ana = make_clip(team["ana"])
    by_cem = make_clip(team["cem"])
    cem = client_of(team["cem"])
    assert ids(cem.get(reverse("gallery:index"), {"made_by": "mine"})) == [by_cem.pk]
    assert ids(cem.get(reverse("gallery:index"), {"made_by": team["ana"].pk})) == [by_ana.pk]
    html = cem.get(reverse("gallery:index")).content.decode()
    options = re.findall(
        r'<option value="([^"]*)"[^>]*>([^<]+)</option>',
        html.split('name="made_by"')[1].split("</select>")[0],
    )
    assert options == [
        ("", "Anyone"),
        ("mine", "Mine"),
        (str(team["ana"].pk), "ana"),
        (str(team["vik"].pk), "vik"),
    ]
    # Someone outside the workspace is not a choice: the filter is reported and left out.
    stranger = make_user("olga")
    response = cem.get(reverse("gallery:index"), {"made_by": stranger.pk})
    assert sorted(ids(response)) == sorted([by_ana.pk, by_cem.pk])
    assert "Select a valid choice" in response.content.decode()


def test_the_create_page_shows_the_members_own_takes(team):
    mine = make_generation(team["cem"])
    make_generation(team["ana"])
    html = client_of(team["cem"]).get("/").content.decode()
    assert re.findall(r'<article id="gen-(\d+)"', html) == [str(mine.pk)]


def test_a_viewer_watches_but_makes_nothing(team):
    clip = make_clip(team["cem"])
    viewer = client_of(team["vik"])
    home = viewer.get("/").content.decode()
    assert "You are a viewer in Studio" in home and "Generate" not in home
    gallery = viewer.get(reverse("gallery:index")).content.decode()
    assert "New clip" not in gallery
    assert viewer.get(reverse("gallery:clip", args=[clip.pk])).status_code == 200
    refused = viewer.post("/", {"mode": "text-to-video", "prompt": "x"}, headers=HTMX)
    assert refused.status_code == 403
    assert (
        refused["X-Ltxdash-Message"]
        == "Viewers can watch, download and search clips, not make them."
    )
    assert "Viewers can watch" in refused.content.decode()
    delete = viewer.post(reverse("gallery:delete", args=[clip.pk]), headers=HTMX)
    assert delete.status_code == 403 and Generation.objects.filter(pk=clip.pk).exists()


def test_an_admin_may_delete_any_clip_a_creator_only_their_own(team):
    by_ana = make_clip(team["ana"])
    by_cem = make_clip(team["cem"])
    cem = client_of(team["cem"])
    assert cem.post(reverse("gallery:delete", args=[by_ana.pk]), headers=HTMX).status_code == 403
    assert cem.post(reverse("gallery:delete", args=[by_cem.pk]), headers=HTMX).status_code == 200
    assert (
        client_of(team["ana"])
        .post(reverse("gallery:delete", args=[by_ana.pk]), headers=HTMX)
        .status_code
        == 200
    )
    assert not Generation.objects.filter(pk__in=[by_ana.pk, by_cem.pk]).exists()


def test_the_chosen_workspace_holds_in_a_new_session_and_the_header_says_it(team):
    cem = team["cem"]
    own = current.personal_workspace(cem).workspace  # cem also has a workspace of their own
    current.choose(cem, team["studio"])
    first = client_of(cem)
    response = first.post(reverse("workspaces:switch", args=[own.slug]))
    assert response.status_code == 302
    later = client_of(cem)  # another browser, logged in later
    html = later.get(reverse("gallery:index")).content.decode()
    assert f"{escape(own.name)}</summary>" in html
    assert "Switch to Studio" in html
    assert later.post(reverse("workspaces:switch", args=["studio"])).status_code == 302
    assert "Studio</summary>" in first.get("/").content.decode()  # every tab follows


def test_a_user_in_no_workspace_gets_a_personal_one_at_login(db):
    user = make_user("newbie", password="a-long-pass-phrase-1")
    Membership.objects.filter(user=user).delete()
    response = Client().post(
        reverse("login"), {"username": "newbie", "password": "a-long-pass-phrase-1"}
    )
    assert response.status_code == 302
    membership = Membership.objects.get(user=user)
    assert membership.role == Role.ADMIN and membership.workspace.name == "newbie's workspace"


def test_a_removed_member_loses_access_at_once_and_their_clips_stay(team):
    clip = make_clip(team["cem"])
    cem = client_of(team["cem"])
    assert cem.get(reverse("gallery:clip", args=[clip.pk])).status_code == 200
    Membership.objects.filter(user=team["cem"], workspace=team["studio"]).delete()
    assert cem.get(reverse("gallery:clip", args=[clip.pk])).status_code == 404
    assert ids(client_of(team["ana"]).get(reverse("gallery:index"))) == [clip.pk]


def test_the_data_migration_gives_everyone_a_workspace_with_their_clips(db):
    alice, bob = make_user("alice"), make_user("bob")
    a, b = make_clip(alice), make_clip(bob)
    Membership.objects.all().delete()
    Workspace.objects.exclude(generations__isnull=False).delete()
    migration = importlib.import_module("ltxdash.workspaces.migrations.0002_personal_workspaces")
    migration.personal_workspaces(apps, None)
    for user, clip in ((alice, a), (bob, b)):
        membership = Membership.objects.get(user=user)
        assert membership.role == Role.ADMIN
        assert Generation.objects.get(pk=clip.pk).workspace_id is not None
