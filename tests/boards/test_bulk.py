"""Actions on many clips at once: each clip is checked for the action, and a selection that holds
one the member may not touch is refused whole, with the count, changing nothing."""

from __future__ import annotations

import pytest
from django.core.files.storage import default_storage

from ltxdash.boards.models import Board
from ltxdash.generations.models import Generation
from ltxdash.workspaces import current
from ltxdash.workspaces.models import Membership, Role
from tests.factories import make_clip, make_user, workspace_of

pytestmark = pytest.mark.django_db


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


@pytest.fixture
def team():
    maker = make_user("maya")
    workspace = workspace_of(maker)
    colleague = make_user("cai")
    Membership.objects.create(workspace=workspace, user=colleague, role=Role.CREATOR)
    current.choose(colleague, workspace)
    mine = [make_clip(maker, prompt=f"Harbour take {n}") for n in range(3)]
    theirs = make_clip(colleague, prompt="A red fox")
    return maker, colleague, mine, theirs


def test_a_selection_is_favourited_and_taken_out_again(client, team):
    maker, _, mine, _ = team
    client.force_login(maker)
    ids = [mine[0].pk, mine[2].pk]
    response = client.post(
        "/gallery/selection", {"action": "favourite", "ids": ids, "next": "/gallery/?q=harbour"}
    )
    assert response["Location"] == "/gallery/?q=harbour"
    assert set(Generation.objects.filter(favourite=True).values_list("pk", flat=True)) == set(ids)
    response = client.post("/gallery/selection", {"action": "unfavourite", "ids": ids}, follow=True)
    assert "2 clips taken out of your favourites." in _messages(response)
    assert not Generation.objects.filter(favourite=True).exists()


def test_a_selection_with_a_colleagues_clip_is_refused_whole(client, team):
    _, colleague, mine, theirs = team
    client.force_login(colleague)  # a creator: may change their own clip, not maya's
    response = client.post(
        "/gallery/selection", {"action": "delete", "ids": [theirs.pk, mine[0].pk]}, follow=True
    )
    assert (
        "You may not delete 1 of the 2 clips picked (only their maker or a workspace admin may); "
        "nothing was changed." in _messages(response)
    )
    response = client.post(
        "/gallery/selection",
        {"action": "delete", "ids": [theirs.pk, mine[0].pk], "confirmed": "1"},
        follow=True,
    )
    assert Generation.objects.count() == 4  # nothing deleted, not even their own clip
    response = client.post(
        "/gallery/selection", {"action": "favourite", "ids": [theirs.pk, mine[1].pk]}, follow=True
    )
    assert not Generation.objects.filter(favourite=True).exists()


def test_a_selection_with_another_workspaces_clip_is_refused_whole(client, team):
    maker, _, mine, _ = team
    stranger = make_clip(make_user("otto"))
    client.force_login(maker)
    response = client.post(
        "/gallery/selection", {"action": "favourite", "ids": [mine[0].pk, stranger.pk]}, follow=True
    )
    assert (
        "1 of the 2 clips picked are not in this workspace (or no longer exist); nothing was changed."
        in _messages(response)
    )
    assert not Generation.objects.filter(favourite=True).exists()


def test_deleting_a_selection_asks_first_with_the_count_and_then_removes_the_files(
    client, team, django_capture_on_commit_callbacks
):
    maker, _, mine, _ = team
    board = Board.objects.create(workspace=mine[0].workspace, name="Picks", created_by=maker)
    board.add(mine, maker)
    files = [mine[0].video.file.name, mine[0].video.poster.name, mine[1].video.file.name]
    assert all(default_storage.exists(name) for name in files)
    client.force_login(maker)
    ids = [mine[0].pk, mine[1].pk]
    ask = client.post("/gallery/selection", {"action": "delete", "ids": ids})
    assert ask.status_code == 200
    assert "Delete 2 clips?" in ask.content.decode()
    assert Generation.objects.count() == 4  # asking deleted nothing
    with django_capture_on_commit_callbacks(execute=True):  # the files go once the rows have
        response = client.post(
            "/gallery/selection", {"action": "delete", "ids": ids, "confirmed": "1"}, follow=True
        )
    assert "2 clips and their files were deleted." in _messages(response)
    assert not Generation.objects.filter(pk__in=ids).exists()
    assert not any(default_storage.exists(name) for name in files)
    assert list(board.items.values_list("generation_id", flat=True)) == [mine[2].pk]


def test_everything_matching_the_filter_is_what_the_filter_matches(client, team):
    maker, _, mine, theirs = team
    client.force_login(maker)
    client.post("/gallery/selection", {"action": "favourite", "all": "1", "q": "harbour"})
    assert set(Generation.objects.filter(favourite=True).values_list("pk", flat=True)) == {
        g.pk for g in mine
    }
    assert not Generation.objects.get(pk=theirs.pk).favourite
    # The select bar asks how many that is when it is ticked (the page itself never counts).
    assert client.get("/gallery/selection/count", {"q": "harbour"}).json() == {
        "count": 3,
        "more": False,
    }


def test_everything_matching_is_added_to_a_board_through_the_pick_page(client, team):
    maker, _, mine, _ = team
    board = Board.objects.create(workspace=mine[0].workspace, name="Picks", created_by=maker)
    client.force_login(maker)
    choose = client.post("/boards/pick", {"choose": "1", "all": "1", "q": "harbour"})
    assert choose.status_code == 200 and "Add 3 clips to a board" in choose.content.decode()
    client.post("/boards/pick", {"all": "1", "q": "harbour", "board": board.pk})
    assert board.items.count() == 3


def test_a_viewer_has_no_bulk_actions(client, team):
    _, _, mine, _ = team
    viewer = make_user("vic")
    Membership.objects.create(workspace=mine[0].workspace, user=viewer, role=Role.VIEWER)
    current.choose(viewer, mine[0].workspace)
    client.force_login(viewer)
    page = client.get("/gallery/").content.decode()
    assert 'value="delete"' not in page and 'value="favourite"' not in page
    response = client.post("/gallery/selection", {"action": "favourite", "ids": [mine[0].pk]})
    assert response.status_code == 403
    assert not Generation.objects.filter(favourite=True).exists()


def test_a_links_query_string_never_joins_the_forms_that_act(client, team):
    maker, _, _, _ = team
    client.force_login(maker)
    page = client.get(
        "/gallery/", {"q": "harbour", "all": "1", "confirmed": "1", "next": "https://evil.example"}
    ).content.decode()
    assert '<input type="hidden" name="q" value="harbour">' in page
    assert 'name="confirmed"' not in page
    assert '<input type="hidden" name="all"' not in page
    # It returns to this page with its filters, whatever else the link carried.
    assert '<input type="hidden" name="next" value="/gallery/?q=harbour">' in page
