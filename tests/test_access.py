"""Every URL, for everyone who may ask: each role of a workspace, a member of another
workspace, and an anonymous visitor.

The table below lists each URL of the product with what each of them gets. A URL missing from
the table fails ``test_every_url_is_in_the_table``, so a new view cannot ship without saying who
may reach it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from ltxdash.audit.models import AuditEntry
from ltxdash.boards.models import Board, BoardItem, BoardLink
from ltxdash.gallery.models import ShareLink
from ltxdash.generations.models import Generation, State
from ltxdash.spend.models import Approval, Budget, MemberCap
from ltxdash.workspaces import current
from ltxdash.workspaces.models import ApiKey, Invitation, Membership, Role, Workspace
from tests.factories import make_clip, make_generation, make_user
from tests.support.media import presigned

HTMX = {"HX-Request": "true"}
LOGIN = "login"  # a redirect to the login page


@dataclass(frozen=True)
class Row:
    name: str  # URL name, namespaced
    method: str
    args: str  # which object the URL names: "", "clip", "queued", "video", "link", "token", "team"
    maker: int  # the creator who made the clip
    admin: int  # an admin of the workspace
    teammate: int  # another creator of the workspace
    viewer: int
    outsider: int  # a member of another workspace only
    anonymous: int | str
    data: dict[str, Any] | None = None


# Seeing a clip is for every member; changing it is for its maker and the admins (403 for the
# others, who can see it); an outsider learns nothing (404).
TABLE = [
    # 503 while no worker is alive (as in these tests): public either way.
    Row("healthz", "get", "", 503, 503, 503, 503, 503, 503),
    Row("generations:create", "get", "", 200, 200, 200, 200, 200, LOGIN),
    # An empty form: the makers reach it (and are told what is missing), a viewer does not.
    Row("generations:create", "post", "", 422, 422, 422, 403, 422, LOGIN),
    Row("generations:refresh", "get", "", 200, 200, 200, 200, 200, LOGIN),
    Row("generations:card", "get", "clip", 200, 200, 200, 200, 404, LOGIN),
    Row("generations:cancel", "post", "queued", 200, 200, 403, 403, 404, LOGIN),
    Row("generations:retry", "post", "failed", 200, 200, 403, 403, 404, LOGIN),
    Row("gallery:index", "get", "", 200, 200, 200, 200, 200, LOGIN),
    Row("gallery:clip", "get", "clip", 200, 200, 200, 200, 404, LOGIN),
    Row("gallery:favourite", "post", "clip", 200, 200, 403, 403, 404, LOGIN, {"favourite": "1"}),
    Row("gallery:rename", "post", "clip", 200, 200, 403, 403, 404, LOGIN, {"title": "Harbour"}),
    Row("gallery:delete", "get", "clip", 200, 200, 403, 403, 404, LOGIN),
    Row("gallery:delete", "post", "clip", 200, 200, 403, 403, 404, LOGIN),
    Row("gallery:share_create", "post", "clip", 200, 200, 403, 403, 404, LOGIN, {"expires": "7"}),
    Row("gallery:share_revoke", "post", "link", 200, 200, 403, 403, 404, LOGIN),
    Row("gallery:file", "get", "video", 200, 200, 200, 200, 404, LOGIN),
    Row("gallery:poster", "get", "video", 200, 200, 200, 200, 404, LOGIN),
    Row("gallery:download", "get", "video", 200, 200, 200, 200, 404, LOGIN),
    # Many clips at once: the makers (an empty selection is sent back with words); viewers
    # change nothing. Each clip is then checked for the action (tests/boards/test_bulk.py).
    Row("gallery:bulk", "post", "", 302, 302, 302, 403, 302, LOGIN, {"action": "favourite"}),
    Row("gallery:selection_count", "get", "", 200, 200, 200, 200, 200, LOGIN),
    # Boards: every member sees the workspace's; creators and admins make and change any of
    # them; deleting one is for its maker and the admins. The outsider's own workspace has its
    # own boards list and may make boards there.
    Row("boards:index", "get", "", 200, 200, 200, 200, 200, LOGIN),
    Row("boards:create", "post", "", 302, 302, 302, 403, 302, LOGIN, {"name": "Picks"}),
    # Nothing picked: the page says so (422); a viewer may not change boards at all.
    Row("boards:pick", "get", "", 422, 422, 422, 403, 422, LOGIN),
    Row("boards:pick", "post", "", 422, 422, 422, 403, 422, LOGIN, {"choose": "1"}),
    Row("boards:board", "get", "board", 200, 200, 200, 200, 404, LOGIN),
    Row("boards:edit", "post", "board", 302, 302, 302, 403, 404, LOGIN, {"name": "Renamed"}),
    Row("boards:add", "post", "board", 302, 302, 302, 403, 404, LOGIN),
    Row("boards:remove", "post", "board", 302, 302, 302, 403, 404, LOGIN),
    Row("boards:move", "post", "board", 302, 302, 302, 403, 404, LOGIN),
    Row("boards:cover", "post", "board", 302, 302, 302, 403, 404, LOGIN),
    Row("boards:delete", "post", "board", 302, 302, 403, 403, 404, LOGIN),
    # Many clips at once: what the member may see. The outsider's own workspace has no clips:
    # an empty CSV, and a ZIP of nothing is refused (422).
    Row("gallery:export_csv", "get", "", 200, 200, 200, 200, 200, LOGIN),
    Row("gallery:export_zip", "post", "", 200, 200, 200, 200, 422, LOGIN, {"all": "1"}),
    # Usage: every member reaches it; admins see the whole workspace's, the others their own
    # entries only (tests/spend/test_usage.py). The outsider sees their own workspace's.
    Row("spend:usage", "get", "", 200, 200, 200, 200, 200, LOGIN),
    Row("spend:usage_csv", "get", "", 200, 200, 200, 200, 200, LOGIN),
    # Switching to a workspace: its members only (the switch redirects to Create).
    Row("workspaces:switch", "post", "team", 302, 302, 302, 302, 404, LOGIN),
    # The workspace's people: every member sees the list (the outsider, their own workspace's);
    # only an admin manages, and another workspace's members and invitations are 404.
    Row("workspaces:members", "get", "", 200, 200, 200, 200, 200, LOGIN),
    Row(
        "workspaces:invite",
        "post",
        "",
        403,
        200,
        403,
        403,
        200,
        LOGIN,
        {"role": "creator", "days": "7"},
    ),
    Row(
        "workspaces:change_role",
        "post",
        "member",
        403,
        302,
        403,
        403,
        404,
        LOGIN,
        {"role": "viewer"},
    ),
    Row("workspaces:remove_member", "post", "member", 403, 302, 403, 403, 404, LOGIN),
    Row("workspaces:revoke_invitation", "post", "invitation", 403, 302, 403, 403, 404, LOGIN),
    # The workspace's own LTX key: its admins only. The page is always that of the workspace one
    # works in, so the outsider reaches their own (no key there: asked to enter one, 422).
    Row("workspaces:api_key", "get", "", 403, 200, 403, 403, 200, LOGIN),
    Row(
        "workspaces:api_key",
        "post",
        "",
        403,
        302,
        403,
        403,
        422,
        LOGIN,
        {"key": "", "max_concurrency": "3"},
    ),
    Row("workspaces:stop_api_key", "post", "", 403, 302, 403, 403, 302, LOGIN),
    # Money: the budget, members' caps and approvals are the admins'. The page is that of the
    # workspace one works in: the outsider reaches their own (they are its admin).
    Row("spend:budget", "get", "", 403, 200, 403, 403, 200, LOGIN),
    Row(
        "spend:budget",
        "post",
        "",
        403,
        302,
        403,
        403,
        302,
        LOGIN,
        {"monthly_limit": "50", "time_zone": "UTC"},
    ),
    Row("spend:member_cap", "post", "member", 403, 302, 403, 403, 404, LOGIN, {"monthly_cap": "5"}),
    Row("spend:approvals", "get", "", 403, 200, 403, 403, 200, LOGIN),
    Row("spend:approve", "post", "approval", 403, 302, 403, 403, 404, LOGIN),
    Row("spend:decline", "post", "approval", 403, 302, 403, 403, 404, LOGIN, {"note": "no"}),
    # The audit log: the admins' to read, nobody's to change. The page is that of the workspace
    # one works in: the outsider reads their own (they are its admin).
    Row("audit:log", "get", "", 403, 200, 403, 403, 200, LOGIN),
    # An invite link: the token is the permission (logged in: join; logged out: sign up).
    Row("join", "get", "invite", 200, 200, 200, 200, 200, 200),
    # Public: the token is the permission, for everyone alike.
    Row("share:page", "get", "token", 200, 200, 200, 200, 200, 200),
    Row("share:video", "get", "token", 200, 200, 200, 200, 200, 200),
    Row("share:poster", "get", "token", 200, 200, 200, 200, 200, 200),
    # A board's public links: made and revoked by the board's maker and the admins (MANAGE);
    # every member sees the board, so the others are refused (403), an outsider learns nothing.
    Row("boards:link_create", "post", "board", 200, 200, 403, 403, 404, LOGIN, {"expires": "7"}),
    Row("boards:link_revoke", "post", "board_link", 200, 200, 403, 403, 404, LOGIN),
    # Public: a board link's token is the permission, for everyone alike; its media go through
    # access.shared_board_output (a clip on the board now), downloads only if the link allows.
    Row("public_board:page", "get", "board_token", 200, 200, 200, 200, 200, 200),
    Row("public_board:file", "get", "board_video", 200, 200, 200, 200, 200, 200),
    Row("public_board:poster", "get", "board_video", 200, 200, 200, 200, 200, 200),
    Row("public_board:download", "get", "board_video", 200, 200, 200, 200, 200, 200),
    Row("public_board:download", "get", "board_video_no_downloads", 404, 404, 404, 404, 404, 404),
    Row("public_board:zip", "get", "board_token", 200, 200, 200, 200, 200, 200),
    Row("public_board:zip", "get", "board_token_no_downloads", 404, 404, 404, 404, 404, 404),
    Row("public_board:file", "get", "off_board_video", 404, 404, 404, 404, 404, 404),
]
WHO = ["maker", "admin", "teammate", "viewer", "outsider", "anonymous"]


# Django's own pages, which Django tests: the login, logout and password views and the admin.
DJANGOS = {
    "login",
    "logout",
    "password_change",
    "password_change_done",
    "password_reset",
    "password_reset_done",
    "password_reset_confirm",
    "password_reset_complete",
}


def _names(resolver: URLResolver, namespace: str | None = None) -> set[str]:
    """Every URL the project serves, by name; an unnamed one shows as its pattern."""
    names: set[str] = set()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace != "admin":
                names |= _names(pattern, pattern.namespace or namespace)
        elif isinstance(pattern, URLPattern):
            name = pattern.name or f"<unnamed {pattern.pattern}>"
            names.add(f"{namespace}:{name}" if namespace else name)
    return names


def test_every_url_is_in_the_table():
    assert _names(get_resolver()) - DJANGOS == {row.name for row in TABLE}


@pytest.fixture
def people(db) -> dict[str, Any]:
    """A team: its maker (a creator), an admin, another creator and a viewer; and an outsider
    who is in a workspace of their own only. Everyone works in the team's workspace."""
    team = Workspace.objects.create(name="Studio", slug="studio")
    people: dict[str, Any] = {"team": team}
    for who, role in (
        ("maker", Role.CREATOR),
        ("admin", Role.ADMIN),
        ("teammate", Role.CREATOR),
        ("viewer", Role.VIEWER),
    ):
        people[who] = make_user(who)
        Membership.objects.create(workspace=team, user=people[who], role=role)
        current.choose(people[who], team)
    people["outsider"] = make_user("outsider")
    return people


