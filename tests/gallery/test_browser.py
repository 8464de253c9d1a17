"""The gallery in a real Chromium: hover previews, seeking (Range), infinite scroll, HTMX filters,
favourites and share links. Debian's /usr/bin/chromium, no browser download."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.conf import settings
from django.test import Client

from ltxdash.gallery.models import ShareLink
from ltxdash.generations.models import Generation
from tests.support.browser import CHROMIUM, CspWatch, assert_accessible, session_cookie

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not shutil.which(CHROMIUM), reason="needs Debian's chromium"),
]


@pytest.fixture
def browser(live_server, owner):
    """browser() opens a logged-in page as a context manager. Do database work outside it:
    inside, Playwright's event loop makes Django open (and leak) a second connection."""
    from playwright.sync_api import sync_playwright

    client = Client()
    client.force_login(owner)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value

    @contextmanager
    def open_page() -> Iterator:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
            csp = CspWatch()
            context = csp.attach(chromium.new_context(viewport={"width": 1280, "height": 800}))
            context.add_cookies(
                [{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}]
            )
            page = context.new_page()
            page.base_url = live_server.url
            try:
                yield page
                assert_accessible(page)  # axe-core on the page the test ends on
            finally:
                chromium.close()
            csp.check()

    return open_page


@pytest.mark.django_db(transaction=True)
def test_hover_plays_a_muted_preview_and_leaving_stops_it(browser, clip):
    with browser() as page:
        page.goto(page.base_url + "/gallery/")
        page.locator(".clip-thumb").first.hover()
        page.wait_for_selector(".clip-thumb.previewing video", timeout=10_000)
        assert page.eval_on_selector(".clip-thumb video", "v => v.muted && !v.paused")
        page.mouse.move(5, 5)
        page.wait_for_selector(".clip-thumb video", state="detached", timeout=5_000)


@pytest.mark.django_db(transaction=True)
def test_the_player_seeks_through_range_requests(browser, clip):
    with browser() as page:
        page.goto(f"{page.base_url}/gallery/{clip.pk}/")
        page.wait_for_function(
            "() => document.querySelector('video.player').readyState >= 1", timeout=10_000
        )
        page.eval_on_selector("video.player", "v => { v.currentTime = 1.5; }")
        page.wait_for_function(
            "() => (() => { const v = document.querySelector('video.player');"
            " return !v.seeking && v.readyState >= 2 && Math.abs(v.currentTime - 1.5) < 0.2; })()",
            timeout=10_000,
        )


@pytest.mark.django_db(transaction=True)
def test_scrolling_loads_older_clips_and_filters_swap_the_grid(browser, owner, make_clip):
    for i in range(30):
        make_clip(owner, video=False, prompt=f"clip {i} " + ("otter" if i == 3 else "heron"))
    with browser() as page:
        page.goto(page.base_url + "/gallery/")
        assert page.locator(".clip-card").count() == 24
        page.locator(".load-more").scroll_into_view_if_needed()
        page.wait_for_function("() => document.querySelectorAll('.clip-card').length === 30")
        assert page.locator(".load-more").count() == 0

        page.fill("input[name=q]", "otter")
        page.wait_for_function("() => document.querySelectorAll('.clip-card').length === 1")
        assert "q=otter" in page.url  # the filtered state is in the address bar, shareable


@pytest.mark.django_db(transaction=True)
def test_favourite_and_share_without_a_reload(browser, clip):
    with browser() as page:
        page.goto(f"{page.base_url}/gallery/{clip.pk}/")
        page.evaluate("window.notReloaded = true")
        page.click(".clip-title .fav-button")
        page.wait_for_selector('.clip-title .fav-button[aria-pressed="true"]')
        page.select_option("select[name=expires]", "never")
        page.click(".share-form button[type=submit]")
        page.wait_for_selector("#new-share-url")
        share_url = page.input_value("#new-share-url")
        assert page.evaluate("window.notReloaded") is True

        page.goto(share_url)
        assert page.locator("video.player").count() == 1
        og_video = page.locator("meta[property='og:video']").get_attribute("content")
        assert og_video.endswith("/video")
        page.wait_for_function(
            "() => document.querySelector('video.player').readyState >= 1", timeout=10_000
        )
    assert Generation.objects.get(pk=clip.pk).favourite
    assert ShareLink.objects.get().views == 1


@pytest.mark.django_db(transaction=True)
def test_on_a_phone_the_filters_fold_behind_a_button_that_counts_them(live_server, owner, clip):
    from tests.support.browser import launch

    cookie = session_cookie(owner, live_server.url)
    with launch(viewport="phone") as chromium:
        page = chromium.context([cookie]).new_page()
        page.goto(live_server.url + "/gallery/?model=ltx-2-3-fast&favourites=on")
        toggle = page.locator("[data-filters-toggle]")
        assert toggle.is_visible() and not page.is_visible("#id_mode")
        assert page.is_visible("#id_q")  # search stays at hand
        assert " ".join(toggle.text_content().split()) == "Filters · 2 active"
        height = page.evaluate("document.querySelector('.gallery-filters').offsetHeight")
        viewport = page.evaluate("window.innerHeight")
        assert height < viewport * 0.2, (height, viewport)  # not the whole first screen
        toggle.click()
        assert toggle.get_attribute("aria-expanded") == "true" and page.is_visible("#id_mode")
        assert_accessible(page, "gallery filters open on a phone")
        page.uncheck("#id_favourites")
        page.wait_for_function(
            "() => document.querySelector('[data-filter-count]').textContent.includes('1')"
        )
        toggle.click()
        assert not page.is_visible("#id_mode")
        assert_accessible(page, "gallery on a phone")


