"""What a team member does, end to end, in a real Chromium: log in, generate, watch the card
come alive, play and seek the clip, share it and take the link back; an image turned into a
clip; a prompt the safety filter stops; a colleague who must not see someone else's clip.

A live server, the LTX simulator over sockets and the real pipeline (see conftest.py). Every
page visited is saved at desktop and phone width into test-artifacts/screenshots/.
"""

from __future__ import annotations

import shutil
import time

import pytest

from ltxdash.generations import pipeline as generations
from ltxdash.generations.models import Generation, State
from tests.media_factory import make_image
from tests.support.browser import CHROMIUM

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not shutil.which(CHROMIUM), reason=f"needs Debian's chromium at {CHROMIUM}"),
    pytest.mark.django_db(transaction=True),
]

READY_WITHIN = 30_000  # ms: a few seconds at the simulator's speed, with room for a busy machine

PLAYS = """async (v) => {
    v.muted = true;
    await v.play();
    const start = v.currentTime;
    await new Promise((resolve, reject) => {
        const deadline = setTimeout(() => reject(new Error("currentTime stuck at " + v.currentTime)), 10000);
        v.addEventListener("timeupdate", function check() {
            if (v.currentTime > start + 0.3) {
                clearTimeout(deadline);
                v.removeEventListener("timeupdate", check);
                resolve();
            }
        });
    });
    v.pause();
    return v.currentTime;
}"""

SEEKS_TO = """async (v, target) => {
    await new Promise((resolve, reject) => {
        const deadline = setTimeout(() => reject(new Error("seek did not finish")), 10000);
        v.addEventListener("seeked", () => { clearTimeout(deadline); resolve(); }, { once: true });
        v.currentTime = target;
    });
    if (v.readyState < 2) {
        await new Promise((resolve) => v.addEventListener("canplay", resolve, { once: true }));
    }
    return {
        time: v.currentTime,
        seekable: v.seekable.length ? v.seekable.end(v.seekable.length - 1) : 0,
        duration: v.duration,
    };
}"""


def generate(page, prompt: str) -> str:
    """Type a prompt, press Generate; returns the new card's element id."""
    before = page.locator(".gen-card").count()
    page.get_by_label("Prompt", exact=True).fill(prompt)
    page.get_by_role("button", name="Generate").click()
    page.wait_for_function(f"() => document.querySelectorAll('.gen-card').length === {before + 1}")
    card = page.locator(".gen-card").first
    assert prompt[:40] in card.locator(".gen-prompt").inner_text()
    return card.get_attribute("id")


def test_it_takes_a_clip_from_login_to_a_revoked_share_link(
    pipeline, browser, owner, ltx_simulator
):
    # Slow enough at "LTX" for the card to be seen waiting and generating.
    ltx_simulator.configure(pending_seconds=0.5, processing_seconds=4)
    prompt = "A paper boat drifts down a rainy street at dusk"
    with browser() as b:
        page = b.new_page()
        b.log_in(page, "alice", "alice-pass-123", shot="login")
        page.evaluate("window.sameDocument = true")
        navigations: list[str] = []
        page.on("framenavigated", lambda f: f.parent_frame is None and navigations.append(f.url))

        card_id = generate(page, prompt)
        card = page.locator(f"#{card_id}")
        assert card.locator(".pill").inner_text() in ("Queued", "Submitting", "Waiting at LTX")
        page.wait_for_selector(f"#{card_id}.state-processing", timeout=READY_WITHIN)
        assert "Generating" in card.locator(".gen-status").inner_text()
        b.shoot(page, "create-live-card")

        page.wait_for_selector(f"#{card_id}.state-ready", timeout=READY_WITHIN)
        assert card.locator(".pill").inner_text() == "Ready"
        # The poster is swapped in with the Ready card: wait for it to load, then it must show.
        poster = card.locator(".gen-poster img").element_handle()
        page.wait_for_function(
            "() => img => img.complete && img.naturalWidth > 0", arg=poster, timeout=10_000
        )
        page.wait_for_selector("#toasts .toast-ok")
        assert "is ready" in page.inner_text("#toasts")
        # The card came and changed by itself: same document, no navigation.
        assert page.evaluate("window.sameDocument") is True
        assert navigations == []
        b.shoot(page, "ready-card")

        pk = card_id.removeprefix("gen-")
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Gallery").click()
        page.wait_for_url("**/gallery/")
        thumb = page.locator(f'.clip-thumb[href="/gallery/{pk}/"]')
        assert prompt in page.locator(".clip-card", has=thumb).inner_text()
        b.shoot(page, "gallery")

        media: list[tuple[str, int]] = []
        page.on("response", lambda r: media.append((r.url, r.status)))
        thumb.click()
        page.wait_for_url(f"**/gallery/{pk}/")
        video = page.locator("video.player")
        src = video.evaluate("v => v.currentSrc")
        assert video.evaluate(PLAYS) > 0.3
        duration = video.evaluate("v => v.duration")
        assert duration > 2
        seek = video.evaluate(SEEKS_TO, duration * 0.75)
        assert abs(seek["time"] - duration * 0.75) < 0.2
        assert seek["seekable"] >= duration - 0.1  # the whole clip is seekable ...
        assert (src, 206) in media  # ... because the media is served with Range
        b.shoot(page, "clip")

        page.get_by_role("button", name="Create link").click()
        share_url = page.locator("#new-share-url").input_value()
        assert "/s/" in share_url
        b.shoot(page, "clip-share-link")

        stranger = b.new_page()  # a fresh context: logged out, nothing cached
        response = stranger.goto(share_url)
        assert response.status == 200
        shared = stranger.locator("video.player")
        assert shared.evaluate(PLAYS) > 0.3
        assert prompt in stranger.inner_text(".share-prompt")
        assert "alice" not in stranger.content()  # nothing about the owner
        b.shoot(stranger, "share")
        video_url = shared.evaluate("v => v.currentSrc")

        page.get_by_role("button", name="Revoke").click()
        page.wait_for_selector(".share-links tr.is-dead")
        assert "revoked" in page.inner_text(".share-links")
        assert stranger.goto(share_url).status == 404
        b.shoot(stranger, "share-revoked")
        assert stranger.request.get(video_url).status == 404
    assert [job["prompt"] for job in ltx_simulator.jobs()] == [prompt]


