"""The team in a real Chromium: a viewer's home and the team gallery, the workspace switcher
opened; axe-core on each (no serious or critical violation)."""

from __future__ import annotations

import shutil

import pytest

from ltxdash.workspaces import current
from ltxdash.workspaces.models import Membership, Role, Workspace
from tests.factories import make_clip, make_user
from tests.support.browser import CHROMIUM, assert_accessible, launch, session_cookie

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not shutil.which(CHROMIUM), reason="needs Debian's chromium"),
    pytest.mark.django_db(transaction=True),
]


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
@pytest.mark.parametrize("theme", ["dark", "light"])
def test_a_viewer_and_a_creator_see_the_team_gallery(live_server, viewport, theme):
    studio = Workspace.objects.create(name="Studio", slug="studio")
    cem, vik = make_user("cem"), make_user("vik")
    for user, role in ((cem, Role.CREATOR), (vik, Role.VIEWER)):
        Membership.objects.create(workspace=studio, user=user, role=role)
        current.choose(user, studio)
    clip = make_clip(cem, prompt="A kite over the dunes")
    cookies = {
        "cem": session_cookie(cem, live_server.url),
        "vik": session_cookie(vik, live_server.url),
    }
    with launch(viewport=viewport, theme=theme) as browser:
        viewer = browser.context([cookies["vik"]]).new_page()
        viewer.goto(live_server.url + "/")
        assert "You are a viewer in Studio" in viewer.inner_text("main")
        assert viewer.locator("button:has-text('Generate')").count() == 0
        assert_accessible(viewer, f"a viewer's home ({viewport}, {theme})")
        viewer.goto(live_server.url + "/gallery/")
        assert viewer.locator(f'.clip-thumb[href="/gallery/{clip.pk}/"]').count() == 1
        assert viewer.locator("text=New clip").count() == 0
        assert_accessible(viewer, f"the team gallery as a viewer ({viewport}, {theme})")

        creator = browser.context([cookies["cem"]]).new_page()
        creator.goto(live_server.url + "/gallery/?made_by=mine")
        creator.click(".workspace-menu summary")
        assert "Your role here: creator" in creator.inner_text(".workspace-menu")
        assert_accessible(creator, f"the workspace menu open ({viewport}, {theme})")