@pytest.mark.django_db(transaction=True)
def test_on_a_desktop_every_filter_shows_without_a_button(browser, clip):
    with browser() as page:
        page.goto(page.base_url + "/gallery/")
        assert page.is_visible("#id_mode") and page.is_visible("#id_date_from")
        assert not page.is_visible("[data-filters-toggle]")


@pytest.mark.django_db(transaction=True)
def test_on_a_phone_share_is_near_the_top_of_the_clip_page(live_server, owner, clip):
    from tests.support.browser import launch

    cookie = session_cookie(owner, live_server.url)
    with launch(viewport="phone") as chromium:
        page = chromium.context([cookie]).new_page()
        page.goto(f"{live_server.url}/gallery/{clip.pk}/")
        top = page.evaluate("document.getElementById('shares').getBoundingClientRect().top")
        total = page.evaluate("document.documentElement.scrollHeight")
        viewport = page.evaluate("window.innerHeight")
        print(f"share panel at {top:.0f} px of a {total} px page ({viewport} px screen)")
        assert top < viewport * 1.25, (top, total)
        share = page.get_by_role("link", name="Share", exact=True)
        assert share.bounding_box()["y"] < viewport  # the button beside Download, on screen
        share.click()
        page.wait_for_function("() => location.hash === '#shares'")


UNREACHABLE = "Can't reach ltxdash"


def alert_after(page, selector: str) -> str:
    """The visible alert that a failed request put right after ``selector``; its words."""
    alert = page.wait_for_selector(f"{selector} + .request-error[role=alert]", timeout=5_000)
    assert alert.is_visible()
    return alert.inner_text()


@pytest.mark.django_db(transaction=True)
def test_a_gallery_request_that_cannot_reach_the_server_says_so_beside_what_made_it(browser, clip):
    with browser() as page:
        page.goto(page.base_url + "/gallery/")
        page.route("**/favourite", lambda route: route.abort())
        page.click(".clip-card .fav-button")
        assert UNREACHABLE in alert_after(page, ".clip-card .fav-form")

        page.route(lambda url: "/gallery/?" in url, lambda route: route.abort())
        page.check("#id_favourites")
        assert UNREACHABLE in alert_after(page, ".gallery-filters")
        page.fill("#id_q", "otter")
        assert UNREACHABLE in alert_after(page, "#id_q")

        page.unroute("**/favourite")  # back online: the next request that works clears its alert
        page.click(".clip-card .fav-button")
        page.wait_for_selector(".clip-card .fav-form + .request-error", state="detached")


@pytest.mark.django_db(transaction=True)
def test_a_clip_page_request_that_cannot_reach_the_server_says_so_beside_what_made_it(
    browser, clip
):
    with browser() as page:
        page.goto(f"{page.base_url}/gallery/{clip.pk}/")
        page.click(".share-form button[type=submit]")  # a link to revoke, made while online
        page.wait_for_selector("#new-share-url")
        page.route("**/revoke", lambda route: route.abort())
        page.route("**/share", lambda route: route.abort())
        page.route("**/rename", lambda route: route.abort())

        page.click(".share-links button")
        assert UNREACHABLE in alert_after(page, ".share-links form")
        page.click(".share-form button[type=submit]")
        assert UNREACHABLE in alert_after(page, ".share-form")
        page.click(".clip-title .rename summary")
        page.fill(".clip-title .rename input[name=title]", "Harbour at dusk")
        page.click(".clip-title .rename button[type=submit]")
        assert UNREACHABLE in alert_after(page, ".clip-title .rename-form")
    assert Generation.objects.get(pk=clip.pk).title == ""


FOCUSED = (
    "(() => { const a = document.activeElement;"
    " return a.tagName + (a.id ? '#' + a.id : '') + '.' + a.className; })()"
)


