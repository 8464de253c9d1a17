"""A team forms, in a real Chromium: an admin invites a colleague, who accepts with a new
account; both see each other's clips in the team gallery; a viewer invited the same way sees no
Generate button; an outsider gets 404 on a team clip's page and its file. axe-core on each page."""

from __future__ import annotations

import shutil

import pytest
from django.contrib.auth import get_user_model

from tests.factories import make_clip, make_user
from tests.support.browser import CHROMIUM, assert_accessible, db_work, launch, session_cookie

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not shutil.which(CHROMIUM), reason="needs Debian's chromium"),
    pytest.mark.django_db(transaction=True),
]
PASSWORD = "kites-over-the-dunes-42"


def invite_link(page, base: str, role: str) -> str:
    page.goto(base + "/workspaces/members/")
    page.select_option("#id_role", role)
    page.get_by_role("button", name="Create invite link").click()
    link = page.locator("#new-invite-url").input_value()
    assert "/invite/" in link
    assert_accessible(page, "members page with a new link")
    return link


def sign_up(browser, link: str, username: str):
    page = browser.context().new_page()
    page.goto(link)
    assert_accessible(page, "an invitation, logged out")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password confirmation").fill(PASSWORD)
    page.get_by_role("button", name="Make my account and join").click()
    page.wait_for_url(lambda url: url.rstrip("/").endswith(base_of(link)))
    return page


def base_of(link: str) -> str:
    return link.split("/invite/")[0].rstrip("/")


def test_an_admin_invites_a_colleague_and_they_share_a_gallery(live_server):
    ana = make_user("ana")
    anas_clip = make_clip(ana, prompt="A harbour at dawn, gulls circling")
    outsider = make_user("olga")
    video_pk = anas_clip.video.pk
    base = live_server.url
    cookies = {"ana": session_cookie(ana, base), "olga": session_cookie(outsider, base)}
    with launch() as browser:
        admin = browser.context([cookies["ana"]]).new_page()
        creator_link = invite_link(admin, base, "creator")

        bea = sign_up(browser, creator_link, "bea")
        assert "Welcome to ana's workspace: you are creator here." in bea.inner_text("body")
        bea.goto(base + "/gallery/")
        assert bea.locator(f'.clip-thumb[href="/gallery/{anas_clip.pk}/"]').count() == 1
        assert "ana" in bea.inner_text(".clip-maker")
        assert_accessible(bea, "the team gallery as the new creator")

        # Bea makes a clip (written directly: the pipeline is tested elsewhere); Ana sees it.
        user = db_work(lambda: get_user_model().objects.get(username="bea"))
        beas_clip = db_work(lambda: make_clip(user, prompt="A kite over the dunes"))
        admin.goto(base + "/gallery/")
        assert admin.locator(f'.clip-thumb[href="/gallery/{beas_clip.pk}/"]').count() == 1
        admin.select_option("#id_made_by", str(user.pk))
        admin.wait_for_function("() => document.querySelectorAll('.clip-thumb').length === 1")

        viewer = sign_up(browser, invite_link(admin, base, "viewer"), "vik")
        assert viewer.locator("button:has-text('Generate')").count() == 0
        assert "You are a viewer in ana's workspace" in viewer.inner_text("main")
        assert_accessible(viewer, "a viewer's home")

        stranger = browser.context([cookies["olga"]]).new_page()
        assert stranger.goto(f"{base}/gallery/{anas_clip.pk}/").status == 404
        assert stranger.request.get(f"{base}/gallery/files/{video_pk}").status == 404
