"""The create page in a real Chromium: the HTMX wiring the view tests can't see (triggers,
out-of-band swaps, preserved file inputs, polling, toasts). Debian's /usr/bin/chromium."""

from __future__ import annotations

import re
import shutil
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client

from ltxdash.generations.models import Generation, State
from tests.factories import make_clip, make_generation, workspace_of
from tests.support.browser import CHROMIUM, CspWatch, assert_accessible, launch, session_cookie

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not shutil.which(CHROMIUM), reason="needs Debian's chromium"),
    pytest.mark.django_db(transaction=True),
]


def in_thread(work: Callable[[], None]) -> None:
    """Database work while Playwright's event loop runs in this thread (Django refuses the ORM
    there): a plain thread with its own connection."""

    def run() -> None:
        try:
            work()
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()


@pytest.fixture
def browser(live_server, owner):
    from playwright.sync_api import sync_playwright

    client = Client()
    client.force_login(owner)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value

    @contextmanager
    def open_page(path: str = "/") -> Iterator:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
            csp = CspWatch()
            context = csp.attach(chromium.new_context(viewport={"width": 1280, "height": 900}))
            context.add_cookies(
                [{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}]
            )
            page = context.new_page()
            page.goto(live_server.url + path)
            try:
                yield page
                assert_accessible(page)  # axe-core on the page the test ends on
            finally:
                chromium.close()
            csp.check()

    return open_page


def test_changing_settings_updates_the_choices_and_the_estimate(browser):
    with browser() as page:
        assert "≈ $0.36" in page.inner_text("#estimate")  # 6 s at $0.06/s
        page.select_option("#id_duration", "8")
        page.wait_for_function(
            "() => document.querySelector('#estimate').innerText.includes('0.48')"
        )
        page.click(".segment:nth-child(3)")  # three takes
        page.wait_for_function(
            "() => document.querySelector('#estimate').innerText.includes('1.44')"
        )
        assert page.locator("#id_fps option[value='48']").count() == 1
        page.select_option("#id_model", "ltx-2-5-pro")
        page.wait_for_function("() => !document.querySelector('#id_fps option[value=\"48\"]')")
        assert page.locator("#id_duration option[value='auto']").count() == 1


def test_a_choice_made_while_the_last_answer_settles_still_counts(browser):
    with browser() as page:
        # htmx puts the new estimate in at once and binds the new settings block's listeners when
        # the swap settles (20 ms later by default); widen that gap so the test always lands in it.
        page.evaluate("htmx.config.defaultSettleDelay = 1500")
        page.click(".segment:nth-child(3)")  # three takes
        page.wait_for_function(
            "() => document.querySelector('#estimate').innerText.includes('1.08')"
        )
        page.select_option("#id_model", "ltx-2-5-pro")  # before that answer has settled

        page.wait_for_function("() => !document.querySelector('#id_fps option[value=\"48\"]')")
        assert page.locator("#id_model").input_value() == "ltx-2-5-pro"


def test_generate_adds_the_cards_at_once_and_they_update_by_themselves(browser, owner):
    with browser() as page:
        page.fill("#id_prompt", "A kite over the dunes")
        page.click(".segment:nth-child(2)")
        page.click("button.button-generate")
        page.wait_for_selector(".gen-card >> nth=1")
        assert page.locator(".gen-card").count() == 2
        assert page.input_value("#id_prompt") == "A kite over the dunes"  # ready for the next take
        assert "every" in (page.get_attribute("#poller", "hx-trigger") or "")

        first = {}
        in_thread(lambda: first.update(g=Generation.objects.filter(owner=owner).first()))
        generation = first["g"]

        def finish() -> None:
            generation.transition(State.CANCELED)

        in_thread(finish)
        page.wait_for_selector(f"#gen-{generation.pk}.state-canceled", timeout=10_000)
        assert "canceled" in page.inner_text("#status-live").lower()


def test_a_refused_file_stays_chosen_with_its_message(browser, tmp_path):
    fake = tmp_path / "clip.mp4"
    fake.write_text("not a video\n" * 50)
    with browser("/?mode=extend") as page:
        page.set_input_files("#id_video_uri", str(fake))
        page.fill("#id_prompt", "More waves")
        page.click("button.button-generate")
        page.wait_for_selector("#field-video_uri div.errors[role=alert]")
        assert "not a video we can use" in page.inner_text("#field-video_uri")
        assert page.evaluate("document.querySelector('#id_video_uri').files.length") == 1
        assert page.input_value("#id_prompt") == "More waves"