def focus_in(page, selector: str) -> bool:
    """Focus is on ``selector``'s element or inside it (not dropped to <body> or <main>) once
    the swap has settled (focus.js hands it over just after)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.wait_for_function(
            f"() => {{ const el = document.querySelector({selector!r});"
            " return !!el && el.contains(document.activeElement); }",
            timeout=3_000,
        )
    except PlaywrightTimeout:
        return False
    return True


@pytest.mark.django_db(transaction=True)
def test_the_gallery_keeps_focus_through_favourite_and_filter_swaps(browser, clip):
    with browser() as page:
        page.goto(page.base_url + "/gallery/")
        star = page.locator(f"#clip-{clip.pk} .fav-button")
        star.focus()
        page.keyboard.press("Enter")
        page.wait_for_selector(f'#clip-{clip.pk} .fav-button[aria-pressed="true"]')
        assert focus_in(page, f"#clip-{clip.pk} .fav-button"), page.evaluate(FOCUSED)
        page.keyboard.press("Enter")  # and back, still from the keyboard
        page.wait_for_selector(f'#clip-{clip.pk} .fav-button[aria-pressed="false"]')
        assert focus_in(page, f"#clip-{clip.pk} .fav-button"), page.evaluate(FOCUSED)

        page.locator("#id_favourites").focus()
        page.keyboard.press("Space")  # a filter change swaps the grid
        page.wait_for_function("() => location.search.includes('favourites=on')")
        page.wait_for_selector(".gallery-results .empty")
        assert page.evaluate(FOCUSED).startswith("INPUT#id_favourites")
        page.locator("#id_mode").focus()
        page.keyboard.press("ArrowDown")
        page.wait_for_function("() => location.search.includes('mode=')")
        assert page.evaluate(FOCUSED).startswith("SELECT#id_mode")


@pytest.mark.django_db(transaction=True)
def test_the_clip_page_keeps_focus_through_favourite_rename_and_share_swaps(browser, clip):
    with browser() as page:
        page.goto(f"{page.base_url}/gallery/{clip.pk}/")
        page.locator(".clip-title .fav-button").focus()
        page.keyboard.press("Enter")
        page.wait_for_selector('.clip-title .fav-button[aria-pressed="true"]')
        assert focus_in(page, ".clip-title .fav-button"), page.evaluate(FOCUSED)

        page.locator(".clip-title details.rename summary").focus()
        page.keyboard.press("Enter")  # opens the form
        page.keyboard.press("Tab")
        assert page.evaluate(FOCUSED).startswith(f"INPUT#rename-{clip.pk}")
        page.keyboard.type("Harbour at dusk")
        page.keyboard.press("Enter")
        page.wait_for_selector("#clip-title h1:has-text('Harbour at dusk')")
        assert focus_in(page, "#clip-title"), page.evaluate(FOCUSED)

        page.locator(".share-form button[type=submit]").focus()
        page.keyboard.press("Enter")
        page.wait_for_selector("#new-share-url")
        assert focus_in(page, "#shares"), page.evaluate(FOCUSED)
        page.locator(".share-links button").first.focus()
        page.keyboard.press("Enter")  # revoke
        page.wait_for_selector(".share-links tr.is-dead")
        assert focus_in(page, "#shares"), page.evaluate(FOCUSED)
    assert Generation.objects.get(pk=clip.pk).title == "Harbour at dusk"
    assert ShareLink.objects.get().is_revoked


@pytest.mark.django_db(transaction=True)
def test_the_clip_pages_player_plays_pauses_and_seeks_from_the_keyboard(browser, clip):
    with browser() as page:
        page.goto(f"{page.base_url}/gallery/{clip.pk}/")
        page.wait_for_function("() => document.querySelector('video.player').readyState >= 1")
        page.keyboard.press("Tab")  # the skip link, then on into the page to the player
        for _ in range(10):
            if page.evaluate(FOCUSED).startswith("VIDEO"):
                break
            page.keyboard.press("Tab")
        assert page.evaluate(FOCUSED).startswith("VIDEO.player")
        page.keyboard.press("Space")
        page.wait_for_function("() => !document.querySelector('video.player').paused")
        page.keyboard.press("k")
        page.wait_for_function("() => document.querySelector('video.player').paused")
        # ← and → seek by a step one can see: a tenth of the clip, at least 1 s (this one: 2 s).
        page.evaluate("document.querySelector('video.player').currentTime = 0")
        page.keyboard.press("ArrowRight")
        page.wait_for_function("() => document.querySelector('video.player').currentTime > 0.9")
        page.keyboard.press("ArrowLeft")
        page.wait_for_function("() => document.querySelector('video.player').currentTime < 0.1")
        page.keyboard.press("End")
        page.wait_for_function("() => document.querySelector('video.player').currentTime > 1.9")


@pytest.mark.django_db(transaction=True)
def test_a_gallery_card_is_renamed_in_place_from_the_keyboard(browser, clip):
    with browser() as page:
        page.goto(page.base_url + "/gallery/")
        page.locator(f"#clip-name-{clip.pk} details.rename summary").focus()
        page.keyboard.press("Enter")  # opens the form
        page.keyboard.press("Tab")
        page.keyboard.type("Harbour at dusk")
        page.keyboard.press("Enter")
        page.wait_for_selector(f"#clip-name-{clip.pk} .clip-name:has-text('Harbour at dusk')")
        assert focus_in(page, f"#clip-name-{clip.pk}"), page.evaluate(FOCUSED)
    assert Generation.objects.get(pk=clip.pk).title == "Harbour at dusk"