def test_it_turns_an_uploaded_image_into_a_ready_clip(
    pipeline, browser, owner, ltx_simulator, tmp_path
):
    image = make_image(tmp_path / "harbour.png", width=640, height=360)
    with browser() as b:
        page = b.new_page()
        b.log_in(page, "alice", "alice-pass-123")
        page.get_by_role("link", name="Image → Video").click()
        page.wait_for_url(lambda url: url.endswith("?mode=image-to-video"))
        page.locator("#id_image_uri").set_input_files(str(image))
        page.wait_for_selector("#drop-image_uri .preview img")
        page.wait_for_function(
            "() => document.querySelector('[name=image_uri_meta]').value === '0:640:360'"
        )
        card_id = generate(page, "The harbour wakes up, gulls circling")
        assert "Image → Video" in page.inner_text(f"#{card_id} .gen-title")
        b.shoot(page, "create-image")
        page.wait_for_selector(f"#{card_id}.state-ready", timeout=READY_WITHIN)
    (job,) = ltx_simulator.jobs()
    assert job["endpoint"] == "image-to-video"
    assert job["body"]["image_uri"]  # the upload reached "LTX"


def test_it_explains_a_content_filter_failure_in_plain_words(
    pipeline, browser, owner, ltx_simulator
):
    with browser() as b:
        page = b.new_page()
        b.log_in(page, "alice", "alice-pass-123")
        card_id = generate(page, "A crowded night market [filter]")
        page.wait_for_selector(f"#{card_id}.state-failed", timeout=READY_WITHIN)
        card = page.locator(f"#{card_id}")
        assert card.locator(".pill").inner_text() == "Failed"
        reason = card.locator(".gen-reason").inner_text()
        assert reason.startswith("LTX's safety filter refused the prompt or one of the inputs.")
        assert "Change the wording or the media and try again." in reason
        assert card.locator(".gen-support code").first.inner_text() == "content_filtered_error"
        # The same prompt would be refused again: the main button opens it for editing.
        assert card.get_by_role("button", name="Try again").count() == 0
        page.wait_for_selector("#toasts .toast-bad")
        b.shoot(page, "failure-card")
        card.get_by_role("link", name="Edit and retry").click()
        page.wait_for_url("**/?from=*")
        assert page.input_value("#id_prompt") == "A crowded night market [filter]"
    (job,) = ltx_simulator.jobs()
    assert job["status"] == "failed"


def test_it_shows_another_users_clip_to_nobody_else(
    pipeline, browser, owner, stranger, ltx_simulator
):
    with pipeline.lock:
        (clip,) = generations.create_generations(
            owner=owner,
            endpoint="text-to-video",
            params={
                "prompt": "Alice's private storyboard",
                "model": "ltx-2-3-fast",
                "duration": 6,
                "resolution": "1920x1080",
                "fps": 24,
            },
            inputs={},
        )
    deadline = time.monotonic() + READY_WITHIN / 1000
    while pipeline.query(lambda: Generation.objects.get(pk=clip.pk).state) != State.READY:
        assert time.monotonic() < deadline, "the clip did not become ready"
        time.sleep(0.1)
    video = pipeline.query(lambda: Generation.objects.get(pk=clip.pk).video)
    urls = {
        "clip page": f"/gallery/{clip.pk}/",
        "media": f"/gallery/files/{video.pk}",
        "poster": f"/gallery/files/{video.pk}/poster",
        "download": f"/gallery/files/{video.pk}/download",
        "card": f"/generations/{clip.pk}/card",
    }
    with browser() as b:
        alice = b.new_page()
        b.log_in(alice, "alice", "alice-pass-123")
        for what, url in urls.items():  # the URLs are right: the owner gets them
            assert alice.request.get(url).status == 200, what

        mallory = b.new_page()
        b.log_in(mallory, "mallory", "mallory-pass-123")
        for what, url in urls.items():
            response = mallory.goto(url)
            assert response.status == 404, what
            assert "Alice's private storyboard" not in mallory.content(), what
            assert mallory.get_by_role("heading", name="Not found").is_visible(), what
        b.shoot(mallory, "not-found")
        mallory.goto("/gallery/")
        assert mallory.locator(".clip-card").count() == 0
