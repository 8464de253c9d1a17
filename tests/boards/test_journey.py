"""The boards journey in a real Chromium: a producer picks three clips in the gallery, makes a
board of them, reorders it, shares it with downloads; a client opens it logged out, plays the
second clip and downloads the ZIP; the producer revokes the link and the page and its files are
gone (404). axe-core on each page on the way."""

from __future__ import annotations

import io
import shutil
import zipfile
from pathlib import Path

import pytest

from ltxdash.boards.models import Board
from tests.factories import make_clip, make_user
from tests.support.browser import CHROMIUM, assert_accessible, db_work, launch, session_cookie

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not shutil.which(CHROMIUM), reason="needs Debian's chromium"),
    pytest.mark.django_db(transaction=True),
]

PLAYING = """() => { const v = document.querySelector('[data-player]');
  return !v.paused && v.currentTime > 0; }"""


def test_a_board_is_made_reordered_shared_played_downloaded_and_revoked(live_server):
    producer = make_user("pia")
    takes = [make_clip(producer, title=f"Dock take {n}") for n in (1, 2, 3)]
    make_clip(producer, title="Unrelated")
    cookie = session_cookie(producer, live_server.url)
    with launch() as browser:
        page = browser.context([cookie]).new_page()
        page.goto(live_server.url + "/gallery/?q=dock")
        page.click("button[data-select-toggle]")
        page.click("button[data-select-page]")
        assert page.inner_text("[data-select-count]") == "3 clips selected"
        page.click(".select-bar button:has-text('Add to board')")
        page.fill("input[name=new_name]", "Dock, for the client")
        page.click("button:has-text('Add to board')")
        page.wait_for_url("**/boards/*/")
        order = lambda: page.eval_on_selector_all(  # noqa: E731
            ".clip-grid .clip-card .clip-name", "els => els.map(e => e.textContent.trim())"
        )
        newest_first = ["Dock take 3", "Dock take 2", "Dock take 1"]
        assert order() == newest_first
        # Take 1 up, twice: first.
        for _ in range(2):
            page.locator(".clip-card", has_text="Dock take 1").locator(
                "button:has-text('↑')"
            ).click()
            page.wait_for_load_state()
        assert order() == ["Dock take 1", "Dock take 3", "Dock take 2"]
        assert_accessible(page, "the board")

        page.get_by_label("Allow downloads").check()
        page.get_by_role("button", name="Create link").click()
        page.wait_for_selector("#new-board-link-url")
        public_url = page.locator("#new-board-link-url").input_value()
        assert_accessible(page, "the board with its new link")

        client = browser.context().new_page()  # logged out
        assert client.goto(public_url).status == 200
        assert "pia" not in client.content()
        client.click('[data-clip="2"]')
        client.wait_for_function(PLAYING, timeout=10_000)
        assert client.text_content("[data-title]") == "Dock take 3"
        assert_accessible(client, "the public board, playing its second clip")
        with client.expect_download() as download:
            client.click("a:has-text('Download all 3 clips (ZIP)')")
        archive = zipfile.ZipFile(io.BytesIO(Path(download.value.path()).read_bytes()))
        assert archive.testzip() is None
        assert archive.namelist()[:3] == [
            "001 Dock take 1.mp4",
            "002 Dock take 3.mp4",
            "003 Dock take 2.mp4",
        ]
        video_url = client.evaluate("document.querySelector('[data-player]').src")

        page.reload()
        page.locator("#board-links").get_by_role("button", name="Revoke").click()
        page.wait_for_selector("#board-links :text('revoked')")
        assert client.goto(public_url).status == 404
        assert client.request.get(video_url).status == 404
    board = db_work(lambda: Board.objects.get())
    assert [c.pk for c in db_work(lambda: list(board.clips()))] == [
        takes[0].pk,
        takes[2].pk,
        takes[1].pk,
    ]