def test_the_audio_tab_with_no_image_picked_leaves_every_other_tab_working(browser, owner):
    in_thread(lambda: make_clip(owner))
    with browser("/?mode=audio-to-video") as page:
        page.check("input[name=source][value='']")
        for slug in ("text-to-video", "image-to-video", "audio-to-video", "extend"):
            page.click(f".mode-tab[href='?mode={slug}']")
            page.wait_for_selector(f".mode-tab[href='?mode={slug}'][aria-current=page]")
        assert page.locator(".request-error").count() == 0


def test_with_no_image_picked_a_wav_added_to_the_audio_tab_is_priced(browser, owner, tmp_path):
    """The empty source= of "None" used to 404 every settings refresh, so no estimate came."""
    from tests.media_factory import make_audio

    wav = make_audio(tmp_path / "voice.wav", seconds=5)
    in_thread(lambda: make_clip(owner))
    with browser("/?mode=audio-to-video") as page:
        page.check("input[name=source][value='']")
        before = page.inner_text("#estimate")
        assert not re.search(r"\$\d", before), before  # audio sets the length, so the price
        page.set_input_files("input[name=audio_uri]", str(wav))
        page.wait_for_function("() => /\\$\\d/.test(document.querySelector('#estimate').innerText)")
        assert page.locator(".request-error").count() == 0


def test_a_request_that_fails_says_so_beside_what_made_it(browser, owner):
    clips = {}
    in_thread(lambda: clips.update(kept=make_clip(owner), gone=make_clip(owner)))
    with browser(f"/?mode=extend&source={clips['gone'].pk}") as page:
        in_thread(lambda: Generation.objects.filter(pk=clips["gone"].pk).delete())
        page.click(".mode-tab[href='?mode=video-to-video-reframe']")  # sends the deleted clip
        alert = page.wait_for_selector(".mode-tabs + .request-error[role=alert]")
        assert "not here any more" in alert.inner_text()
        assert page.locator(".mode-tab[href='?mode=extend'][aria-current=page]").count() == 1
        page.click(f"label:has(input[name=source][value='{clips['kept'].pk}'])")
        page.click(".mode-tab[href='?mode=video-to-video-reframe']")
        page.wait_for_selector(".mode-tab[href='?mode=video-to-video-reframe'][aria-current=page]")
        assert page.locator(".request-error").count() == 0


def test_on_a_phone_the_tabs_are_one_row_and_no_keyboard_hint_shows(live_server, owner):
    cookie = session_cookie(owner, live_server.url)
    with launch(viewport="phone") as chromium:
        page = chromium.context([cookie]).new_page()
        page.goto(live_server.url + "/")
        tops = page.eval_on_selector_all(".mode-tab", "tabs => tabs.map(t => t.offsetTop)")
        assert len(tops) >= 6 and len(set(tops)) == 1, tops  # one row (it scrolls sideways)
        assert not page.is_visible(".shortcut-hint")  # a phone has no Ctrl + Enter
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0
        assert_accessible(page, "create page on a phone")


def test_with_a_keyboard_the_hint_shows_at_every_window_width(browser):
    with browser() as page:
        for width in (1280, 800):  # the desktop layout (sticky Generate bar), and a narrow one
            page.set_viewport_size({"width": width, "height": 900})
            hint = page.locator(".shortcut-hint")
            assert hint.is_visible(), width
            box = hint.bounding_box()
            assert box["y"] + box["height"] <= 900, (width, box)  # on screen, by Generate


def test_play_on_a_cards_poster_plays_the_clip_in_the_card(browser, owner):
    clip = {}
    in_thread(lambda: clip.update(g=make_clip(owner)))
    with browser("/") as page:
        page.click(f"#gen-{clip['g'].pk} .gen-poster")
        video = page.wait_for_selector(f"#gen-{clip['g'].pk} video.gen-video")
        assert "/gallery/" not in page.url  # still on the create page
        assert "/gallery/files/" in (video.get_attribute("src") or "")
        page.wait_for_function(
            f"document.querySelector('#gen-{clip['g'].pk} video').readyState >= 1"
        )
        assert page.evaluate("document.activeElement.tagName") == "VIDEO"  # focus kept