@pytest.fixture
def objects(people) -> dict[str, Any]:
    maker = people["maker"]
    clip = make_clip(maker)
    link, token = ShareLink.create_for(clip, None)
    invitation, invite_token = Invitation.create(people["team"], Role.VIEWER, people["admin"])
    ApiKey.store(people["team"], "sk-team-key-1234", people["admin"], max_concurrency=2)
    board = Board.objects.create(workspace=people["team"], name="Takes", created_by=maker)
    board.add([clip], by=maker)
    board_link, board_token = BoardLink.create_for(board, None, by=maker, allow_downloads=True)
    no_downloads = BoardLink.create_for(board, None, by=maker)[1]
    off_board = make_clip(maker)  # of the workspace, not on the board
    awaiting = make_generation(maker, State.AWAITING_APPROVAL)
    approval = Approval.objects.create(
        generation=awaiting, workspace=people["team"], reason="over the cap", amount=1
    )
    return {
        "clip": clip.pk,
        "queued": make_generation(maker, State.QUEUED).pk,
        "failed": make_generation(maker, State.FAILED).pk,
        "video": clip.video.pk,
        "link": link.pk,
        "token": token,
        "team": people["team"].slug,
        "member": Membership.objects.get(user=people["teammate"], workspace=people["team"]).pk,
        "invitation": invitation.pk,
        "invite": invite_token,
        "board": board.pk,
        "board_link": board_link.pk,
        "board_token": board_token,
        "board_video": (board_token, clip.video.pk),
        "board_video_no_downloads": (no_downloads, clip.video.pk),
        "board_token_no_downloads": no_downloads,
        "off_board_video": (board_token, off_board.video.pk),
        "awaiting": awaiting.pk,
        "approval": approval.pk,
    }


