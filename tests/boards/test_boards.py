"""Boards: making one (also from the gallery's filter), its order, its cover, putting clips on and
off it from a card, the clip page and a selection, and what each role may do."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ltxdash.boards.models import Board, BoardItem
from ltxdash.workspaces.models import Membership, Role
from tests.factories import make_clip, make_user, workspace_of

pytestmark = pytest.mark.django_db


def _order(html: str) -> list[int]:
    return [int(pk) for pk in re.findall(r'<li class="clip-card" id="clip-(\d+)"', html)]


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


@pytest.fixture
def team():
    maker = make_user("maya")
    workspace = workspace_of(maker)
    viewer = make_user("vic")
    Membership.objects.create(workspace=workspace, user=viewer, role=Role.VIEWER)
    from ltxdash.workspaces import current

    current.choose(viewer, workspace)
    clips = [make_clip(maker, prompt=f"Take {n}: a lighthouse at dusk") for n in range(3)]
    return maker, viewer, clips


def test_a_board_is_made_filled_ordered_and_given_a_cover(client, team):
    maker, _, (a, b, c) = team
    client.force_login(maker)
    response = client.post("/boards/new", {"name": "  Opening   shot ", "description": "For Jo"})
    board = Board.objects.get()
    assert response["Location"] == f"/boards/{board.pk}/"
    assert board.name == "Opening shot" and board.created_by == maker

    # From the pick page (a card's "+ Board", the clip page, a selection): in the order given.
    page = client.get("/boards/pick", {"ids": [a.pk, b.pk, c.pk]})
    assert page.status_code == 200 and "Add 3 clips to a board" in page.content.decode()
    client.post("/boards/pick", {"ids": [a.pk, b.pk, c.pk], "board": board.pk})
    assert _order(client.get(f"/boards/{board.pk}/").content.decode()) == [a.pk, b.pk, c.pk]

    client.post(f"/boards/{board.pk}/move", {"clip": c.pk, "step": "-1"})
    assert _order(client.get(f"/boards/{board.pk}/").content.decode()) == [a.pk, c.pk, b.pk]
    client.post(f"/boards/{board.pk}/move", {"clip": a.pk, "to": "3"})
    assert _order(client.get(f"/boards/{board.pk}/").content.decode()) == [c.pk, b.pk, a.pk]
    client.post(f"/boards/{board.pk}/move", {"clip": c.pk, "step": "-1"})  # already first
    assert list(board.items.values_list("position", flat=True)) == [1, 2, 3]

    assert board.cover_clip() == c  # the first clip until one is chosen
    client.post(f"/boards/{board.pk}/cover", {"clip": b.pk})
    board.refresh_from_db()
    assert board.cover_clip() == b
    # Adding a clip twice keeps it once, where it was.
    response = client.post(f"/boards/{board.pk}/add", {"ids": [b.pk]}, follow=True)
    assert "0 clips added (1 already on the board)." in _messages(response)
    assert board.items.count() == 3

    client.post(f"/boards/{board.pk}/remove", {"ids": [b.pk]})
    assert _order(client.get(f"/boards/{board.pk}/").content.decode()) == [c.pk, a.pk]
    assert board.cover_clip() == c  # the chosen cover left: the first clip again


def test_a_board_of_the_gallerys_filter_holds_exactly_what_it_matches(client, team):
    maker, _, clips = team
    fox = make_clip(maker, prompt="A red fox in the snow")
    client.force_login(maker)
    client.post("/boards/new", {"name": "Foxes", "from_filter": "1", "q": "fox"})
    board = Board.objects.get()
    assert list(board.items.values_list("generation_id", flat=True)) == [fox.pk]
    client.post("/boards/new", {"name": "Everything", "from_filter": "1"})
    everything = Board.objects.get(name="Everything")
    assert everything.items.count() == len(clips) + 1


def test_the_board_page_filters_like_the_gallery(client, team):
    maker, _, (a, b, _) = team
    fox = make_clip(maker, prompt="A red fox in the snow")
    board = Board.objects.create(workspace=a.workspace, name="Mixed", created_by=maker)
    board.add([a, fox, b], maker)
    client.force_login(maker)
    assert _order(client.get(f"/boards/{board.pk}/", {"q": "fox"}).content.decode()) == [fox.pk]
    assert _order(client.get(f"/boards/{board.pk}/").content.decode()) == [a.pk, fox.pk, b.pk]


def test_a_deleted_clip_leaves_every_board(client, team):
    maker, _, (a, b, _) = team
    one = Board.objects.create(workspace=a.workspace, name="One", created_by=maker)
    two = Board.objects.create(workspace=a.workspace, name="Two", created_by=maker)
    one.add([a, b], maker)
    two.add([a], maker)
    client.force_login(maker)
    client.post(f"/gallery/{a.pk}/delete")
    assert list(BoardItem.objects.values_list("board__name", "generation_id")) == [("One", b.pk)]


def test_a_clip_of_another_workspace_is_refused_and_nothing_is_added(client, team):
    maker, _, (a, _, _) = team
    other = make_clip(make_user("otto"))
    board = Board.objects.create(workspace=a.workspace, name="Picks", created_by=maker)
    client.force_login(maker)
    response = client.post(f"/boards/{board.pk}/add", {"ids": [a.pk, other.pk]}, follow=True)
    assert (
        "1 of the 2 clips picked are not in this workspace (or no longer exist); nothing was changed."
        in _messages(response)
    )
    assert not board.items.exists()
    page = client.post("/boards/pick", {"ids": [a.pk, other.pk], "board": board.pk})
    assert page.status_code == 422 and not board.items.exists()


def test_a_viewer_sees_the_boards_and_changes_none(client, team):
    maker, viewer, (a, _, _) = team
    board = Board.objects.create(workspace=a.workspace, name="Picks", created_by=maker)
    board.add([a], maker)
    client.force_login(viewer)
    page = client.get(f"/boards/{board.pk}/").content.decode()
    assert _order(page) == [a.pk]
    assert "Take off" not in page and "Make cover" not in page and "Delete the board" not in page
    assert "+ Board" not in client.get("/gallery/").content.decode()
    assert client.post(f"/boards/{board.pk}/remove", {"ids": [a.pk]}).status_code == 403
    assert client.get("/boards/pick", {"ids": [a.pk]}).status_code == 403
    assert board.items.count() == 1


def test_a_creator_changes_a_colleagues_board_but_does_not_delete_it(client, team):
    maker, _, (a, b, _) = team
    colleague = make_user("cai")
    Membership.objects.create(workspace=a.workspace, user=colleague, role=Role.CREATOR)
    from ltxdash.workspaces import current

    current.choose(colleague, a.workspace)
    board = Board.objects.create(workspace=a.workspace, name="Picks", created_by=maker)
    client.force_login(colleague)
    client.post(f"/boards/{board.pk}/add", {"ids": [a.pk, b.pk]})
    assert board.items.count() == 2
    assert client.post(f"/boards/{board.pk}/delete").status_code == 403
    assert Board.objects.filter(pk=board.pk).exists()


def test_deleting_a_board_keeps_its_clips(client, team):
    maker, _, (a, _, _) = team
    board = Board.objects.create(workspace=a.workspace, name="Picks", created_by=maker)
    board.add([a], maker)
    client.force_login(maker)
    response = client.post(f"/boards/{board.pk}/delete", follow=True)
    assert "Board “Picks” deleted; its clips are still in the gallery." in _messages(response)
    assert not Board.objects.exists() and a.__class__.objects.filter(pk=a.pk).exists()


def test_the_clip_page_names_the_boards_it_is_on(client, team):
    maker, _, (a, _, _) = team
    board = Board.objects.create(workspace=a.workspace, name="Opening shot", created_by=maker)
    board.add([a], maker)
    client.force_login(maker)
    page = client.get(f"/gallery/{a.pk}/").content.decode()
    assert f'href="/boards/{board.pk}/">Opening shot</a>' in page
    assert f"/boards/pick?ids={a.pk}" in page


def test_the_board_page_runs_the_same_queries_for_3_and_40_clips(client, team):
    maker, _, clips = team
    board = Board.objects.create(workspace=clips[0].workspace, name="Picks", created_by=maker)
    board.add(clips, maker)
    client.force_login(maker)
    client.get(f"/boards/{board.pk}/")
    with CaptureQueriesContext(connection) as few:
        client.get(f"/boards/{board.pk}/")
    board.add([make_clip(maker) for _ in range(37)], maker)
    with CaptureQueriesContext(connection) as many:
        assert len(_order(client.get(f"/boards/{board.pk}/").content.decode())) == 40
    assert len(many) == len(few)