def test_a_refused_files_message_goes_once_another_file_is_chosen(browser, tmp_path):
    from tests.media_factory import make_image

    fake = tmp_path / "notes.png"
    fake.write_text("not an image\n" * 50)
    good = make_image(tmp_path / "good.png", 320, 180)
    with browser("/?mode=image-to-video") as page:
        page.set_input_files("#id_image_uri", str(fake))
        page.fill("#id_prompt", "A kite")
        page.click("button.button-generate")
        page.wait_for_selector("#field-image_uri div.errors[role=alert]")
        assert "not an image we can use" in page.inner_text("#field-image_uri")
        page.set_input_files("#id_image_uri", str(good))
        page.wait_for_function(
            "() => !document.querySelector('#field-image_uri div.errors[role=alert]')"
        )
        assert "field-invalid" not in (page.get_attribute("#field-image_uri", "class") or "")


# --- the keyboard ---------------------------------------------------------------------------


def focused(page) -> str:
    """What has focus, as "TAG#id.class" (BODY when focus was lost)."""
    return page.evaluate(
        "(() => { const a = document.activeElement;"
        " return a.tagName + (a.id ? '#' + a.id : '') + '.' + a.className; })()"
    )


def test_a_card_is_renamed_with_the_keyboard_alone(browser, owner):
    clip = {}
    in_thread(lambda: clip.update(g=make_clip(owner)))
    pk = clip["g"].pk
    with browser("/") as page:
        summary = page.locator(f"#gen-{pk} details.rename summary")
        summary.focus()
        page.keyboard.press("Enter")  # opens the form
        page.keyboard.press("Tab")
        assert focused(page).startswith(f"INPUT#rename-{pk}")
        page.keyboard.type("Dunes, take I like")
        page.keyboard.press("Enter")  # submits
        page.wait_for_selector(f"#gen-{pk}-title:has-text('Dunes, take I like')")
        # The card was replaced; focus stays in it instead of falling back to the page (it is
        # moved once the swap settles, a moment after the new title shows).
        page.wait_for_function(
            f"document.getElementById('gen-{pk}').contains(document.activeElement)", timeout=5000
        )
        names = {}
        in_thread(lambda: names.update(t=Generation.objects.get(pk=pk).title))
        assert names["t"] == "Dunes, take I like"


def test_a_refused_name_says_why_in_the_card_and_keeps_focus(browser, owner):
    clip = {}
    in_thread(lambda: clip.update(g=make_clip(owner)))
    pk = clip["g"].pk
    with browser("/") as page:
        page.click(f"#gen-{pk} details.rename summary")
        page.evaluate(f"document.getElementById('rename-{pk}').removeAttribute('maxlength')")
        page.fill(f"#rename-{pk}", "x" * 130)
        page.press(f"#rename-{pk}", "Enter")
        error = page.wait_for_selector(f"#rename-{pk}-error")
        assert "at most 120 characters" in error.inner_text()
        assert focused(page).startswith(f"INPUT#rename-{pk}")


def test_a_card_being_renamed_is_not_redrawn_under_the_user(browser, owner):
    queued = {}
    in_thread(lambda: queued.update(g=make_generation(owner)))
    pk = queued["g"].pk
    with browser("/") as page:
        page.click(f"#gen-{pk} details.rename summary")
        page.fill(f"#rename-{pk}", "half-typed")
        in_thread(lambda: queued["g"].transition(State.CANCELED))
        page.wait_for_timeout(5_000)  # two refreshes at 2 s
        assert page.input_value(f"#rename-{pk}") == "half-typed"
        page.press(f"#rename-{pk}", "Escape")
        page.evaluate(f"document.querySelector('#gen-{pk} details.rename').open = false")
        page.locator("#id_prompt").focus()
        page.wait_for_selector(f"#gen-{pk}.state-canceled", timeout=10_000)


def test_cancel_by_keyboard_leaves_focus_on_the_card(browser, owner):
    queued = {}
    in_thread(lambda: queued.update(g=make_generation(owner)))
    pk = queued["g"].pk
    with browser("/") as page:
        page.locator(f"#gen-{pk} form[action$='/cancel'] button").focus()
        page.keyboard.press("Enter")
        page.wait_for_selector(f"#gen-{pk}.state-canceled")
        assert page.evaluate(
            f"document.getElementById('gen-{pk}').contains(document.activeElement)"
        )
        assert not focused(page).startswith("BODY")