def _url(row: Row, objects: dict[str, Any]) -> str:
    """The row's URL: its object is one argument, or a tuple of them (a token and a file)."""
    if not row.args:
        return reverse(row.name)
    value = objects[row.args]
    return reverse(row.name, args=list(value) if isinstance(value, tuple) else [value])


def _client(people, who: str) -> Client:
    client = Client()
    if who != "anonymous":
        client.force_login(people[who])
    return client


@pytest.mark.parametrize("who", WHO)
@pytest.mark.parametrize("row", TABLE, ids=lambda row: f"{row.method}-{row.name}")
def test_each_url_answers_each_visitor_as_the_table_says(people, objects, row, who):
    expected = getattr(row, who)
    url = _url(row, objects)
    client = _client(people, who)
    headers = HTMX if row.method == "post" else {}
    response = getattr(client, row.method)(url, row.data or {}, headers=headers)
    if expected == 200 and presigned(response):  # media on S3: the bucket serves the file
        response = httpx.get(response["Location"], timeout=30)
    if expected == LOGIN:
        assert response.status_code == 302, url
        assert response["Location"].startswith("/accounts/login/?next="), url
    else:
        assert response.status_code == expected, (url, who)
    if expected == 403:
        assert response["X-Ltxdash-Message"]  # words for the member, beside the control


