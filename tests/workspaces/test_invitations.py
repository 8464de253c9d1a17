"""Invitations and the members page: made by an admin, single use, only a hash stored; joined
by a new account or an existing one; expired, revoked, used and tampered links are one 404.
Admins change roles and remove members; a workspace keeps one admin."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from ltxdash.workspaces import current
from ltxdash.workspaces.models import Invitation, Membership, Role, Workspace, hash_invite
from tests.factories import make_clip, make_user

pytestmark = pytest.mark.django_db
PASSWORD = "correct-horse-battery-7"


@pytest.fixture
def studio(db):
    workspace = Workspace.objects.create(name="Studio", slug="studio")
    ana = make_user("ana", password=PASSWORD)
    Membership.objects.create(workspace=workspace, user=ana, role=Role.ADMIN)
    current.choose(ana, workspace)
    return {"workspace": workspace, "ana": ana}


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def make_link(client, role: str = "creator", days: str = "7") -> str:
    response = client.post(reverse("workspaces:invite"), {"role": role, "days": days})
    assert response.status_code == 200
    return (
        re.search(
            r'id="new-invite-url" aria-label="New invite link"|value="(http[^"]+/invite/[^"]+)"',
            response.content.decode(),
        ).group(1)
        or ""
    )


def token_of(url: str) -> str:
    return url.rsplit("/invite/", 1)[1]


def test_an_admin_makes_a_link_shown_once_with_only_its_hash_stored(studio):
    ana = logged_in(studio["ana"])
    url = make_link(ana, role="viewer", days="1")
    token = token_of(url)
    invitation = Invitation.objects.get()
    assert invitation.token_hash == hash_invite(token) and token not in invitation.token_hash
    assert invitation.role == Role.VIEWER
    assert timedelta(hours=23) < invitation.expires_at - timezone.now() <= timedelta(days=1)
    page = ana.get(reverse("workspaces:members")).content.decode()
    assert token not in page and "open until" in page


def test_a_new_account_joins_through_the_link(studio):
    token = token_of(make_link(logged_in(studio["ana"]), role="creator"))
    guest = Client()
    page = guest.get(reverse("join", args=[token]))
    assert page.status_code == 200 and "Join Studio" in page.content.decode()
    weak = guest.post(
        reverse("join", args=[token]), {"username": "bea", "password1": "1234", "password2": "1234"}
    )
    assert weak.status_code == 422 and "too short" in weak.content.decode()  # Django's validators
    assert not Membership.objects.filter(user__username="bea").exists()
    joined = guest.post(
        reverse("join", args=[token]),
        {"username": "bea", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert joined.status_code == 302 and joined["Location"] == "/"
    bea = Membership.objects.get(user__username="bea", workspace=studio["workspace"])
    assert bea.role == Role.CREATOR
    home = guest.get("/").content.decode()
    assert "Welcome to Studio: you are creator here." in home and "Studio</summary>" in home
    # Single use: the next person gets the same 404 as for a link that never existed.
    assert Client().get(reverse("join", args=[token])).status_code == 404


def test_an_existing_account_joins_and_sees_the_teams_clips(studio):
    clip = make_clip(studio["ana"])
    token = token_of(make_link(logged_in(studio["ana"]), role="viewer"))
    cem = make_user("cem", password=PASSWORD)
    client = logged_in(cem)
    assert client.get(reverse("gallery:clip", args=[clip.pk])).status_code == 404
    assert client.post(reverse("join", args=[token])).status_code == 302
    assert Membership.objects.get(user=cem, workspace=studio["workspace"]).role == Role.VIEWER
    assert client.get(reverse("gallery:clip", args=[clip.pk])).status_code == 200


def test_logged_out_with_an_account_logs_in_and_comes_back_to_join(studio):
    token = token_of(make_link(logged_in(studio["ana"])))
    make_user("cem", password=PASSWORD)
    guest = Client()
    page = guest.get(reverse("join", args=[token])).content.decode()
    login_url = re.search(r'href="(/accounts/login/\?next=[^"]+)"', page).group(1)
    response = guest.post(
        login_url, {"username": "cem", "password": PASSWORD, "next": f"/invite/{token}"}
    )
    assert response["Location"] == f"/invite/{token}"
    assert "Join as cem" in guest.get(response["Location"]).content.decode()


@pytest.mark.parametrize("spoil", ["expired", "revoked", "used", "tampered", "unknown"])
def test_a_link_that_cannot_be_used_is_one_plain_404(studio, spoil):
    invitation, token = Invitation.create(studio["workspace"], Role.CREATOR, studio["ana"])
    if spoil == "expired":
        Invitation.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    elif spoil == "revoked":
        assert (
            logged_in(studio["ana"])
            .post(reverse("workspaces:revoke_invitation", args=[invitation.pk]))
            .status_code
            == 302
        )
    elif spoil == "used":
        invitation.accept(make_user("first"))
    elif spoil == "tampered":
        token = token[:-1] + ("A" if token[-1] != "A" else "B")
    else:
        token = "x" * 43
    guest = Client()
    assert guest.get(reverse("join", args=[token])).status_code == 404
    assert (
        guest.post(
            reverse("join", args=[token]),
            {"username": "eve", "password1": PASSWORD, "password2": PASSWORD},
        ).status_code
        == 404
    )
    assert not Membership.objects.filter(user__username="eve").exists()


def test_two_accepts_at_once_let_one_in(studio):
    invitation, _ = Invitation.create(studio["workspace"], Role.CREATOR, studio["ana"])
    stale = Invitation.objects.get(pk=invitation.pk)
    assert invitation.accept(make_user("one")) is not None
    assert stale.accept(make_user("two")) is None  # the copy read before the first accept
    assert Membership.objects.filter(workspace=studio["workspace"]).count() == 2


def test_an_admin_changes_roles_and_removes_members_but_keeps_an_admin(studio):
    cem = make_user("cem")
    member = Membership.objects.create(workspace=studio["workspace"], user=cem, role=Role.CREATOR)
    current.choose(cem, studio["workspace"])
    clip = make_clip(cem)
    ana = logged_in(studio["ana"])
    ana.post(reverse("workspaces:change_role", args=[member.pk]), {"role": "viewer"})
    assert Membership.objects.get(pk=member.pk).role == Role.VIEWER
    mine = Membership.objects.get(user=studio["ana"])
    refused = ana.post(
        reverse("workspaces:change_role", args=[mine.pk]), {"role": "creator"}, follow=True
    )
    assert "keeps at least one admin" in refused.content.decode()
    assert Membership.objects.get(pk=mine.pk).role == Role.ADMIN
    ana.post(reverse("workspaces:remove_member", args=[member.pk]))
    assert not Membership.objects.filter(pk=member.pk).exists()
    assert logged_in(cem).get(reverse("gallery:clip", args=[clip.pk])).status_code == 404
    assert clip.pk in [c.pk for c in clip.workspace.generations.all()]  # the clip stays


def test_the_members_page_lists_roles_and_joining_days_and_hides_management(studio):
    vik = make_user("vik")
    Membership.objects.create(workspace=studio["workspace"], user=vik, role=Role.VIEWER)
    current.choose(vik, studio["workspace"])
    page = logged_in(vik).get(reverse("workspaces:members")).content.decode()
    assert "ana" in page and "Viewer" in page and "Admin" in page
    assert "Create invite link" not in page and "Remove" not in page
    assert "Only an admin of Studio can invite people" in page