def test_the_cards_player_works_from_the_keyboard(browser, owner):
    clip = {}
    in_thread(lambda: clip.update(g=make_clip(owner)))
    pk = clip["g"].pk
    with browser("/") as page:
        page.locator(f"#gen-{pk} .gen-poster").focus()
        page.keyboard.press("Enter")  # ▶ plays in the card
        page.wait_for_function(f"() => !document.querySelector('#gen-{pk} video').paused")
        assert focused(page).startswith("VIDEO")
        page.keyboard.press("k")  # Chromium's media keys: k (or Space) pauses
        page.wait_for_function(f"() => document.querySelector('#gen-{pk} video').paused")
        page.keyboard.press("Space")
        page.wait_for_function(f"() => !document.querySelector('#gen-{pk} video').paused")


FOCUS_RING = """() => {
  const el = document.activeElement;
  const ring = (node) => {
    if (!node) return false;
    const style = getComputedStyle(node);
    return (style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2)
      || style.boxShadow !== "none";
  };
  // A visually hidden radio or checkbox shows its ring on the label's visible part.
  return ring(el) || ring(el.nextElementSibling) || ring(el.closest("label"))
    || ring(el.closest(".clip-option"));
}"""


@pytest.mark.parametrize("path", ["/", "/gallery/", "clip"])
def test_every_stop_of_the_tab_key_shows_where_focus_is(browser, owner, path):
    clip = {}
    in_thread(lambda: clip.update(g=make_clip(owner)))
    url = f"/gallery/{clip['g'].pk}/" if path == "clip" else path
    with browser(url) as page:
        seen = []
        for _ in range(45):
            page.keyboard.press("Tab")
            where = focused(page)
            if where.startswith("BODY"):
                break
            assert page.evaluate(FOCUS_RING), f"no visible focus on {where} (after {seen[-3:]})"
            seen.append(where)
        assert len(seen) >= 8


def test_clips_that_finish_together_share_one_toast_that_names_them(browser, owner):
    from django.db.models import F
    from django.utils import timezone

    made = {}
    in_thread(
        lambda: made.update(
            pks=[
                Generation.objects.create(
                    owner=owner,
                    workspace=workspace_of(owner),
                    endpoint="text-to-video",
                    state=State.PROCESSING,
                    prompt=f"p{i}",
                ).pk
                for i in range(3)
            ]
        )
    )
    with browser("/") as page:
        in_thread(
            lambda: Generation.objects.filter(pk__in=made["pks"]).update(
                state=State.FAILED,
                error_type="api_error",
                version=F("version") + 1,
                finished_at=timezone.now(),
            )
        )
        page.wait_for_selector("#toasts .toast")
        toasts = page.locator("#toasts .toast")
        assert toasts.count() == 1
        text = toasts.first.inner_text()
        assert "3 clips did not finish" in text
        assert all(f"#{pk}" in text for pk in made["pks"]) and "undefined" not in text


def test_a_vertical_clip_in_the_picker_is_letterboxed_not_cropped(browser, owner, tmp_path):
    from tests.factories import add_video
    from tests.media_factory import make_image

    poster = make_image(tmp_path / "tall.jpg", width=90, height=160, fmt="JPEG").read_bytes()
    made = {}

    def vertical() -> None:
        clip = make_clip(owner, video=False, params={"duration": 6, "resolution": "1080x1920"})
        add_video(clip, poster=poster, width=1080, height=1920)
        made["clip"] = clip

    in_thread(vertical)
    with browser("/?mode=extend") as page:
        img = page.locator(f"label.clip-option:has(input[value='{made['clip'].pk}']) img")
        img.evaluate("i => i.complete || new Promise(r => i.addEventListener('load', r))")
        shown = img.evaluate(
            "i => ({fit: getComputedStyle(i).objectFit, w: i.clientWidth, h: i.clientHeight,"
            " nw: i.naturalWidth, nh: i.naturalHeight})"
        )
        assert shown["nw"] / shown["nh"] < 1  # the poster is tall ...
        assert shown["w"] / shown["h"] > 1.5  # ... in a 16:9 box ...
        assert shown["fit"] == "contain", shown  # ... shown whole, with bands beside it
