"""Content-Security-Policy: on every page, no inline script or style without this answer's nonce;
files get a stricter policy of their own."""

import re

import pytest
from django.conf import settings

from ltxdash.gallery.models import ShareLink
from ltxdash.generations.models import DispatchState
from tests.factories import make_clip, make_user
from tests.support.media import fetch

pytestmark = pytest.mark.django_db

PAGES = ["/", "/?mode=extend", "/gallery/", "/accounts/password_change/"]


def _policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {d.split()[0]: d.split()[1:] for d in header.split("; ")}


def _nonce(response) -> str:
    match = re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"])
    assert match, response["Content-Security-Policy"]
    return match.group(1)


def _assert_inline_code_carries(html: str, nonce: str) -> None:
    for tag in re.findall(r"<script\b[^>]*>", html):
        assert "src=" in tag or f'nonce="{nonce}"' in tag, tag
    for tag in re.findall(r"<style\b[^>]*>", html):
        assert f'nonce="{nonce}"' in tag, tag
    assert not re.search(r"<[^>]+\sstyle=", html), "a style= attribute: blocked by style-src"
    assert not re.search(r"\shx-on[:-]|\son[a-z]+=", html), "inline handlers are blocked"


@pytest.mark.parametrize("url", PAGES)
def test_every_page_has_a_policy_without_unsafe_inline(owner_client, url):
    response = owner_client.get(url)
    assert response.status_code == 200
    policy = _policy(response)
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"][0] == "'self'" and policy["script-src"][1].startswith("'nonce-")
    assert policy["object-src"] == ["'none'"] and policy["frame-ancestors"] == ["'none'"]
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]
    assert "'unsafe-eval'" not in response["Content-Security-Policy"]
    _assert_inline_code_carries(response.content.decode(), _nonce(response))


def test_the_nonce_is_new_for_every_answer(owner_client):
    assert _nonce(owner_client.get("/")) != _nonce(owner_client.get("/"))


def test_public_pages_have_it_too(client, owner):
    token = ShareLink.create_for(make_clip(owner), None)[1]
    for url in ("/accounts/login/", f"/s/{token}", "/gallery/999999/"):
        response = client.get(url)
        assert response.status_code in (200, 302, 404), url
        assert _policy(response)["default-src"] == ["'self'"], url


def test_the_admin_pages_have_no_inline_code_without_the_nonce(client, owner):
    """Its look (admin.css), theme switch (theme.js) and the pause banner's style are files."""
    clip = make_clip(owner)
    link = ShareLink.create_for(clip, None)[0]
    login = client.get("/admin/login/")
    _assert_inline_code_carries(login.content.decode(), _nonce(login))
    DispatchState.pause("insufficient_funds_error", "Out of credits")
    client.force_login(make_user("root", superuser=True))
    for url in (
        "/admin/",
        "/admin/generations/generation/",
        f"/admin/generations/generation/{clip.pk}/change/",
        "/admin/generations/output/",
        "/admin/generations/dispatchstate/",
        "/admin/gallery/sharelink/",
        f"/admin/gallery/sharelink/{link.pk}/change/",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert "pause-banner" in html and "css/admin.css" in html, url
        _assert_inline_code_carries(html, _nonce(response))


def test_files_get_a_stricter_policy(owner_client, owner, client):
    clip = make_clip(owner)
    output = clip.outputs.first()
    token = ShareLink.create_for(clip, None)[1]
    for response in (
        fetch(owner_client, f"/gallery/files/{output.pk}"),
        fetch(owner_client, f"/gallery/files/{output.pk}/poster"),
        fetch(owner_client, f"/gallery/files/{output.pk}/download"),
        fetch(client, f"/s/{token}/video"),
        fetch(client, f"/s/{token}/poster"),
    ):
        assert response.status_code == 200
        assert response.ours["Content-Security-Policy"] == settings.LTXDASH_MEDIA_CSP
    assert "sandbox" in settings.LTXDASH_MEDIA_CSP
    assert "default-src 'none'" in settings.LTXDASH_MEDIA_CSP