@pytest.mark.parametrize("who", ["teammate", "viewer", "outsider", "anonymous"])
def test_nothing_of_the_makers_changes_after_every_url(people, objects, who):
    """Refused requests leave everything as it was."""
    client = _client(people, who)
    for row in TABLE:
        url = _url(row, objects)
        getattr(client, row.method)(url, row.data or {}, headers=HTMX)
    clip = Generation.objects.get(pk=objects["clip"])
    assert not clip.favourite
    assert Generation.objects.get(pk=objects["queued"]).state == State.QUEUED
    assert Generation.objects.count() == 5  # no retry was queued, nothing was deleted
    assert Generation.objects.get(pk=objects["awaiting"]).state == State.AWAITING_APPROVAL
    assert not Budget.objects.filter(workspace=people["team"]).exists()
    assert not MemberCap.objects.exists()
    assert ShareLink.objects.get(pk=objects["link"]).revoked_at is None
    assert ShareLink.objects.count() == 1
    assert Board.objects.filter(pk=objects["board"]).exists()  # not deleted ...
    assert BoardItem.objects.filter(board_id=objects["board"]).count() == 1  # ... nor emptied
    assert not BoardLink.objects.filter(revoked_at__isnull=False).exists()
    assert BoardLink.objects.count() == 2  # no link was made
    key = ApiKey.in_use(people["team"])  # the team's key is neither stopped nor changed
    assert key is not None and key.max_concurrency == 2 and ApiKey.objects.count() == 1
    # Nothing they did was recorded in the team's log: the fixture's invitation and key only.
    recorded = AuditEntry.objects.filter(workspace=people["team"]).values_list("action", flat=True)
    assert sorted(recorded) == ["invited", "key_replaced"]
