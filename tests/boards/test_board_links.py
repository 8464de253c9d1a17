"""Making and revoking a board's public links: its maker and the admins only; the token is
shown once, in the answer to the POST that made it."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from ltxdash.boards.models import BoardLink
from ltxdash.gallery.models import hash_token
from tests.support.pages import HTMX


def board_token(html: str) -> str:
    match = re.search(r'value="https?://[^/"]+/b/([A-Za-z0-9_-]+)/"', html)
    assert match, "no board link on the page"
    return match.group(1)


def _create(client, board, **data):
    return client.post(reverse("boards:link_create", args=[board.pk]), {"expires": "7", **data})


@pytest.mark.parametrize("who", ["maker", "admin"])
def test_the_maker_and_admins_make_a_link_shown_once(as_who, board, who):
    client = as_who(who)
    response = _create(client, board)
    assert response.status_code == 200
    html = response.content.decode()
    token = board_token(html)
    assert "Copy this link now" in html
    link = BoardLink.objects.get()
    assert link.token_hash == hash_token(token)
    assert link.board == board and link.created_by.username == who
    assert not link.allow_downloads and not link.show_prompts  # both off unless ticked
    assert timedelta(days=6, hours=23) < link.expires_at - timezone.now() <= timedelta(days=7)
    # Redrawn afterwards (as the board page will), the list never holds the token again.
    again = _create(client, board, expires="never").content.decode()
    assert token not in again
    assert BoardLink.objects.filter(expires_at__isnull=True).count() == 1


def test_the_options_are_stored(as_who, board):
    _create(as_who("maker"), board, allow_downloads="on", show_prompts="on", expires="30")
    link = BoardLink.objects.get()
    assert link.allow_downloads and link.show_prompts
    assert timedelta(days=29) < link.expires_at - timezone.now() <= timedelta(days=30)


def test_an_unknown_expiry_makes_no_link(as_who, board):
    response = _create(as_who("maker"), board, expires="999")
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not BoardLink.objects.exists()


def test_htmx_gets_the_links_panel_only(as_who, board):
    response = as_who("maker").post(
        reverse("boards:link_create", args=[board.pk]), {"expires": "1"}, headers=HTMX
    )
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="board-links"')
    assert "<html" not in html
    board_token(html)


@pytest.mark.parametrize(("who", "status"), [("teammate", 403), ("viewer", 403), ("outsider", 404)])
def test_others_may_neither_make_nor_revoke(as_who, board, who, status):
    link, _ = BoardLink.create_for(board, None, by=board.created_by)
    client = as_who(who)
    assert _create(client, board).status_code == status
    revoke = client.post(reverse("boards:link_revoke", args=[link.pk]), headers=HTMX)
    assert revoke.status_code == status
    assert BoardLink.objects.count() == 1
    link.refresh_from_db()
    assert link.revoked_at is None


def test_revoking_stops_the_link(as_who, board):
    link, token = BoardLink.create_for(board, None, by=board.created_by)
    client = as_who("admin")
    response = client.post(reverse("boards:link_revoke", args=[link.pk]), headers=HTMX)
    assert response.status_code == 200
    assert "revoked" in response.content.decode()
    link.refresh_from_db()
    assert link.revoked_at is not None
    assert client.get(reverse("public_board:page", args=[token])).status_code == 404
    # Revoking twice keeps the first time.
    first = link.revoked_at
    client.post(reverse("boards:link_revoke", args=[link.pk]))
    link.refresh_from_db()
    assert link.revoked_at == first


def test_the_partial_lists_each_links_state_options_expiry_and_views(team, board):
    maker = team["maker"]
    live, _ = BoardLink.create_for(board, timedelta(days=7), by=maker, allow_downloads=True)
    expired, _ = BoardLink.create_for(board, timedelta(days=1), by=maker, show_prompts=True)
    BoardLink.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(hours=1))
    revoked, _ = BoardLink.create_for(board, None, by=maker)
    revoked.revoke()
    live.record_view()
    live.record_view()
    request = RequestFactory().get("/")
    request.user = maker
    html = render_to_string(
        "boards/_links.html",
        {"board": board, "links": list(BoardLink.objects.filter(board=board)), "can_manage": True},
        request=request,
    )
    rows = html.split("<tr")[2:]  # after the header row; newest first
    assert "revoked" in rows[0] and "never" in rows[0] and "Revoke" not in rows[0]
    assert "expired" in rows[1] and "prompts" in rows[1]
    assert "live" in rows[2] and "downloads" in rows[2] and ">2<" in rows[2]
    assert "Revoke" in rows[2]
    assert reverse("boards:link_create", args=[board.pk]) in html
    # Without MANAGE: the list, no form and no Revoke.
    html = render_to_string(
        "boards/_links.html",
        {"board": board, "links": [live], "can_manage": False},
        request=request,
    )
    assert "Revoke" not in html and "link_create" not in html and "<form" not in html
