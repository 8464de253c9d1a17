"""The public page of a board link and its media: no login, nothing of the workspace, and a
revoked link (or a clip taken off the board) stops at the next request."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from ltxdash.boards.models import Board, BoardLink
from ltxdash.core.logs import redact
from tests.factories import bulk_ready_clips, clip_media, make_clip
from tests.support.media import fetch


def _body(response) -> bytes:
    return b"".join(response.streaming_content)


def _link(board, **options):
    return BoardLink.create_for(board, None, by=board.created_by, **options)


def _page(token: str, **params) -> str:
    return reverse("public_board:page", args=[token]) + (
        "?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else ""
    )


def _videos(board) -> list[int]:
    return [clip.video.pk for clip in board.clips().prefetch_related("outputs")]


def test_the_page_opens_logged_out_and_counts_each_view(client, board):
    link, token = _link(board)
    response = client.get(_page(token))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Opening shot" in html and "Six takes for the opening." in html
    assert html.count('class="clip-card"') == 3
    assert 'loading="lazy"' in html
    assert client.head(_page(token)).status_code == 200  # a HEAD is not a view
    client.get(_page(token))
    link.refresh_from_db()
    assert link.views == 2 and link.last_viewed_at is not None


def test_the_page_answers_with_the_security_headers(client, board):
    _, token = _link(board)
    response = client.get(_page(token))
    assert "no-cache" in response["Cache-Control"] and "no-store" in response["Cache-Control"]
    assert response["Referrer-Policy"] == "no-referrer"
    assert response["X-Robots-Tag"].startswith("noindex")
    assert response["X-Content-Type-Options"] == "nosniff"
    html = response.content.decode()
    assert '<meta name="robots" content="noindex, nofollow">' in html
    assert "<script>" not in html  # no inline script: the clips are a JSON data block
    assert '<script id="board-clips" type="application/json">' in html


def test_unknown_expired_and_revoked_links_give_the_same_404_as_share_links(client, board):
    _, live = _link(board)
    expired, expired_token = _link(board)
    BoardLink.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    revoked, revoked_token = _link(board)
    revoked.revoke()
    share_404 = client.get("/s/" + "x" * 43)
    video = _videos(board)[0]
    for token in ("x" * 43, expired_token, revoked_token, "", "a" * 300):
        if not token:
            continue
        response = client.get(_page(token))
        assert response.status_code == 404
        assert response.content == share_404.content
        for name in ("public_board:file", "public_board:poster", "public_board:download"):
            assert client.get(reverse(name, args=[token, video])).status_code == 404
    assert client.get(_page(live)).status_code == 200


def test_it_reveals_nothing_but_the_board_and_its_clips(client, team):
    zed = team["maker"]
    zed.username = "zed-the-maker"
    zed.save()
    clip = make_clip(
        zed,
        title="Harbour at dusk",
        prompt="secret-prompt-words about a harbour",
        estimated_cost=Decimal("4.3210"),
        remote_id="job-remote-98765",
        submit_request_id="req-submit-55555",
        last_request_id="req-poll-77777",
    )
    board = Board.objects.create(
        workspace=team["workspace"], name="Opening shot", description="Dusk.", created_by=zed
    )
    board.add([clip], by=zed)
    Board.objects.create(workspace=team["workspace"], name="Another-board-name", created_by=zed)
    hidden = ["zed-the-maker", "secret-prompt-words", "4.32", "job-remote-98765", "req-submit",
              "req-poll", "Harbour Studio Secret Team", "harbour/", "Another-board-name",
              "/gallery/", "/accounts/", "/boards/", 'href="/"']  # fmt: skip
    _, token = _link(board)
    html = client.get(_page(token)).content.decode()
    assert "Harbour at dusk" in html
    for word in hidden:
        assert word not in html, word
    # With prompts shown: the prompt, and still nothing else.
    _, token = _link(board, show_prompts=True, allow_downloads=True)
    html = client.get(_page(token)).content.decode()
    assert "secret-prompt-words" in html
    for word in hidden[:1] + hidden[2:]:
        assert word not in html, word
    # A download's file name carries the clip's name, never its prompt.
    download = fetch(client, reverse("public_board:download", args=[token, clip.video.pk]))
    assert "secret" not in download["Content-Disposition"]
    assert "harbour-at-dusk" in download["Content-Disposition"]


def test_open_graph_tags_name_the_board_and_its_cover(client, board):
    _, token = _link(board)
    html = client.get(_page(token)).content.decode()
    first = _videos(board)[0]
    assert '<meta property="og:title" content="Opening shot">' in html
    assert '<meta property="og:description" content="Six takes for the opening.">' in html
    poster = f"http://testserver/b/{token}/posters/{first}"
    assert f'<meta property="og:image" content="{poster}">' in html
    # No description: the number of clips. A chosen cover: its poster.
    board.description = ""
    board.cover = board.clips()[2]
    board.save()
    html = client.get(_page(token)).content.decode()
    assert '<meta property="og:description" content="3 clips">' in html
    third = _videos(board)[2]
    assert f'<meta property="og:image" content="http://testserver/b/{token}/posters/{third}">' in (
        html
    )


def test_clip_n_picks_the_player_clip_with_plain_links_to_its_neighbours(client, board):
    _, token = _link(board)
    videos = _videos(board)
    html = client.get(_page(token, clip=2)).content.decode()
    assert f'src="/b/{token}/files/{videos[1]}"' in html
    assert "Clip 2 of 3" in html
    assert 'href="?clip=1"' in html and 'href="?clip=3"' in html
    for n in (1, 2, 3):  # each poster is a link that works without JavaScript
        assert f'href="?clip={n}" data-clip="{n}"' in html
    # Out of range or nonsense: clamped, or the first.
    assert "Clip 3 of 3" in client.get(_page(token, clip=99)).content.decode()
    assert "Clip 1 of 3" in client.get(_page(token, clip="²")).content.decode()


def test_prompts_and_downloads_only_when_the_link_allows_them(client, board):
    _, token = _link(board)
    html = client.get(_page(token)).content.decode()
    assert "A red fox runs through fresh snow" not in html
    assert "Download" not in html
    video = _videos(board)[0]
    assert client.get(reverse("public_board:download", args=[token, video])).status_code == 404
    _, token = _link(board, show_prompts=True, allow_downloads=True)
    html = client.get(_page(token)).content.decode()
    assert "A red fox runs through fresh snow" in html
    assert f'href="/b/{token}/download/{video}"' in html
    response = fetch(client, reverse("public_board:download", args=[token, video]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert response.content == clip_media()[0]


def test_media_serves_ranges_and_stops_at_once_when_revoked(client, board):
    link, token = _link(board)
    video = _videos(board)[0]
    url = reverse("public_board:file", args=[token, video])
    response = fetch(client, url, Range="bytes=0-99")
    assert response.status_code == 206
    assert response.content == clip_media()[0][:100]
    assert response["Content-Range"] == f"bytes 0-99/{len(clip_media()[0])}"
    assert response.ours["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response.ours["Content-Security-Policy"]
    assert response.asks_again()
    poster = fetch(client, reverse("public_board:poster", args=[token, video]))
    assert poster.status_code == 200 and poster["Content-Type"] == "image/jpeg"
    link.revoke()
    assert client.get(url, headers={"Range": "bytes=0-99"}).status_code == 404
    assert client.get(reverse("public_board:poster", args=[token, video])).status_code == 404


def test_a_clip_taken_off_the_board_is_gone_from_the_link_at_once(client, team, board):
    _, token = _link(board, allow_downloads=True)
    first = board.clips()[0]
    video = first.video.pk
    assert fetch(client, reverse("public_board:file", args=[token, video])).status_code == 200
    board.remove([first.pk])
    for name in ("public_board:file", "public_board:poster", "public_board:download"):
        assert client.get(reverse(name, args=[token, video])).status_code == 404
    assert client.get(_page(token)).content.decode().count('class="clip-card"') == 2
    # A clip of the workspace that is not on the board, or of another one: 404.
    elsewhere = make_clip(team["outsider"])
    off_board = make_clip(team["maker"])
    for clip in (elsewhere, off_board):
        assert (
            client.get(reverse("public_board:file", args=[token, clip.video.pk])).status_code == 404
        )


def test_a_big_board_pages_its_grid_and_its_queries_do_not_grow(client, team):
    maker = team["maker"]
    counts = {}
    for size in (20, 130):
        board = Board.objects.create(
            workspace=team["workspace"], name=f"Big {size}", created_by=maker
        )
        ids = bulk_ready_clips(maker, size, workspace=team["workspace"])
        board.add(list(board.workspace.generations.filter(pk__in=ids).order_by("-pk")), by=maker)
        _, token = _link(board)
        with CaptureQueriesContext(connection) as captured:
            response = client.get(_page(token))
        assert response.status_code == 200
        counts[size] = len(captured.captured_queries)
        html = response.content.decode()
        if size == 130:
            assert html.count('class="clip-card"') == 60
            assert "Page 1 of 3" in html and 'href="?page=2&amp;clip=1"' in html
            # The page holding clip 125 is the third; the player's links still step by one.
            html = client.get(_page(token, clip=125)).content.decode()
            assert "Page 3 of 3" in html and html.count('class="clip-card"') == 10
            assert 'href="?clip=124"' in html and 'href="?clip=126"' in html
            # The player's data lists every clip, for stepping across pages without a reload.
            data = re.search(r'id="board-clips" type="application/json">(.*?)</script>', html)
            assert data and data.group(1).count('"n":') == 130
    assert counts[20] == counts[130], counts


def test_board_tokens_are_cut_out_of_log_lines(board):
    _, token = _link(board)
    assert token not in redact(f'"GET /b/{token}/files/12 HTTP/1.1" 206')
    assert redact(f"GET /b/{token}/") == "GET /b/[token]/"


@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_the_public_urls_take_no_writes(board, method):
    _, token = _link(board)
    client = Client(enforce_csrf_checks=False)
    assert getattr(client, method)(_page(token)).status_code == 405


def test_the_whole_board_downloads_as_one_zip_that_shows_only_what_the_page_shows(client, board):
    import io
    import zipfile

    _, hidden_token = BoardLink.create_for(board, None, by=board.created_by)
    assert client.get(f"/b/{hidden_token}/clips.zip").status_code == 404  # no downloads allowed
    link, token = BoardLink.create_for(board, None, by=board.created_by, allow_downloads=True)
    page = client.get(f"/b/{token}/").content.decode()
    assert f'href="/b/{token}/clips.zip"' in page

    response = client.get(f"/b/{token}/clips.zip")
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="opening-shot.zip"'
    body = b"".join(response.streaming_content)
    archive = zipfile.ZipFile(io.BytesIO(body))
    assert archive.testzip() is None
    assert archive.namelist() == [
        "001 Take 1.mp4",
        "002 Take 2.mp4",
        "003 Take 3.mp4",
        "clips.csv",
        "clips.json",
    ]
    csv_text = archive.read("clips.csv").decode("utf-8-sig")
    header = csv_text.splitlines()[0].split(",")
    assert "prompt" not in header and "made_by" not in header and "cost_estimate_usd" not in header
    assert "maker" not in csv_text and "A red fox" not in csv_text
    clips = list(board.clips())
    for n, clip in enumerate(clips, start=1):
        name = f"{n:03d} Take {n}.mp4"
        assert hashlib.sha256(archive.read(name)).hexdigest() == clip.video.sha256

    link.revoked_at = timezone.now()
    link.save()
    assert client.get(f"/b/{token}/clips.zip").status_code == 404


def test_a_board_link_serves_only_the_video_the_page_shows(client, board):
    from ltxdash.generations.models import Output

    clip = board.clips().first()
    video = clip.outputs.get()
    frames = Output.objects.create(
        generation=clip,
        label="exr_frames_url",
        file=video.file.name,
        size=video.size,
        sha256=video.sha256,
        content_type="application/zip",
    )
    _, token = BoardLink.create_for(board, None, by=board.created_by, allow_downloads=True)
    assert fetch(client, f"/b/{token}/files/{video.pk}").status_code == 200
    for what in ("files", "posters", "download"):
        assert client.get(f"/b/{token}/{what}/{frames.pk}").status_code == 404
