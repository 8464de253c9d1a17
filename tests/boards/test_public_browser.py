"""The public board page in a real Chromium, logged out: a poster plays its clip, the arrow
keys step through the board, and a revoked link stops the page and its media at once."""

from __future__ import annotations

import shutil

import pytest

from ltxdash.boards.models import BoardLink
from tests.support.browser import CHROMIUM, assert_accessible, db_work, launch

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not shutil.which(CHROMIUM), reason="needs Debian's chromium"),
    pytest.mark.django_db(transaction=True),
]

PLAYING = """() => { const v = document.querySelector('[data-player]');
  return !v.paused && v.currentTime > 0; }"""


def _at(page, n: int, video: int) -> None:
    page.wait_for_function(
        "([n, src]) => document.querySelector('[data-position]').textContent === `Clip ${n} of 3`"
        " && document.querySelector('[data-player]').src.endsWith(src)",
        arg=[n, f"/files/{video}"],
        timeout=5_000,
    )
    assert page.url.endswith(f"?clip={n}")


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_a_visitor_plays_a_board_and_steps_through_it(live_server, board, viewport):
    link, token = BoardLink.create_for(board, None, by=board.created_by)
    videos = [clip.video.pk for clip in board.clips().prefetch_related("outputs")]
    base = f"{live_server.url}/b/{token}/"
    with launch(viewport=viewport) as browser:
        page = browser.context().new_page()
        assert page.goto(base).status == 200
        page.click('[data-clip="2"]')
        _at(page, 2, videos[1])
        page.wait_for_function(PLAYING, timeout=10_000)
        assert page.text_content("[data-title]") == "Take 2"
        if viewport == "desktop":
            page.keyboard.press("ArrowRight")
            _at(page, 3, videos[2])
            page.keyboard.press("ArrowLeft")
            _at(page, 2, videos[1])
        else:  # a swipe to the left over the video: the next clip; to the right: back
            for dx, n in ((-120, 3), (120, 2)):
                page.eval_on_selector(
                    "[data-swipe]",
                    """(el, dx) => {
                      const at = (x) => [new Touch({identifier: 1, target: el, clientX: x, clientY: 200})];
                      el.dispatchEvent(new TouchEvent('touchstart', {touches: at(200), changedTouches: at(200)}));
                      el.dispatchEvent(new TouchEvent('touchend', {touches: [], changedTouches: at(200 + dx)}));
                    }""",
                    dx,
                )
                _at(page, n, videos[n - 1])
        page.click("[data-step='1']")  # the Next button
        _at(page, 3, videos[2])
        assert page.get_attribute("[data-step='1']", "aria-disabled") == "true"  # the last clip
        assert_accessible(page, f"the board page ({viewport})")
        # Without a reload, #clip-1 picks the first clip.
        page.evaluate("location.hash = '#clip-1'")
        _at(page, 1, videos[0])

        db_work(lambda: BoardLink.objects.get(pk=link.pk).revoke())
        assert page.goto(base).status == 404
        assert page.request.get(f"{base}files/{videos[1]}").status == 404
        assert page.request.get(f"{base}posters/{videos[1]}").status == 404


def test_without_javascript_the_posters_and_buttons_are_links(live_server, board):
    _, token = BoardLink.create_for(board, None, by=board.created_by)
    videos = [clip.video.pk for clip in board.clips().prefetch_related("outputs")]
    with launch() as browser:
        context = browser.chromium.new_context(java_script_enabled=False)
        page = context.new_page()
        page.goto(f"{live_server.url}/b/{token}/")
        page.click('[data-clip="3"]')
        page.wait_for_url("**?clip=3")
        assert page.get_attribute("[data-player]", "src").endswith(f"/files/{videos[2]}")
        page.click("[data-step='-1']")
        page.wait_for_url("**?clip=2")
        assert page.text_content("[data-position]") == "Clip 2 of 3"
        context.close()
