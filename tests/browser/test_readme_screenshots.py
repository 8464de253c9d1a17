"""The README's screenshots, taken by a journey through the real product (the simulator, the
pipeline, a real Chromium): a prompt made in three takes of which one is longer, a vertical
clip, a clip given a name, a share link with a title and the prompt hidden.

``make screenshots`` runs this with LTXDASH_SCREENSHOTS_DIR=docs/screenshots; otherwise the
images land in test-artifacts/readme/, and the journey is a test like any other.
"""

from __future__ import annotations

import os
import shutil
from decimal import Decimal
from pathlib import Path

import pytest

from ltxdash.spend.models import Budget
from tests.factories import workspace_of
from tests.support.browser import CHROMIUM, assert_accessible

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not shutil.which(CHROMIUM), reason=f"needs Debian's chromium at {CHROMIUM}"),
    pytest.mark.django_db(transaction=True),
]

READY_WITHIN = 45_000
REPO = Path(__file__).resolve().parents[2]
OUT = Path(os.environ.get("LTXDASH_SCREENSHOTS_DIR") or REPO / "test-artifacts" / "readme")
TAKES = "A lighthouse on a cliff in a winter storm, waves breaking over the rocks, dusk"


def snap(page, name: str, *, selector: str | None = None, full_page: bool = False) -> None:
    assert_accessible(page, name)
    OUT.mkdir(parents=True, exist_ok=True)
    if selector:
        page.locator(selector).screenshot(path=OUT / f"{name}.png")
    else:
        page.screenshot(path=OUT / f"{name}.png", full_page=full_page)


def generate(page, prompt: str, *, takes: int = 1, duration: str | None = None) -> None:
    before = page.locator(".gen-card").count()
    page.get_by_label("Prompt", exact=True).fill(prompt)
    if duration:
        page.select_option("#id_duration", duration)
    page.click(f".segment:nth-child({takes})")
    page.get_by_role("button", name="Generate").click()
    page.wait_for_function(
        f"() => document.querySelectorAll('.gen-card').length === {before + takes}"
    )


def test_the_readme_screenshots(pipeline, browser, owner, ltx_simulator):
    ltx_simulator.configure(pending_seconds=0.4, processing_seconds=3.7)
    # A monthly budget, so the usage page shows this month against it.
    Budget.objects.create(workspace=workspace_of(owner), monthly_limit=Decimal("25"))
    with browser() as b:
        page = b.new_page()
        b.log_in(page, "alice", "alice-pass-123")

        generate(page, "A red kite over the dunes, late afternoon light")
        page.wait_for_selector(".gen-card.state-ready", timeout=READY_WITHIN)
        generate(page, TAKES, takes=3)
        generate(page, TAKES, duration="8")
        page.wait_for_selector(".gen-card.state-processing", timeout=READY_WITHIN)
        snap(page, "live-card", selector=".gen-card.state-processing >> nth=0")
        snap(page, "create-page")

        page.wait_for_function(
            "() => document.querySelectorAll('.gen-card.state-ready').length === 5",
            timeout=READY_WITHIN * 2,
        )
        # Every take says which it is and how it differs from the others.
        page.wait_for_selector(".gen-take:has-text('Take 4 of 4 · duration 8 s')")
        assert page.locator(".gen-take:has-text('duration 6 s')").count() == 3

        # A vertical clip, named from its card.
        page.goto("/?mode=text-to-video&resolution=1080x1920")
        assert page.input_value("#id_resolution") == "1080x1920"
        generate(page, "A dancer spins on a rooftop at night, neon signs, vertical")
        page.wait_for_selector(".gen-card.state-ready >> nth=5", timeout=READY_WITHIN)
        card = page.locator(".gen-card").first
        card.locator("details.rename summary").click()
        card.locator("input[name=title]").fill("Rooftop, vertical cut")
        card.locator("input[name=title]").press("Enter")
        page.wait_for_selector(".gen-title:has-text('Rooftop, vertical cut')")

        page.get_by_role("navigation", name="Main").get_by_role("link", name="Gallery").click()
        page.wait_for_url("**/gallery/")
        page.wait_for_function(
            "() => [...document.querySelectorAll('.clip-thumb img')].every(i => i.complete)"
        )
        snap(page, "gallery")

        page.locator(".clip-card", has_text="Take 4 of 4").locator(".clip-thumb").click()
        page.wait_for_selector(".clip-take")
        page.locator("#clip-title details.rename summary").click()
        page.get_by_label("Name").fill("Lighthouse, long take")
        page.get_by_label("Name").press("Enter")
        page.wait_for_selector("h1:has-text('Lighthouse, long take')")
        page.get_by_label("Title on the page").fill("Lighthouse, long take")
        page.get_by_label("Hide the prompt").check()
        page.get_by_role("button", name="Create link").click()
        share_url = page.locator("#new-share-url").input_value()
        page.set_viewport_size({"width": 1280, "height": 1180})
        page.evaluate("window.scrollTo(0, 0)")
        snap(page, "clip-page")

        stranger = b.new_page()
        stranger.goto(share_url)
        assert stranger.inner_text("h1") == "Lighthouse, long take"
        assert TAKES not in stranger.content()
        stranger.wait_for_function("() => document.querySelector('video').readyState >= 1")
        snap(stranger, "share-page")

        # The four lighthouse takes on a board, shared with a client.
        page.set_viewport_size({"width": 1280, "height": 900})
        page.goto("/gallery/?q=lighthouse")
        page.click("button[data-select-toggle]")
        page.click("button[data-select-page]")
        page.click(".select-bar button:has-text('Add to board')")
        page.fill("input[name=new_name]", "Lighthouse: takes for the client")
        page.click("button:has-text('Add to board')")
        page.wait_for_url("**/boards/*/")
        assert "Lighthouse, long take" in page.inner_text(".clip-card >> nth=0")  # the newest
        page.locator("details.board-edit summary").click()
        page.get_by_label("Description").fill("Four takes of the opening shot, long take first.")
        page.get_by_role("button", name="Save").click()
        page.wait_for_load_state()
        page.evaluate("window.scrollTo(0, 0)")
        snap(page, "board")
        page.get_by_label("Allow downloads").check()
        page.get_by_role("button", name="Create link").click()
        board_url = page.locator("#new-board-link-url").input_value()

        client = b.new_page()
        client.goto(board_url)
        client.wait_for_function("() => document.querySelector('video').readyState >= 2")
        assert TAKES not in client.content()  # the link does not show prompts
        snap(client, "board-link")

        page.goto("/spend/usage/")
        assert "Spent per day" in page.inner_text("#chart-h")
        snap(page, "usage", full_page=True)
