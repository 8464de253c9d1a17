"""axe-core on every page, in a real Chromium: desktop and phone widths, dark and light themes,
logged in and logged out. A serious or critical violation fails the test, with its rule, the
elements it found and axe's own help link.

``PAGES`` names every page of the product; ``test_every_page_is_swept`` fails when a URL that
answers a browser with HTML is missing from it (or from ``NOT_PAGES``, with the reason), so a
new page can't ship unchecked. Every other browser test also runs axe on the page it ends on
(``tests.support.browser.assert_accessible``, called by the browser fixtures).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.conf import settings
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from ltxdash.gallery.models import ShareLink
from ltxdash.generations.models import State
from ltxdash.ltx import catalog
from tests.factories import make_clip, make_generation
from tests.support.browser import CHROMIUM, assert_accessible, launch

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
needs_chromium = pytest.mark.skipif(not shutil.which(CHROMIUM), reason="needs Debian's chromium")


@dataclass(frozen=True)
class Page:
    name: str  # the URL name it renders (for the coverage check)
    path: Callable[[dict], str]  # from the objects the sweep made
    logged_in: bool = True


PAGES = [
    Page("login", lambda o: "/accounts/login/", logged_in=False),
    Page("generations:create", lambda o: "/"),
    *[
        Page("generations:create", lambda o, slug=slug: f"/?mode={slug}")
        for slug, _ in catalog.endpoint_choices()
    ],
    Page("generations:create", lambda o: f"/?source={o['clip'].pk}"),
    Page("gallery:index", lambda o: "/gallery/"),
    Page("gallery:index", lambda o: "/gallery/?q=nothing+matches+this"),
    Page("gallery:clip", lambda o: f"/gallery/{o['clip'].pk}/"),
    Page("gallery:clip", lambda o: f"/gallery/{o['failed'].pk}/"),
    Page("gallery:delete", lambda o: f"/gallery/{o['clip'].pk}/delete"),
    Page("password_change", lambda o: "/accounts/password_change/"),
    Page("password_change_done", lambda o: "/accounts/password_change/done/"),
    Page("share:page", lambda o: f"/s/{o['token']}", logged_in=False),
    Page("", lambda o: "/no/such/page/"),  # the 404 page, logged in
    Page("", lambda o: "/no/such/page/", logged_in=False),
]

# URLs a browser can GET that are not pages of their own, and why.
NOT_PAGES = {
    "healthz": "JSON for load balancers",
    "generations:refresh": "an HTMX fragment of the create page (swept with it)",
    "generations:card": "an HTMX fragment: one card of the create page",
    "gallery:file": "media",
    "gallery:poster": "media",
    "gallery:download": "media",
    "share:video": "media",
    "share:poster": "media",
    "logout": "POST only; its answer, the logged-out page, is swept after the logged-in pages",
    "password_reset": "off unless email is configured",
    "password_reset_done": "off unless email is configured",
    "password_reset_confirm": "off unless email is configured",
    "password_reset_complete": "off unless email is configured",
}
POST_ONLY = {
    "generations:cancel",
    "generations:retry",
    "gallery:favourite",
    "gallery:rename",
    "gallery:share_create",
    "gallery:share_revoke",
}


def url_names(resolver: URLResolver | None = None, prefix: str = "") -> set[str]:
    names: set[str] = set()
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            if entry.app_name == "admin":
                continue  # Django's admin: swept by test_the_admin_pages_pass
            space = f"{prefix}{entry.namespace}:" if entry.namespace else prefix
            names |= url_names(entry, space)
        elif isinstance(entry, URLPattern) and entry.name:
            names.add(prefix + entry.name)
    return names


def test_every_page_is_swept():
    swept = {page.name for page in PAGES}
    missing = url_names() - swept - set(NOT_PAGES) - POST_ONLY
    assert not missing, f"add these to PAGES (or NOT_PAGES, with why): {sorted(missing)}"


@pytest.fixture
def objects(owner) -> dict:
    clip = make_clip(owner)
    failed = make_generation(
        owner,
        State.FAILED,
        error_type="content_filter_error",
        error_message="The prompt was refused by the content filter.",
    )
    make_generation(owner, State.PROCESSING)
    token = ShareLink.create_for(clip, None)[1]
    return {"clip": clip, "failed": failed, "token": token}


@needs_chromium
@pytest.mark.parametrize("viewport", ["desktop", "phone"])
@pytest.mark.parametrize("theme", ["dark", "light"])
def test_every_page_has_no_serious_violation(live_server, owner, objects, viewport, theme):
    client = Client()
    client.force_login(owner)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    failures: list[str] = []
    cookie = {"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}
    with launch(viewport=viewport, theme=theme) as browser:
        for logged_in in (True, False):
            context = browser.context([cookie] if logged_in else None)
            page = context.new_page()
            for item in PAGES:
                if item.logged_in != logged_in:
                    continue
                path = item.path(objects)
                page.goto(live_server.url + path)
                failures += check(page, f"{path} ({viewport}, {theme})")
            if logged_in:  # and the page that logging out ends on
                page.goto(live_server.url + "/")
                page.click(".menu summary")
                page.click("text=Log out")
                page.wait_for_url("**/accounts/login/**")
                failures += check(page, f"the logged-out page ({viewport}, {theme})")
            context.close()
    assert not failures, "\n\n".join(failures)


def check(page, where: str) -> list[str]:
    try:
        assert_accessible(page, where)
    except AssertionError as failure:
        return [str(failure)]
    return []
