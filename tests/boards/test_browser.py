"""Select mode in a real Chromium: Select, a shift-click range, the count, then Delete… asks
with the count and deletes; and Add to board with everything on the page. axe-core on each
step's page (no serious or critical violation)."""

from __future__ import annotations

import shutil

import pytest

from ltxdash.boards.models import Board
from ltxdash.generations.models import Generation
from tests.factories import make_clip, make_user
from tests.support.browser import CHROMIUM, assert_accessible, db_work, launch, session_cookie

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not shutil.which(CHROMIUM), reason="needs Debian's chromium"),
    pytest.mark.django_db(transaction=True),
]


def test_a_shift_click_range_is_selected_and_deleted_after_asking(live_server):
    maya = make_user("maya")
    clips = [make_clip(maya, prompt=f"Harbour take {n}") for n in range(5)]
    newest_first = sorted(clips, key=lambda c: (c.created_at, c.pk), reverse=True)
    cookie = session_cookie(maya, live_server.url)
    with launch() as browser:
        page = browser.context([cookie]).new_page()
        page.goto(live_server.url + "/gallery/")
        assert not page.locator(".select-bar").is_visible()  # waits for Select
        page.click("button[data-select-toggle]")
        assert page.locator(".select-bar").is_visible()
        boxes = page.locator("input[data-select]")
        boxes.nth(0).click()
        boxes.nth(3).click(modifiers=["Shift"])  # the range: the 1st to the 4th card
        assert page.inner_text("[data-select-count]") == "4 clips selected"
        assert [boxes.nth(i).is_checked() for i in range(5)] == [True] * 4 + [False]
        assert_accessible(page, "the gallery in select mode")

        page.click(".select-bar button[value='delete']")
        page.wait_for_url("**/gallery/selection")
        assert "Delete 4 clips?" in page.inner_text("main")
        assert_accessible(page, "Delete 4 clips?")
        page.click("button:has-text('Delete 4 clips')")
        page.wait_for_url("**/gallery/")
        assert "4 clips and their files were deleted." in page.inner_text(".messages")
    left = db_work(lambda: list(Generation.objects.values_list("pk", flat=True)))
    assert left == [newest_first[4].pk]


def test_everything_on_the_page_goes_on_a_new_board(live_server):
    maya = make_user("maya")
    for n in range(3):
        make_clip(maya, prompt=f"Harbour take {n}")
    cookie = session_cookie(maya, live_server.url)
    with launch(viewport="phone") as browser:
        page = browser.context([cookie]).new_page()
        page.goto(live_server.url + "/gallery/")
        page.click("button[data-select-toggle]")
        page.click("button[data-select-page]")
        assert page.inner_text("[data-select-count]") == "3 clips selected"
        page.click(".select-bar button:has-text('Add to board')")
        page.wait_for_url("**/boards/pick")
        assert "Add 3 clips to a board" in page.inner_text("main")
        page.fill("input[name=new_name]", "Harbour, all takes")
        page.click("button:has-text('Add to board')")
        page.wait_for_url("**/boards/*/")
        assert page.locator(".clip-card").count() == 3
        assert_accessible(page, "the new board (phone)")
    board = db_work(lambda: Board.objects.get())
    assert board.name == "Harbour, all takes"
